/**
 * The expected data plane: from a LabSpec and an IPIP mode, the routes Calico installs
 * on every node (DESIGN.md section 4). Pure: the netns backend renders these into
 * `ip -batch` files and programs them; the kind backend reads the real routes back and
 * diffs them against these; the analysis explains a verdict with them.
 */
import * as crypto from "crypto";
import { sameSubnet } from "./expect";
import { IpipMode, LabSpec, NodeSpec } from "./spec";

/** The node's underlay NIC: where BIRD points same-subnet routes in CrossSubnet. */
export const UNDERLAY_NIC = "net0";
/** Calico's IPIP device. */
export const TUNNEL_DEVICE = "tunl0";
/** The MAC Calico gives every host-side workload veth. */
export const CALI_MAC = "ee:ee:ee:ee:ee:ee";
/** The pods' default gateway: link-local, answered by proxy ARP on the cali veth. */
export const POD_GATEWAY = "169.254.1.1";
/** The Kubernetes namespace of the lab's workload (StatefulSet `pod`). */
export const WORKLOAD_NAMESPACE = "default";
/** IPv4 header bytes IPIP adds: tunl0 and the pods' veths are the underlay MTU minus this. */
export const IPIP_OVERHEAD = 20;

/**
 * A route to another node's block, as BIRD installs it. `dev` is tunl0 (encapsulated,
 * `onlink` because the next hop is not on tunl0's /32) or the underlay NIC (plain).
 */
export interface BlockRoute {
  kind: "block";
  dst: string;
  via: string;
  dev: typeof TUNNEL_DEVICE | typeof UNDERLAY_NIC;
  proto: "bird";
  onlink: boolean;
  /** The node that owns the block (not part of the route; for explanations). */
  node: string;
}

/** The node's own block: BIRD blackholes it so unused addresses of it go nowhere. */
export interface BlackholeRoute {
  kind: "blackhole";
  dst: string;
  proto: "bird";
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

/** The route BIRD installs on `local` for `remote`'s block in `mode`. */
export function blockRoute(mode: IpipMode, local: NodeSpec, remote: NodeSpec): BlockRoute {
  const plain = mode === "CrossSubnet" && sameSubnet(local, remote);
  return plain
    ? { kind: "block", dst: remote.block, via: remote.ip, dev: UNDERLAY_NIC, proto: "bird", onlink: false, node: remote.name }
    : { kind: "block", dst: remote.block, via: remote.ip, dev: TUNNEL_DEVICE, proto: "bird", onlink: true, node: remote.name };
}

/** Every route Calico installs on `local` (the lab's other nodes are `nodes`). */
export function nodeRoutes(mode: IpipMode, local: NodeSpec, nodes: readonly NodeSpec[]): CalicoRoute[] {
  const own: CalicoRoute[] = [
    { kind: "blackhole", dst: local.block, proto: "bird" },
    { kind: "pod", dst: local.pod.ip, dev: nodeCaliName(local), scope: "link", pod: local.pod.name },
  ];
  return own.concat(nodes.filter((n) => n.index !== local.index).map((remote) => blockRoute(mode, local, remote)));
}

/** The expected data plane of the whole lab in `mode` (the spec's own mode by default). */
export function expectedDataplane(spec: LabSpec, mode: IpipMode = spec.ipipMode): NodeDataplane[] {
  return spec.nodes.map((node) => ({
    node: node.name,
    index: node.index,
    ip: node.ip,
    cali: nodeCaliName(node),
    routes: nodeRoutes(mode, node, spec.nodes),
  }));
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

/** One node's routes as an `ip -batch` file: `route replace` is idempotent, so re-runs converge. */
export function renderRouteBatch(node: NodeDataplane): string {
  return node.routes.map((r) => `route replace ${renderRoute(r)}\n`).join("");
}

/** The destination a route line is keyed by in the main table (`blackhole X` → X). */
export function routeKey(line: string): string {
  const words = line.trim().split(/\s+/);
  return words[0] === "blackhole" || words[0] === "unreachable" || words[0] === "prohibit" ? (words[1] ?? "") : (words[0] ?? "");
}

/**
 * A route line reduced to what Calico decides (destination, type, gateway, device,
 * protocol, scope, onlink), so lines printed by `ip route show` compare with
 * `renderRoute`: it drops what the kernel adds (`linkdown`, `metric 0`, `src ...`).
 */
export function normalizeRouteLine(line: string): string {
  const words = line.trim().split(/\s+/).filter((w) => w.length > 0);
  const out: string[] = [];
  const keep = new Set(["via", "dev", "proto", "scope"]);
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (i === 0 || (i === 1 && out[0] === "blackhole")) out.push(w);
    else if (keep.has(w) && i + 1 < words.length) {
      out.push(w, words[i + 1]);
      i++;
    } else if (w === "onlink") out.push(w);
    else if (w === "metric" || w === "src" || w === "table" || w === "mtu" || w === "expires") i++;
  }
  return out.join(" ");
}

/** What differs between the expected routes and the lines a node's table shows. */
export interface RouteDiff {
  /** Expected routes the node lacks (or has in another form), rendered. */
  missing: string[];
  /** Lines the node has for an expected destination but in another form, or extra `proto bird` routes. */
  unexpected: string[];
}

/**
 * Compare a node's expected routes with `ip route show` lines. Only destinations Calico
 * owns are judged: expected ones, plus any other `proto bird` route (a stale block).
 */
export function diffRoutes(expected: readonly CalicoRoute[], actualLines: readonly string[]): RouteDiff {
  const want = new Map(expected.map((r) => [routeKey(renderRoute(r)), normalizeRouteLine(renderRoute(r))]));
  const have = new Map<string, string>();
  for (const line of actualLines) {
    if (line.trim() === "") continue;
    have.set(routeKey(line), normalizeRouteLine(line));
  }
  const missing: string[] = [];
  const unexpected: string[] = [];
  for (const [key, line] of want) {
    const got = have.get(key);
    if (got !== line) {
      missing.push(line);
      if (got !== undefined) unexpected.push(got);
    }
  }
  for (const [key, line] of have) {
    if (!want.has(key) && / proto bird\b/.test(line)) unexpected.push(line);
  }
  return { missing, unexpected };
}
