/**
 * The expected data plane: from a LabSpec and the pool's modes, the routes Calico
 * installs on every node (DESIGN.md section 4). BIRD installs the IPIP and unencapsulated
 * routes; Felix the VXLAN ones. Pure: it is the independent check of what the lab's
 * daemons and scripts programmed (netns) and of the routes read back from a cluster
 * (kind), and the analysis explains a verdict with it.
 */
import * as crypto from "crypto";
import { poolEncapsulation, poolModes, sameSubnet } from "./expect";
import { cidrContains, isIPv4 } from "./net";
import { BackendName, BlockRoute, CalicoRoute, LabSpec, NodeSpec, PoolFacts, PoolModes } from "./spec";

/** The node's underlay NIC: where BIRD points same-subnet routes in CrossSubnet. */
export const UNDERLAY_NIC = "net0";
/** Calico's IPIP device. */
export const TUNNEL_DEVICE = "tunl0";
/** Felix's VXLAN device. */
export const VXLAN_DEVICE = "vxlan.calico";
/** Calico's default VXLAN network identifier. */
export const VXLAN_VNI = 4096;
/** Calico's default VXLAN UDP port (IANA's). */
export const VXLAN_PORT = 4789;
/** Outer Ethernet, IPv4, UDP and VXLAN headers: vxlan.calico is the underlay MTU minus this. */
export const VXLAN_OVERHEAD = 50;
/** Calico's default AS: the node-to-node mesh's, and the gateway's in mode Never (iBGP). */
export const CALICO_AS = 64512;
/** The route protocol BIRD's routes carry. */
export const BIRD_PROTO = "bird";
/** The route protocol Felix gives the routes it programs (VXLAN, and blackholes without BIRD). */
export const FELIX_PROTO = "80";
/** The MAC Calico gives every host-side workload veth. */
export const CALI_MAC = "ee:ee:ee:ee:ee:ee";
/** The pods' default gateway: link-local, answered by proxy ARP on the cali veth. */
export const POD_GATEWAY = "169.254.1.1";
/** The Kubernetes namespace of the lab's workload (StatefulSet `pod`). */
export const WORKLOAD_NAMESPACE = "default";
/** IPv4 header bytes IPIP adds: tunl0 and the pods' veths are the underlay MTU minus this. */
export const IPIP_OVERHEAD = 20;

export type { BlackholeRoute, BlockRoute, CalicoRoute, PodRoute, RouteProto } from "./spec";

/** One node's share of the expected data plane. */
export interface NodeDataplane {
  node: string;
  index: number;
  ip: string;
  /** Host side of the pod's veth. */
  cali: string;
  /** In order: own blackhole, pod host route, then remote blocks in node order. */
  routes: CalicoRoute[];
}

/**
 * The host-side veth name of a workload, as Calico's CNI plugin names it:
 * `cali` + the first 11 hex characters of sha1(`<namespace>.<pod>`). Calico hashes the
 * workload's identity so the name is stable across restarts of the same pod, unique per
 * pod, and fits IFNAMSIZ (4 + 11 = 15 characters); using the same rule makes the netns
 * lab show the interface names a real cluster would.
 */
export function caliName(namespace: string, pod: string): string {
  return `cali${crypto.createHash("sha1").update(`${namespace}.${pod}`).digest("hex").slice(0, 11)}`;
}

/** The cali interface of the pod scheduled on `node`. */
export function nodeCaliName(node: NodeSpec): string {
  return caliName(WORKLOAD_NAMESPACE, node.pod.name);
}

/** Whether BIRD runs beside Felix (Calico's `calico_backend: bird`); the netns lab always runs it. */
export interface ControlPlaneOptions {
  /** Default true. Without BIRD, Felix blackholes the node's own blocks. */
  bird?: boolean;
}

