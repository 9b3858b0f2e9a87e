/**
 * Pure parts of the netns backend: namespace names, the scripts' environments and the
 * routes plan, all derived from the LabSpec. The component (index.ts) only wires these
 * into Commands; tests and the bench call them directly to run the scripts.
 */
import * as crypto from "crypto";
import * as path from "path";
import { expectedDataplane, nodeCaliName, renderRoute } from "../../lab/dataplane";
import { bridgePortName } from "../../lab/names";
import { Dataplane, LabSpec, NodeSpec, PoolModes } from "../../lab/spec";

/** The folder of the backend's scripts and helpers. */
export const NETNS_ASSETS = path.resolve(__dirname, "..", "..", "assets", "netns");

/** The scripts, by role (each is run as `bash <path>`). */
export const NETNS_SCRIPTS = {
  up: path.join(NETNS_ASSETS, "up.sh"),
  down: path.join(NETNS_ASSETS, "down.sh"),
  routes: path.join(NETNS_ASSETS, "routes.sh"),
  capture: path.join(NETNS_ASSETS, "capture.sh"),
} as const;

/** Where labs keep pid files, logs and batch files: `<root>/<lab>` (tmpfs, gone at reboot). */
export const RUN_ROOT = "/run/calico-ipip-lab";

/** How tunl0 is realised: `auto` uses the kernel's when the ipip module is loaded. */
export type Tunl0Choice = "auto" | "userspace";

/**
 * Above this size the routes plan goes to routes.sh on stdin instead of in NETNS_ROUTES:
 * one environment string may hold at most 128 KiB (Linux MAX_ARG_STRLEN), and the plan
 * grows with the square of the node count (about 60 bytes per node pair).
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
        n.tunnelIp,
        n.block,
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

/** The routes plan for `modes`: per node namespace `@<ns>` then its routes in `ip route` syntax. */
export function routesPlan(spec: LabSpec, modes: PoolModes = spec): string {
  return expectedDataplane(spec, modes)
    .map((dp) => `@${nodeNamespace(spec, spec.nodes[dp.index - 1])}\n${dp.routes.map((r) => `${renderRoute(r)}\n`).join("")}`)
    .join("");
}

/** routes.sh's environment, and the plan on stdin when it is too large for the environment. */
export function routesInvocation(
  spec: LabSpec,
  modes: PoolModes = spec,
  options: Pick<TopologyOptions, "runDir"> = {},
): { environment: Record<string, string>; stdin?: string } {
  const plan = routesPlan(spec, modes);
  const base = { NETNS_LAB: spec.name, NETNS_RUN_DIR: options.runDir ?? runDir(spec), LAB_IPIP_MODE: modes.ipipMode };
  return Buffer.byteLength(plan) <= ENV_PLAN_LIMIT
    ? { environment: { ...base, NETNS_ROUTES: plan } }
    : { environment: { ...base, NETNS_ROUTES: "-" }, stdin: plan };
}

/** capture.sh's own environment (the capture component adds CAPTURE_*, CLIENT_NODE, ...). */
export function captureEnvironment(spec: LabSpec, client: NodeSpec, server: NodeSpec, options: Pick<TopologyOptions, "runDir"> = {}): Record<string, string> {
  return {
    NETNS_LAB: spec.name,
    NETNS_RUN_DIR: options.runDir ?? runDir(spec),
    CLIENT_NODE_NS: nodeNamespace(spec, client),
    SERVER_NODE_NS: nodeNamespace(spec, server),
    CLIENT_POD: client.pod.name,
    CLIENT_POD_NS: podNamespace(spec, client),
    CLIENT_POD_IP: client.pod.ip,
    SERVER_POD: server.pod.name,
    SERVER_POD_NS: podNamespace(spec, server),
    SERVER_POD_IP: server.pod.ip,
  };
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
  const last = stdout.trim().split("\n").pop() ?? "";
  let parsed: Partial<UpResult>;
  try {
    parsed = JSON.parse(last) as Partial<UpResult>;
  } catch {
    throw new Error(`up.sh's last line is not JSON: ${JSON.stringify(last.slice(0, 200))}`);
  }
  if (parsed.dataplane !== "kernel-ipip" && parsed.dataplane !== "userspace-ipip") {
    throw new Error(`up.sh reported dataplane ${JSON.stringify(parsed.dataplane)}; expected kernel-ipip or userspace-ipip`);
  }
  return parsed as UpResult;
}

/** The pods of the lab as the stack outputs list them. */
export function labPods(spec: LabSpec): { name: string; ip: string; node: string }[] {
  return spec.nodes.map((n) => ({ name: n.pod.name, ip: n.pod.ip, node: n.name }));
}
