/**
 * calico-node's work on the netns lab as data: each BIRD's config, Felix's share, the
 * tables to wait for (controlplane.py's plan), how controlplane.sh is invoked, its result
 * and the drift check of that result against the model.
 */
import * as path from "path";
import {
  FELIX_PROTO,
  gatewayRoutes,
  IPIP_OVERHEAD,
  nodeCaliName,
  renderRoute,
  routeSetDrift,
  TUNNEL_DEVICE,
  UNDERLAY_NIC,
  VXLAN_DEVICE,
  VXLAN_OVERHEAD,
  VXLAN_PORT,
  VXLAN_VNI,
  vxlanMac,
  vxlanPeers,
} from "../../model/dataplane";
import { poolModes } from "../../model/expect";
import { LabSpec, NodeSpec, NodeState, PoolModes } from "../../model/spec";
import { lastJsonObject } from "../scriptOutput";
import { gatewayBirdConfig, nodeBirdConfig } from "./bird";
import { bgpSessions, peerProtocolName } from "../../model/bgp";
import { withModes } from "../../model/config";
import { netnsNames, nodeNamespace, podNamespace, runDir } from "./names";
import { TopologyOptions } from "./topology";

/**
 * Above this size the control plane's plan goes to controlplane.sh on stdin instead of in
 * NETNS_CONTROL_PLAN: one environment string may hold at most 128 KiB (Linux
 * MAX_ARG_STRLEN), and the plan grows with the square of the node count (a BGP session
 * and a route per node pair).
 */
export const ENV_PLAN_LIMIT = 64 * 1024;

/**
 * Felix's share on one node for the modes, as the `ip -batch` lines controlplane.py runs:
 * first what the previous modes left removed and tunl0 and the pods' MTU set (before
 * BIRD reloads), then, with VXLAN, vxlan.calico made anew with its neighbours, FDB
 * entries and routes (controlplane.py deletes an existing vxlan.calico before either).
 */
export interface FelixPlan {
  /** In the node's namespace, before BIRD. */
  node: string[];
  /** In the pod's namespace (`podNs`): eth0's MTU. */
  pod: string[];
  podNs: string;
  /** vxlan.calico and its neighbours; empty when VXLAN is off (the device is then removed). */
  vxlan: string[];
  /** vxlan.calico's FDB entries (`bridge -batch`). */
  fdb: string[];
  /** The routes Felix owns (VXLAN modes), in `ip route` syntax; re-applied when they drift. */
  routes: string[];
}

function felixPlan(spec: LabSpec, node: NodeSpec): FelixPlan {
  const { encapsulation, podMtu: pods } = spec.pool;
  const tunnel =
    encapsulation === "ipip"
      ? [`link set ${TUNNEL_DEVICE} mtu ${spec.mtu - IPIP_OVERHEAD} up`, `address replace ${node.tunnelIp}/32 dev ${TUNNEL_DEVICE}`]
      : [`address flush dev ${TUNNEL_DEVICE}`, `link set ${TUNNEL_DEVICE} down`];
  const peers = encapsulation === "vxlan" ? vxlanPeers(node, spec.nodes) : [];
  return {
    node: [...(encapsulation === "vxlan" ? [] : [`route flush proto ${FELIX_PROTO}`]), ...tunnel, `link set ${nodeCaliName(node)} mtu ${pods}`],
    pod: [`link set eth0 mtu ${pods}`],
    podNs: podNamespace(spec, node),
    vxlan:
      encapsulation === "vxlan"
        ? [
            `link add ${VXLAN_DEVICE} address ${vxlanMac(node.name)} mtu ${spec.mtu - VXLAN_OVERHEAD} type vxlan id ${VXLAN_VNI} local ${node.ip} dev ${UNDERLAY_NIC} dstport ${VXLAN_PORT} nolearning`,
            `address add ${node.tunnelIp}/32 dev ${VXLAN_DEVICE}`,
            `link set ${VXLAN_DEVICE} up`,
            ...peers.map((p) => `neigh replace ${p.vtep} lladdr ${p.mac} dev ${VXLAN_DEVICE} nud permanent`),
          ]
        : [],
    fdb: peers.map((p) => `fdb replace ${p.mac} dev ${VXLAN_DEVICE} dst ${p.nodeIp} self permanent`),
    routes: node.routes.filter((r) => r.kind === "block" && r.proto === FELIX_PROTO).map(renderRoute),
  };
}

