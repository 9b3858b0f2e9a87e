/**
 * Pure parts of the netns backend: namespace names, the scripts' environments and the
 * routes plan, all derived from the LabSpec. The component (index.ts) only wires these
 * into Commands; tests and the bench call them directly to run the scripts.
 */
import * as crypto from "crypto";
import * as path from "path";
import {
  CalicoRoute,
  expectedDataplane,
  FELIX_PROTO,
  gatewayRoutes,
  IPIP_OVERHEAD,
  nodeCaliName,
  podMtu,
  renderRoute,
  UNDERLAY_NIC,
  VXLAN_OVERHEAD,
  VXLAN_PORT,
  VXLAN_VNI,
  vxlanMac,
  VxlanPeer,
  vxlanPeers,
} from "../../lab/dataplane";
import { poolEncapsulation } from "../../lab/expect";
import { gatewayBirdConfig, nodeBirdConfig, nodePeers, peerProtocolName } from "./bird";
import { bridgePortName } from "../../lab/names";
import { lastJsonObject } from "../scriptOutput";
import { Dataplane, LabSpec, NodeSpec, NodeState, PoolModes } from "../../lab/spec";

/** The folder of the backend's scripts and helpers. */
export const NETNS_ASSETS = path.resolve(__dirname, "..", "..", "assets", "netns");

/** The scripts, by role (each is run as `bash <path>`). */
export const NETNS_SCRIPTS = {
  up: path.join(NETNS_ASSETS, "up.sh"),
  down: path.join(NETNS_ASSETS, "down.sh"),
  controlPlane: path.join(NETNS_ASSETS, "controlplane.sh"),
  capture: path.join(NETNS_ASSETS, "capture.sh"),
} as const;

/** Where labs keep pid files, logs and batch files: `<root>/<lab>` (tmpfs, gone at reboot). */
export const RUN_ROOT = "/run/calico-ipip-lab";

/** How tunl0 is realised: `auto` uses the kernel's when the ipip module is loaded. */
export type Tunl0Choice = "auto" | "userspace";

/**
 * Above this size the control plane's plan goes to controlplane.sh on stdin instead of in
 * NETNS_CONTROL_PLAN: one environment string may hold at most 128 KiB (Linux
 * MAX_ARG_STRLEN), and the plan grows with the square of the node count (a BGP session
 * and a route per node pair).
 */
export const ENV_PLAN_LIMIT = 64 * 1024;

/**
 * The suffixes of the lab's own namespaces (`ul`, `n<k>`, `p<k>`): a router name that is
 * or ends in one would make its namespace ambiguous.
 */
const RESERVED_SUFFIX = /(^|-)(ul|[np]\d+)$/;

/** The lab's namespaces: all start with `<lab>-`, so two labs never share one. */
export interface NetnsNames {
  /** Holds the segment bridges: `<lab>-ul`. */
  underlay: string;
  /** The gateway: `<lab>-<router name>`. */
  router: string;
  /** Node namespaces in node order: `<lab>-n<index>`. */
  nodes: string[];
  /** Pod namespaces in node order: `<lab>-p<index>`. */
  pods: string[];
}

export function nodeNamespace(spec: LabSpec, node: NodeSpec): string {
  return `${spec.name}-n${node.index}`;
}

export function podNamespace(spec: LabSpec, node: NodeSpec): string {
  return `${spec.name}-p${node.index}`;
}

export function netnsNames(spec: LabSpec): NetnsNames {
  if (RESERVED_SUFFIX.test(spec.router.name)) {
    throw new Error(
      `topology.router.name: ${JSON.stringify(spec.router.name)} is not valid on the netns backend; ` +
        "its namespace would clash with the lab's own (names ending in ul, n<number>, p<number>): choose another name, e.g. gw0",
    );
  }
  return {
    underlay: `${spec.name}-ul`,
    router: `${spec.name}-${spec.router.name}`,
    nodes: spec.nodes.map((n) => nodeNamespace(spec, n)),
    pods: spec.nodes.map((n) => podNamespace(spec, n)),
  };
}