/**
 * The route installed on `local` for `remote`'s block under `modes`:
 * - IPIP (BIRD's kernel filter): via the remote node on tunl0, onlink; in CrossSubnet,
 *   plain on the NIC when the remote node is in local's own subnet;
 * - VXLAN (Felix): via the remote VTEP on vxlan.calico, onlink; in CrossSubnet, plain
 *   `via <node> dev <NIC> onlink` within the subnet;
 * - neither (BIRD, iBGP with the gateway peered): via the remote node within the subnet,
 *   else via the gateway, where BIRD's recursive next hop resolves through the default route.
 */
export function blockRoute(modes: PoolModes, local: NodeSpec, remote: NodeSpec): BlockRoute {
  const pool = poolEncapsulation(modes);
  const same = sameSubnet(local, remote);
  const plain = pool.encapsulation === "none" || (pool.crossSubnetOnly && same);
  const base = { kind: "block" as const, dst: remote.block, node: remote.name };
  if (pool.encapsulation === "vxlan") {
    return plain
      ? { ...base, via: remote.ip, dev: UNDERLAY_NIC, proto: FELIX_PROTO, onlink: true }
      : { ...base, via: remote.tunnelIp, dev: VXLAN_DEVICE, proto: FELIX_PROTO, onlink: true };
  }
  if (!plain) return { ...base, via: remote.ip, dev: TUNNEL_DEVICE, proto: BIRD_PROTO, onlink: true };
  return { ...base, via: same ? remote.ip : local.gateway, dev: UNDERLAY_NIC, proto: BIRD_PROTO, onlink: false };
}

/** Every route Calico installs on `local` (the lab's other nodes are `nodes`). */
export function nodeRoutes(modes: PoolModes, local: NodeSpec, nodes: readonly NodeSpec[], options: ControlPlaneOptions = {}): CalicoRoute[] {
  const own: CalicoRoute[] = [
    { kind: "blackhole", dst: local.block, proto: options.bird === false ? FELIX_PROTO : BIRD_PROTO },
    { kind: "pod", dst: local.pod.ip, dev: nodeCaliName(local), scope: "link", pod: local.pod.name },
  ];
  return own.concat(nodes.filter((n) => n.index !== local.index).map((remote) => blockRoute(modes, local, remote)));
}

/** The expected data plane of the whole lab under `modes` (the spec's own by default). */
export function expectedDataplane(spec: LabSpec, modes: PoolModes = spec, options: ControlPlaneOptions = {}): NodeDataplane[] {
  return spec.nodes.map((node) => ({
    node: node.name,
    index: node.index,
    ip: node.ip,
    cali: nodeCaliName(node),
    routes: nodeRoutes(poolModes(modes), node, spec.nodes, options),
  }));
}

/**
 * The gateway's pool routes: in mode Never it peers with every node (iBGP) and installs
 * each block via its node on that node's segment; otherwise it learns none.
 */
export function gatewayRoutes(spec: LabSpec): string[] {
  if (!spec.pool.gatewayPeers) return [];
  return spec.subnets.flatMap((s) => s.nodes.map((n) => `${n.block} via ${n.ip} dev ${s.routerInterface} proto ${BIRD_PROTO}`));
}

/**
 * The MAC Felix gives a node's vxlan.calico: 0x66 (a locally administered unicast
 * prefix) then the first five bytes of sha1(node name), so every node derives every
 * other node's MAC without asking.
 */
