/** The seed lab (DESIGN.md section 2): every config key's default lives here, once. */
import { RawLabConfig } from "./rawConfig";

export const DEFAULT_POD_SUBNET = "10.244.0.0/16";
export const DEFAULT_BLOCK_SIZE = 26;
export const DEFAULT_MTU = 1500;
export const DEFAULT_CALICO_VERSION = "v3.23.2";
/** The docs archive holds the published v3.23 manifest (DESIGN.md section 5). */
export const DEFAULT_CALICO_MANIFEST = "https://docs.tigera.io/archive/v3.23/manifests/calico.yaml";

export const DEFAULT_IMAGES = {
  kindNode: "burlyluo/kindest:v1.27.3",
  gateway: "hub.deepflow.yunshan.net/network-demo/vyos:1.4.9",
  sidecar: "hub.deepflow.yunshan.net/network-demo/nettool",
  workload: "burlyluo/nettool:latest",
};

/** The seed's two segments; bridge names are derived from the lab name when absent. */
export const SEED_TOPOLOGY: NonNullable<RawLabConfig["topology"]> = {
  router: { name: "gw0" },
  natSource: "10.1.0.0/16",
  subnets: [
    { cidr: "10.1.5.0/24", gateway: "10.1.5.1", nodes: ["10.1.5.10", "10.1.5.11"] },
    { cidr: "10.1.8.0/24", gateway: "10.1.8.1", nodes: ["10.1.8.10", "10.1.8.11"] },
  ],
};

/** Node 1 → node 2 stays in the first subnet; node 1 → node 3 crosses the gateway. */
export const DEFAULT_SCENARIOS = [
  { name: "same-subnet", client: 1, server: 2 },
  { name: "cross-subnet", client: 1, server: 3 },
];

export const DEFAULT_CAPTURE = { maxPackets: 200, timeoutSeconds: 10 };

/**
 * The node-to-node mesh (no route reflectors), and the cluster ID Calico's route-reflector
 * guide gives its reflectors when some are named.
 */
export const DEFAULT_BGP = { routeReflectors: [] as number[], clusterID: "244.0.0.1" };

