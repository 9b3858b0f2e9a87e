/**
 * The lab model: one typed, validated description of the lab that every backend,
 * renderer, capture and report reads. Built by `buildLabSpec` (model/config.ts) from
 * stack config; components never see raw config.
 */

/** Calico's IPv4 pool IPIP modes (`spec.ipipMode` of the IPPool). */
export type IpipMode = "Always" | "CrossSubnet" | "Never";
export const IPIP_MODES: readonly IpipMode[] = ["Always", "CrossSubnet", "Never"];

/** Calico's IPv4 pool VXLAN modes (`spec.vxlanMode` of the IPPool). */
export type VxlanMode = "Always" | "CrossSubnet" | "Never";
export const VXLAN_MODES: readonly VxlanMode[] = ["Always", "CrossSubnet", "Never"];

/**
 * The pool's two encapsulation settings. Calico refuses a pool with both enabled, so at
 * most one of them is other than Never (model/validate.ts enforces it).
 */
export interface PoolModes {
  ipipMode: IpipMode;
  vxlanMode: VxlanMode;
}

/** Who decides the pool routes: BIRD run by the lab (netns) or Calico's own calico-node (kind). */
export type ControlPlane = "bird" | "calico";
export const CONTROL_PLANES: readonly ControlPlane[] = ["bird", "calico"];

/** Where the lab runs: Docker + kind + containerlab, or plain network namespaces. */
export type BackendName = "kind" | "netns";
export const BACKENDS: readonly BackendName[] = ["kind", "netns"];

/** What a captured flow carried: IP-in-IP, VXLAN, or the inner packet alone. */
export type Encapsulation = "ipip" | "vxlan" | "none";

/** How tunl0 is realised: the kernel's ipip device or the userspace stand-in. */
export type Dataplane = "calico" | "kernel-ipip" | "userspace-ipip";

/** The protocol a Calico route carries: BIRD's (`bird`), or Felix's (`80`). */
export type RouteProto = "bird" | "80";

/**
 * A route to another node's block. `dev` is tunl0 (IPIP; `onlink` because the next hop
 * is not on tunl0's /32), vxlan.calico (VXLAN; via the remote VTEP, onlink) or the
 * underlay NIC (plain: via the remote node in its subnet, else via the gateway).
 */
export interface BlockRoute {
  kind: "block";
  dst: string;
  via: string;
  dev: "tunl0" | "vxlan.calico" | "net0";
  proto: RouteProto;
  onlink: boolean;
  /** The node that owns the block (not part of the route; for explanations). */
  node: string;
}

/** The node's own block: blackholed so unused addresses of it go nowhere. */
export interface BlackholeRoute {
  kind: "blackhole";
  dst: string;
  proto: RouteProto;
}

/** Felix's host route to a local pod through its cali veth. */
export interface PodRoute {
  kind: "pod";
  dst: string;
  dev: string;
  scope: "link";
  /** The pod's name (not part of the route). */
  pod: string;
}

export type CalicoRoute = BlockRoute | BlackholeRoute | PodRoute;

/**
 * What the pool's modes turn on, derived once from `ipipMode` and `vxlanMode` when the
 * spec is built (model/dataplane.ts `poolFacts`).
 */
export interface PoolFacts {
  /** The encapsulation the pool enables (validation refuses both IPIP and VXLAN). */
  encapsulation: Encapsulation;
  /** CrossSubnet: only traffic between subnets is encapsulated. */
  crossSubnetOnly: boolean;
  /**
   * Whether the gateway peers with the nodes by BGP: only without encapsulation, when the
   * cross-subnet hop carries pod addresses (Calico's docs: the router in the nodes' AS,
   * the mesh left on; eBGP with the mesh loops, calico #3810).
   */
  gatewayPeers: boolean;
  /** Whether a BIRD runs beside Felix on each node (Calico's `calico_backend: bird`). */
  bird: boolean;
  /** The MTU Felix writes for new pods. */
  podMtu: number;
}