/** One BIRD of the lab: its namespace, its file key (short: unix socket paths are bounded) and config. */
export interface BirdUnitPlan {
  name: string;
  ns: string;
  /** Names BIRD's files under `<run dir>/bird/`. */
  key: string;
  /** The config, or null when this BIRD must not run in these modes (the gateway). */
  bird: string | null;
  /** The BGP protocols by name, with their peer's address (to report sessions by peer). */
  peers: { name: string; ip: string }[];
  /** The pool routes its table must hold once converged, as `ip route` prints them. */
  routes: string[];
  /** False: only read (routes, sessions); its own step configures and runs its BIRD. */
  manage: boolean;
  /**
   * The listen queue to give this BIRD once it listens (`birdListenQueue`), or null to
   * leave it as BIRD has it: its own 8, or what an earlier mode of this lab widened it to.
   */
  listenQueue: number | null;
}

/** The backlog BIRD 2 listens with for BGP (hard-coded; `ss -ltn` shows it as Send-Q). */
export const BIRD_LISTEN_BACKLOG = 8;

/**
 * The listen queue a BIRD needs when `incoming` peers connect to it: null (BIRD's own 8)
 * while they fit, else one place per peer. On one host every node's BIRD starts within a
 * second and connects 1.5-2 s later (the connect delay); a reflector's queue of 8 then
 * overflowed about a thousand times at 256 nodes, and a mesh node's 165,000 times, each
 * drop a SYN sent again a second later. A real cluster's nodes do not start in the same
 * second, so this changes when sessions come up on one host, not which.
 */
export function birdListenQueue(incoming: number): number | null {
  return incoming > BIRD_LISTEN_BACKLOG ? incoming : null;
}

/** controlplane.py's input (its `plan`): see assets/netns/controlplane.py. */
export interface ControlPlanePlan {
  lab: string;
  /** The modes this plan realises (controlplane.sh reports them). */
  modes: PoolModes;
  podSubnet: string;
  timeoutSeconds: number;
  /** Wait until every unit's table and sessions are as expected (else only configure). */
  wait: boolean;
  nodes: (BirdUnitPlan & { bird: string; felix: FelixPlan })[];
  gateway: BirdUnitPlan | null;
}

/**
 * How long the control plane may take to converge: BIRD waits 2 s before it connects
 * (Calico's `connect delay time`), then each session adds work; a full mesh of n nodes
 * has n(n-1)/2 sessions. Generous, since a failure then lists what never came.
 */
export function convergenceTimeout(nodes: number): number {
  return 20 + Math.ceil((nodes * (nodes - 1)) / 2 / 20);
}

/**
 * The control plane of the lab's nodes in `modes`: each BIRD's config, Felix's share, and
 * the tables to wait for — the nodes' and the gateway's (its BIRD, started by the
 * gateway's own step beforehand, is read here, not run).
 */
export function controlPlanePlan(spec: LabSpec, modes: PoolModes = spec): ControlPlanePlan {
  const lab = inModes(spec, modes);
  return {
    ...planOf(lab, true),
    nodes: lab.nodes.map((node) => {
      const sessions = bgpSessions(lab, node);
      return {
        name: node.name,
        ns: nodeNamespace(lab, node),
        key: `n${node.index}`,
        bird: nodeBirdConfig(lab, node),
        peers: sessions.map((p) => ({ name: p.name, ip: p.ip })),
        routes: node.routes.map(renderRoute),
        felix: felixPlan(lab, node),
        manage: true,
        listenQueue: birdListenQueue(sessions.filter((p) => p.passive).length),
      };
    }),
    gateway: { ...gatewayUnit(lab), manage: false },
  };
}

/** What every plan of `lab` states: the lab, its modes and pool, how long to wait and whether to. */
function planOf(lab: LabSpec, wait: boolean): Pick<ControlPlanePlan, "lab" | "modes" | "podSubnet" | "timeoutSeconds" | "wait"> {
  return { lab: lab.name, modes: poolModes(lab), podSubnet: lab.podSubnet, timeoutSeconds: convergenceTimeout(lab.nodes.length), wait };
}

/** The spec itself in its own modes; in others (a live switch), as withModes derives it. */
function inModes(spec: LabSpec, modes: PoolModes): LabSpec {
  return modes.ipipMode === spec.ipipMode && modes.vxlanMode === spec.vxlanMode ? spec : withModes(spec, modes);
}