export function vxlanMac(nodeName: string): string {
  const hash = crypto.createHash("sha1").update(nodeName).digest();
  return [0x66, ...hash.subarray(0, 5)].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** What Felix programs on `local` for one remote VTEP: a permanent neighbour and FDB entry. */
export interface VxlanPeer {
  node: string;
  /** The remote node's underlay address (the FDB entry's dst). */
  nodeIp: string;
  /** The remote VTEP address (first address of its block). */
  vtep: string;
  mac: string;
}

/** The VXLAN peers of `local`: every other node. */
export function vxlanPeers(local: NodeSpec, nodes: readonly NodeSpec[]): VxlanPeer[] {
  return nodes
    .filter((n) => n.index !== local.index)
    .map((n) => ({ node: n.name, nodeIp: n.ip, vtep: n.tunnelIp, mac: vxlanMac(n.name) }));
}

/**
 * The MTU Felix writes for new pods: the underlay's minus the largest overhead among the
 * enabled encapsulations (IPIP 20, VXLAN 50), the full underlay MTU when none is on.
 */
export function podMtu(mtu: number, modes: PoolModes): number {
  const { encapsulation } = poolEncapsulation(modes);
  if (encapsulation === "ipip") return mtu - IPIP_OVERHEAD;
  if (encapsulation === "vxlan") return mtu - VXLAN_OVERHEAD;
  return mtu;
}

/**
 * What the pool's modes turn on for a lab: derived once, when the spec is built
 * (model/config.ts), and read by every backend, check and report.
 */
export function poolFacts(modes: PoolModes, backend: BackendName, mtu: number): PoolFacts {
  const { encapsulation, crossSubnetOnly } = poolEncapsulation(modes);
  return {
    encapsulation,
    crossSubnetOnly,
    gatewayPeers: encapsulation === "none",
    // Calico's VXLAN manifest sets calico_backend vxlan (no BIRD); the netns lab always runs one.
    bird: backend === "netns" || modes.vxlanMode === "Never",
    podMtu: podMtu(mtu, modes),
  };
}

/** A route in `ip route` syntax, as `ip route show` prints it (and `ip route replace` takes it). */
export function renderRoute(route: CalicoRoute): string {
  switch (route.kind) {
    case "blackhole":
      return `blackhole ${route.dst} proto ${route.proto}`;
    case "pod":
      return `${route.dst} dev ${route.dev} scope ${route.scope}`;
    case "block":
      return `${route.dst} via ${route.via} dev ${route.dev} proto ${route.proto}${route.onlink ? " onlink" : ""}`;
  }
}

/** The destination a route line is keyed by in the main table (`blackhole X` → X). */
export function routeKey(line: string): string {
  const words = line.trim().split(/\s+/);
  return words[0] === "blackhole" || words[0] === "unreachable" || words[0] === "prohibit" ? (words[1] ?? "") : (words[0] ?? "");
}

/**
 * The lines of a routing table whose destination lies in the pool: the node's own
 * blocks, the pod routes and the routes to other nodes' blocks, as the outputs list them.
 */
export function poolRoutes(lines: readonly string[], podSubnet: string): string[] {
  return lines
    .map((l) => l.trim())
    .filter((l) => {
      const address = routeKey(l).split("/")[0];
      return isIPv4(address) && cidrContains(podSubnet, address);
    });
}

/**
 * The lines of `ip route` that are Calico's: those BIRD (`proto bird`) or Felix
 * (`proto 80`) programmed. A regular expression JavaScript and jq's `test` read alike
 * (assets/kind/routes.sh selects with it).
 */
export const CALICO_ROUTE_FILTER = ` proto (${BIRD_PROTO}|${FELIX_PROTO})( |$)`;
const CALICO_PROTO_RE = new RegExp(CALICO_ROUTE_FILTER);

/** The lines of a table that BIRD or Felix programmed. */
export function calicoRouteLines(table: readonly string[]): string[] {
  return table.filter((l) => CALICO_PROTO_RE.test(l));
}

/**
 * The drift check's words for one table: what the model expects that `have` lacks, and
 * what `have` holds that the model does not (each side named); undefined when the two
 * sets agree. Both backends' drift checks judge with it.
 */
export function routeSetDrift(table: string, want: readonly string[], have: readonly string[]): string | undefined {
  const wanted = new Set(want);
  const held = new Set(have);
  const missing = want.filter((r) => !held.has(r));
  const extra = have.filter((r) => !wanted.has(r));
  if (missing.length + extra.length === 0) return undefined;
  return `${table}: the model expects ${JSON.stringify(missing)} which the table lacks; the table has ${JSON.stringify(extra)} which the model does not`;
}