export function allNamespaces(names: NetnsNames): string[] {
  return [names.underlay, names.router, ...names.nodes, ...names.pods];
}

export function runDir(spec: LabSpec, root: string = RUN_ROOT): string {
  return path.join(root, spec.name);
}

export interface TopologyOptions {
  /** Run dir (default `/run/calico-ipip-lab/<lab>`); its last part must be the lab name. */
  runDir?: string;
  /** tunl0 realisation (default auto). */
  tunl0?: Tunl0Choice;
}

/**
 * The environment of up.sh and down.sh (see assets/netns/lib.sh). It holds no IPIP
 * mode, so a mode change never rebuilds the topology.
 */
export function topologyEnvironment(spec: LabSpec, options: TopologyOptions = {}): Record<string, string> {
  const names = netnsNames(spec);
  const subnets = spec.subnets.map((s) => `${s.bridge} ${s.routerInterface} ${s.gateway} ${s.cidr.split("/")[1]}`);
  const nodes = spec.subnets.flatMap((s) =>
    s.nodes.map((n, k) =>
      [
        nodeNamespace(spec, n),
        s.bridge,
        bridgePortName(s.bridge, k + 1),
        n.ip,
        n.prefixLength,
        n.gateway,
        podNamespace(spec, n),
        n.pod.ip,
        nodeCaliName(n),
      ].join(" "),
    ),
  );
  return {
    NETNS_LAB: spec.name,
    NETNS_RUN_DIR: options.runDir ?? runDir(spec),
    NETNS_UNDERLAY: names.underlay,
    NETNS_ROUTER: names.router,
    NETNS_MTU: String(spec.mtu),
    NETNS_TUNL0: options.tunl0 ?? "auto",
    NETNS_SUBNETS: subnets.join("\n"),
    NETNS_NODES: nodes.join("\n"),
  };
}

/** A short digest of the topology environment: it changes exactly when the lab must be rebuilt. */
export function topologyDigest(env: Record<string, string>): string {
  const keys = Object.keys(env).sort();
  return crypto
    .createHash("sha256")
    .update(JSON.stringify(keys.map((k) => [k, env[k]])))
    .digest("hex")
    .slice(0, 16);
}

/** Felix's share on one node for the modes (controlplane.py programs it). */
export interface FelixPlan {
  /** tunl0's address and MTU when IPIP is on, else null (address flushed, link down). */
  tunl0: { address: string; mtu: number } | null;
  /** vxlan.calico when VXLAN is on, else null (the device and all it carries removed). */
  vxlan: { address: string; mac: string; mtu: number; vni: number; port: number; local: string; parent: string; peers: VxlanPeer[] } | null;
  /** The routes Felix owns (VXLAN modes), in `ip route` syntax. */
  routes: string[];
  podMtu: number;
  cali: string;
  podNs: string;
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
}