function gatewayUnit(spec: LabSpec): Omit<BirdUnitPlan, "manage"> {
  const config = gatewayBirdConfig(spec);
  return {
    name: spec.router.name,
    ns: netnsNames(spec).router,
    key: "gateway",
    bird: config,
    peers: config === null ? [] : spec.nodes.map((n) => ({ name: peerProtocolName("Node", n.ip), ip: n.ip })),
    routes: gatewayRoutes(spec),
    // Every node connects to the gateway (its sessions there are never passive).
    listenQueue: config === null ? null : birdListenQueue(spec.nodes.length),
  };
}

/**
 * The gateway's own step in `modes`: its BIRD started or reloaded to peer with every node
 * in mode Never, stopped otherwise; no wait (the nodes' step waits for its table too).
 */
export function gatewayPlan(spec: LabSpec, modes: PoolModes = spec): ControlPlanePlan {
  const lab = inModes(spec, modes);
  return {
    ...planOf(lab, false),
    nodes: [],
    gateway: { ...gatewayUnit(lab), manage: true },
  };
}

/** The longest path a unix socket may have (sun_path's 108 bytes, less the final NUL). */
const UNIX_SOCKET_PATH_MAX = 107;

/** Where controlplane.py has a BIRD listen for its control connections. */
function birdSocket(dir: string, key: string): string {
  return path.join(dir, "bird", `${key}.ctl`);
}

/** controlplane.sh's environment, and the plan on stdin when it is too large for the environment. */
export function controlPlaneInvocation(
  spec: LabSpec,
  plan: ControlPlanePlan,
  options: Pick<TopologyOptions, "runDir"> = {},
): { environment: Record<string, string>; stdin?: string } {
  const text = JSON.stringify(plan);
  const base = { NETNS_LAB: spec.name, NETNS_RUN_DIR: options.runDir ?? runDir(spec) };
  const longest = [...plan.nodes, plan.gateway].reduce((n, u) => Math.max(n, u === null ? 0 : Buffer.byteLength(birdSocket(base.NETNS_RUN_DIR, u.key))), 0);
  if (longest > UNIX_SOCKET_PATH_MAX) {
    throw new Error(`the run dir ${base.NETNS_RUN_DIR} is too long: BIRD's control sockets under it need ${longest} bytes, more than a unix socket path allows (${UNIX_SOCKET_PATH_MAX})`);
  }
  return Buffer.byteLength(text) <= ENV_PLAN_LIMIT
    ? { environment: { ...base, NETNS_CONTROL_PLAN: text } }
    : { environment: { ...base, NETNS_CONTROL_PLAN: "-" }, stdin: text };
}

/** What controlplane.sh prints as its last stdout line. */
export interface ControlPlaneResult {
  nodes: (NodeState & { ns: string })[];
  gateway: (NodeState & { ns: string }) | null;
  seconds: number;
}

export function parseControlPlaneOutput(stdout: string): ControlPlaneResult {
  const { value, line: last } = lastJsonObject(stdout, "controlplane.sh");
  const parsed = value as Partial<ControlPlaneResult>;
  if (!Array.isArray(parsed.nodes)) throw new Error(`controlplane.sh's result lacks nodes: ${last.slice(0, 200)}`);
  return { nodes: parsed.nodes, gateway: parsed.gateway ?? null, seconds: parsed.seconds ?? 0 };
}

/**
 * The drift check: the tables BIRD and Felix produced against the model. Every node's
 * (and the gateway's) pool routes must be exactly the expected ones; a difference is an
 * error that names both sides. controlplane.py waits for the same condition; this check
 * keeps the verdict independent of that script.
 */
export function driftProblems(expected: ControlPlanePlan, result: ControlPlaneResult): string[] {
  const seen = new Map<string, string[]>();
  for (const unit of [...result.nodes, ...(result.gateway ? [result.gateway] : [])]) seen.set(unit.ns, unit.routes);
  const problems: string[] = [];
  for (const unit of [...expected.nodes, ...(expected.gateway ? [expected.gateway] : [])]) {
    const have = seen.get(unit.ns);
    if (have === undefined) {
      problems.push(`${unit.name} (${unit.ns}): no routes were read back`);
      continue;
    }
    const drift = routeSetDrift(`${unit.name} (${unit.ns})`, unit.routes, have);
    if (drift !== undefined) problems.push(drift);
  }
  return problems;
}