export interface NodeSpec {
  /** 1-based position in the topology, in subnet order (the seed's node 1..4). */
  index: number;
  /** Node name; on the kind backend the kind container name (`<lab>-worker2`). */
  name: string;
  role: "control-plane" | "worker";
  /** Underlay address (kubelet node-ip, net0). */
  ip: string;
  /** Prefix length of the underlay address, as Calico's autodetection sees it. */
  prefixLength: number;
  /** The segment's network in CIDR form. */
  subnet: string;
  /** The segment's bridge name. */
  segment: string;
  /** Default gateway on the segment (the router's address). */
  gateway: string;
  /** containerlab sidecar node sharing this node's network namespace (`server1`). */
  sidecar: string;
  /** The Calico IPAM block this node owns (netns backend allocates it; kind reads it back). */
  block: string;
  /** tunl0's address: the first address of the node's block. */
  tunnelIp: string;
  /** The workload pod scheduled on this node (StatefulSet `pod`, ordinal index-1). */
  pod: { name: string; ip: string };
  /** The routes Calico installs on this node in the pool's modes (model/dataplane.ts `nodeRoutes`). */
  routes: CalicoRoute[];
}

export interface SubnetSpec {
  /** Network in CIDR form, e.g. 10.1.5.0/24. */
  cidr: string;
  /** The router's address on this segment. */
  gateway: string;
  /** Linux bridge name of this segment (at most 15 characters). */
  bridge: string;
  /** Router interface on this segment (eth1, eth2, ...; eth0 is management). */
  routerInterface: string;
  /** Nodes on this segment, in order. */
  nodes: NodeSpec[];
}

export interface ImagesSpec {
  kindNode: string;
  gateway: string;
  sidecar: string;
  workload: string;
}

export interface CalicoSpec {
  /** Calico release, e.g. v3.23.2; calico/* image tags are set to it. */
  version: string;
  /** http(s) URL or local path of the calico.yaml manifest. */
  manifest: string;
}

export interface ScenarioSpec {
  /** Name used in outputs and file names, e.g. `same-subnet`. */
  name: string;
  /** Client node index (1-based). */
  client: number;
  /** Server node index (1-based). */
  server: number;
  /** What the client node's underlay must show for this path (model/expect.ts `expectedEncapsulation`). */
  expected: Encapsulation;
}

export interface CaptureSpec {
  /** Upper bound on packets tcpdump keeps per capture. */
  maxPackets: number;
  /** Upper bound on a capture's duration, in seconds. */
  timeoutSeconds: number;
  /** Absolute folder where this stack's pcaps are written. */
  dir: string;
  /** The folders the lab makes for them, outermost first, `dir` last; empty when `dir` is the user's (model/captureDir.ts). */
  made: string[];
}

/**
 * How the nodes exchange routes by BGP: Calico's node-to-node mesh, or, with route
 * reflectors named, the mesh off and every other node a client of the reflectors.
 */
export interface BgpSpec {
  /** The reflectors' node numbers (from 1), in config order; empty: the full mesh. */
  routeReflectors: number[];
  /** The reflectors' `routeReflectorClusterID` (IPv4 dotted quad). */
  clusterId: string;
}

export interface LabSpec {
  /** Lab name: kind cluster name, containerlab lab name, netns name prefix. */
  name: string;
  stack: string;
  backend: BackendName;
  ipipMode: IpipMode;
  vxlanMode: VxlanMode;
  /** What those two modes turn on. */
  pool: PoolFacts;
  /** The BGP topology between the nodes. */
  bgp: BgpSpec;
  /** Pod network (Calico default pool), CIDR. */
  podSubnet: string;
  /** Calico IPAM block prefix length (26 by default). */
  blockSize: number;
  /** Underlay MTU on every link; tunl0 is mtu - 20. */
  mtu: number;
  /** The gateway router (VyOS on kind); in modes without encapsulation it peers with every node by BGP. */
  router: { name: string; container: string };
  /** Supernet the router source-NATs (kind backend) — the smallest network holding every subnet. */
  underlaySupernet: string;
  subnets: SubnetSpec[];
  /** All nodes, in topology order (= subnets' nodes concatenated). */
  nodes: NodeSpec[];
  images: ImagesSpec;
  calico: CalicoSpec;
  scenarios: ScenarioSpec[];
  capture: CaptureSpec;
}