/** controlplane.py's input (its `plan`): see assets/netns/controlplane.py. */
export interface ControlPlanePlan {
  lab: string;
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

function felixPlan(spec: LabSpec, node: NodeSpec, modes: PoolModes, routes: CalicoRoute[]): FelixPlan {
  const { encapsulation } = poolEncapsulation(modes);
  return {
    tunl0: encapsulation === "ipip" ? { address: node.tunnelIp, mtu: spec.mtu - IPIP_OVERHEAD } : null,
    vxlan:
      encapsulation === "vxlan"
        ? {
            address: node.tunnelIp,
            mac: vxlanMac(node.name),
            mtu: spec.mtu - VXLAN_OVERHEAD,
            vni: VXLAN_VNI,
            port: VXLAN_PORT,
            local: node.ip,
            parent: UNDERLAY_NIC,
            peers: vxlanPeers(node, spec.nodes),
          }
        : null,
    routes: routes.filter((r) => r.kind === "block" && r.proto === FELIX_PROTO).map(renderRoute),
    podMtu: podMtu(spec.mtu, modes),
    cali: nodeCaliName(node),
    podNs: podNamespace(spec, node),
  };
}

/**
 * The control plane of the lab's nodes in `modes`: each BIRD's config, Felix's share, and
 * the tables to wait for — the nodes' and the gateway's (its BIRD, started by the
 * gateway's own step beforehand, is read here, not run).
 */
export function controlPlanePlan(spec: LabSpec, modes: PoolModes = spec): ControlPlanePlan {
  const expected = expectedDataplane(spec, modes);
  return {
    lab: spec.name,
    podSubnet: spec.podSubnet,
    timeoutSeconds: convergenceTimeout(spec.nodes.length),
    wait: true,
    nodes: spec.nodes.map((node, i) => ({
      name: node.name,
      ns: nodeNamespace(spec, node),
      key: `n${node.index}`,
      bird: nodeBirdConfig(spec, node, modes),
      peers: nodePeers(spec, node, modes).map((p) => ({ name: p.name, ip: p.ip })),
      routes: expected[i].routes.map(renderRoute),
      felix: felixPlan(spec, node, modes, expected[i].routes),
      manage: true,
    })),
    gateway: { ...gatewayUnit(spec, modes), manage: false },
  };
}

function gatewayUnit(spec: LabSpec, modes: PoolModes): Omit<BirdUnitPlan, "manage"> {
  const config = gatewayBirdConfig(spec, modes);
  return {
    name: spec.router.name,
    ns: netnsNames(spec).router,
    key: "gateway",
    bird: config,
    peers: config === null ? [] : spec.nodes.map((n) => ({ name: peerProtocolName("Node", n.ip), ip: n.ip })),
    routes: gatewayRoutes(spec, modes),
  };
}

/**
 * The gateway's own step in `modes`: its BIRD started or reloaded to peer with every node
 * in mode Never, stopped otherwise; no wait (the nodes' step waits for its table too).
 */
export function gatewayPlan(spec: LabSpec, modes: PoolModes = spec): ControlPlanePlan {
  return {
    lab: spec.name,
    podSubnet: spec.podSubnet,
    timeoutSeconds: convergenceTimeout(spec.nodes.length),
    wait: false,
    nodes: [],
    gateway: { ...gatewayUnit(spec, modes), manage: true },
  };
}

/** controlplane.sh's environment, and the plan on stdin when it is too large for the environment. */
export function controlPlaneInvocation(
  spec: LabSpec,
  plan: ControlPlanePlan,
  modes: PoolModes = spec,
  options: Pick<TopologyOptions, "runDir"> = {},
): { environment: Record<string, string>; stdin?: string } {
  const text = JSON.stringify(plan);
  const base = { NETNS_LAB: spec.name, NETNS_RUN_DIR: options.runDir ?? runDir(spec), LAB_IPIP_MODE: modes.ipipMode, LAB_VXLAN_MODE: modes.vxlanMode };
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
    const want = new Set(unit.routes);
    const got = new Set(have);
    const missing = unit.routes.filter((r) => !got.has(r));
    const extra = have.filter((r) => !want.has(r));
    if (missing.length + extra.length > 0) {
      problems.push(
        `${unit.name} (${unit.ns}): the model expects ${JSON.stringify(missing)} which the table lacks; the table has ${JSON.stringify(extra)} which the model does not`,
      );
    }
  }
  return problems;
}

/** What up.sh prints as its last stdout line. */
export interface UpResult {
  lab: string;
  dataplane: Extract<Dataplane, "kernel-ipip" | "userspace-ipip">;
  runDir: string;
  namespaces: number;
  nodes: number;
  seconds: number;
  createdAt: string;
}

export function parseUpOutput(stdout: string): UpResult {
  const parsed = lastJsonObject(stdout, "up.sh").value as Partial<UpResult>;
  if (parsed.dataplane !== "kernel-ipip" && parsed.dataplane !== "userspace-ipip") {
    throw new Error(`up.sh reported dataplane ${JSON.stringify(parsed.dataplane)}; expected kernel-ipip or userspace-ipip`);
  }
  return parsed as UpResult;
}

/** The pods of the lab as the stack outputs list them. */
export function labPods(spec: LabSpec): { name: string; ip: string; node: string }[] {
  return spec.nodes.map((n) => ({ name: n.pod.name, ip: n.pod.ip, node: n.name }));
}