/** Stack outputs: the contract CI, `verify` and `report` read. */
export interface LabOutputs {
  lab: {
    name: string;
    backend: BackendName;
    ipipMode: IpipMode;
    vxlanMode: VxlanMode;
    /** Who programmed the pool routes. */
    controlPlane: ControlPlane;
    podSubnet: string;
    dataplane: Dataplane;
    mtu: number;
    /** The route reflectors by node name (empty: the node-to-node mesh); absent in outputs of labs made before reflectors (mesh). */
    bgp?: { routeReflectors: string[]; clusterId: string };
  };
  /** The gateway and its address on each segment. */
  router: { name: string; interfaces: { name: string; ip: string; subnet: string; segment: string }[] };
  nodes: NodeOutput[];
  pods: { name: string; ip: string; node: string }[];
  captures: CaptureResult[];
  /** "pass" only when there is at least one capture and every capture passed. */
  verdict: "pass" | "fail";
}

/** A BGP session of a node as its BIRD reports it (`birdc show protocols`). */
export interface BgpPeer {
  /** The peer's address. */
  peer: string;
  /** BIRD's state of the session: `Established` when it works (else Idle, Connect, Active, ...). */
  state: string;
}

export interface NodeOutput {
  name: string;
  role: NodeSpec["role"];
  ip: string;
  prefixLength: number;
  subnet: string;
  segment: string;
  /** The node's BGP sessions, read from its BIRD after the routes converged. */
  bgpPeers: BgpPeer[];
  /** The node's pool routes as `ip route` prints them (with `proto`), read back from the node. */
  routes: string[];
}

/** What a backend reads back from a node once its routes converged. */
export type NodeState = Pick<NodeOutput, "name" | "bgpPeers" | "routes">;

export interface CaptureEndpoint {
  pod: string;
  ip: string;
  node: string;
  nodeIp: string;
}

/** The outer header of an encapsulated flow, as the client node's capture saw it (client → server). */
export interface OuterHeader {
  src: string;
  dst: string;
  /** IP protocol: 4 for IPIP, 17 (UDP) for VXLAN. */
  protocol: number;
  /** VXLAN only: the outer UDP source port (the sender hashes the inner flow into it). */
  srcPort?: number;
  /** VXLAN only: the outer UDP destination port (Calico's is 4789). */
  dstPort?: number;
  /** VXLAN only: the network identifier (Calico's is 4096). */
  vni?: number;
}

/** Packets set aside by the judge, and why (one entry per reason). */
export interface IgnoredPackets {
  packets: number;
  reason: string;
}

export interface CaptureResult {
  scenario: string;
  client: CaptureEndpoint;
  server: CaptureEndpoint;
  /** Where tcpdump listened. */
  point: { node: string; interface: string };
  /** Absolute path of the pcap. */
  pcap: string;
  /** Packets in the pcap. */
  packets: number;
  expected: Encapsulation;
  /** What the packets between the two pods showed; "missing" when none were seen. */
  observed: Encapsulation | "mixed" | "missing";
  /** Outer header of the encapsulated flow (null when not encapsulated). */
  outer: OuterHeader | null;
  pass: boolean;
  /** Why it failed, in words; empty when it passed. */
  reason: string;
  /**
   * Encapsulated packets between the two pods that were not the lab's and so were not
   * judged: VXLAN on another UDP port, or to or from an address that is no node of the
   * lab. Absent when there were none (and in outputs of labs before it existed).
   */
  ignored?: IgnoredPackets[];
  /** Routes the client and server nodes used towards each other's pod (`ip route get` style lines). */
  routes: { client: string[]; server: string[] };
}
