/**
 * The BGP sessions picture's geometry, computed from one stack's outputs: each node's
 * reported sessions (`nodes[].bgpPeers`) joined into one edge per pair, the reflectors
 * (`lab.bgp.routeReflectors`; absent in older outputs: the mesh) in a row above their
 * clients, the gateway as a bar under the nodes when they peer with it. Every node has a
 * column of its own, in output order, so a line between the rows or down to the gateway
 * never crosses a box. Pure: rendering to SVG is in svg.ts.
 */
import type { LabOutputs } from "../model/spec";
import { inSubnet } from "./topology";
import type { Box, Point } from "./topology";

export const S_NODE_W = 150;
export const S_NODE_H = 76;
export const S_GAP = 18;
export const S_MARGIN = 20;
/** Between the reflectors' row and the clients' row. */
export const ROW_GAP = 110;
/** Between the lowest nodes and the gateway bar. */
export const GW_GAP = 56;
export const GW_BAR_H = 30;
/** Arc peaks: the nearest neighbours' lowest, each column further adds a step, up to the most. */
export const ARC_MIN = 22;
export const ARC_STEP = 18;
export const ARC_MAX = 150;
/**
 * Beyond this many nodes the mesh's Established sessions are counted, not drawn: 256
 * nodes mesh in 32,640 sessions, megabytes of arcs no one can tell apart. Those not
 * Established are always drawn.
 */
export const MESH_DRAW_LIMIT = 64;

export type BgpRole = "reflector" | "client" | "mesh";

/**
 * What a session joins: two meshing nodes, two reflectors, a reflector and its client,
 * two clients (not Calico's design: clients peer only with reflectors), or a node and
 * the gateway.
 */
export type SessionKind = "mesh" | "reflectors" | "client" | "client-client" | "gateway";

export interface SessionNode {
  name: string;
  ip: string;
  role: BgpRole;
  box: Box;
  /** The sessions it reports, and how many of them are Established. */
  sessions: number;
  established: number;
}

export interface SessionEdge {
  /** The node listed first in the outputs. */
  a: string;
  /** The other node's name; the gateway's address for a gateway session. */
  b: string;
  kind: SessionKind;
  /** What each reporting end says, `<node>: <state>`. */
  states: string[];
  /** Every end that reports it says Established. */
  established: boolean;
  /** A node lists the other but the other, a node too, does not list it back. */
  oneSided: boolean;
  /** A straight line (between rows, or down to the gateway) or an arc over one row. */
  shape: { type: "line"; from: Point; to: Point } | { type: "arc"; from: Point; to: Point; control: Point };
  /** Where a mark on the session goes (the middle of the line or the arc's top). */
  mid: Point;
  /** False for an Established mesh session of a lab over MESH_DRAW_LIMIT nodes. */
  drawn: boolean;
}

/** A session with an address that is no node's and not the gateway's. */
export interface StraySession {
  node: string;
  peer: string;
  state: string;
}

export interface SessionsLayout {
  width: number;
  height: number;
  /** The reflectors' names from the outputs, in node order; empty: the mesh. */
  reflectors: string[];
  clusterId?: string;
  /** The outputs predate lab.bgp: the mesh is assumed. */
  assumedMesh: boolean;
  nodes: SessionNode[];
  /** Established sessions first, then the others (drawn apart, on top). */
  edges: SessionEdge[];
  gateway?: { box: Box; name: string; addresses: string[] };
  strays: StraySession[];
}

const ESTABLISHED = "Established";

/** The arc's peak over one row for two columns `span` apart. */
export function arcPeak(span: number): number {
  return Math.min(ARC_MAX, ARC_MIN + (Math.max(1, span) - 1) * ARC_STEP);
}

/** Along a box's edge, where a session towards column `toward` of `count` meets it: the fan keeps the ends apart. */
function fanX(box: Box, toward: number, count: number): number {
  return box.x + 12 + ((box.w - 24) * toward) / Math.max(1, count - 1);
}

function kindOf(reflectors: ReadonlySet<string>, a: string, b: string): SessionKind {
  if (reflectors.size === 0) return "mesh";
  const ra = reflectors.has(a);
  const rb = reflectors.has(b);
  return ra && rb ? "reflectors" : ra || rb ? "client" : "client-client";
}

/** Session counts in words: `6 sessions, 5 Established, 1 not`. */
export function sessionCounts(edges: readonly SessionEdge[]): string {
  const up = edges.filter((e) => e.established).length;
  const down = edges.length - up;
  return `${edges.length} session${edges.length === 1 ? "" : "s"}, ${up} Established${down ? `, ${down} not` : ""}`;
}

/** The picture in one line: who peers with whom, and how many sessions are up. */
export function sessionsSummary(t: SessionsLayout): string {
  const nodes = t.edges.filter((e) => e.kind !== "gateway");
  const gw = t.edges.filter((e) => e.kind === "gateway");
  const shape =
    t.reflectors.length === 0
      ? `node-to-node mesh of ${t.nodes.length} nodes${t.assumedMesh ? " (outputs without lab.bgp: mesh assumed)" : ""}`
      : `route reflector${t.reflectors.length === 1 ? "" : "s"} ${t.reflectors.join(", ")} (cluster ID ${t.clusterId ?? "?"}), ${t.nodes.length - t.reflectors.length} clients`;
  const gateway = gw.length ? `; ${sessionCounts(gw)} with the gateway` : "";
  const hidden = t.edges.filter((e) => !e.drawn).length;
  const note = hidden ? ` (over ${MESH_DRAW_LIMIT} nodes the ${hidden} Established mesh sessions are not drawn)` : "";
  return `${shape}: ${sessionCounts(nodes)} between nodes${gateway}${note}`;
}

export function layoutSessions(out: LabOutputs): SessionsLayout {
  const reflectors = out.nodes.filter((n) => out.lab.bgp?.routeReflectors.includes(n.name)).map((n) => n.name);
  const rr = new Set(reflectors);
  const twoRows = rr.size > 0;
  const count = out.nodes.length;
  const byIp = new Map(out.nodes.map((n) => [n.ip, n.name]));
  const gatewayIps = new Set((out.router?.interfaces ?? []).map((i) => i.ip));
  const column = new Map(out.nodes.map((n, i) => [n.name, i]));

  // One edge per pair of nodes, one per node for the gateway; other addresses are strays.
  type Raw = { a: string; b: string; kind: SessionKind; ends: { node: string; state: string }[] };
  const raw = new Map<string, Raw>();
  const strays: StraySession[] = [];
  for (const n of out.nodes) {
    for (const p of n.bgpPeers) {
      const peer = byIp.get(p.peer);
      // Outputs older than `router`: the gateway is the address on the node's own segment that is no node's.
      const gatewayPeer = gatewayIps.has(p.peer) || (out.router === undefined && inSubnet(p.peer, n.subnet));
      if (peer === undefined && !gatewayPeer) {
        strays.push({ node: n.name, peer: p.peer, state: p.state });
        continue;
      }
      const [a, b] = peer === undefined ? [n.name, p.peer] : column.get(n.name)! < column.get(peer)! ? [n.name, peer] : [peer, n.name];
      const key = `${a}\u0000${b}`;
      const edge = raw.get(key) ?? { a, b, kind: peer === undefined ? "gateway" : kindOf(rr, a, b), ends: [] };
      edge.ends.push({ node: n.name, state: p.state });
      raw.set(key, edge);
    }
  }

  // Rows: the reflectors above, the others below; arcs over the top row need their room.
  const arcSpan = (row: (name: string) => boolean): number =>
    Math.max(0, ...[...raw.values()].filter((e) => e.kind !== "gateway" && row(e.a) && row(e.b)).map((e) => arcPeak(column.get(e.b)! - column.get(e.a)!)));
  const topRoom = arcSpan(twoRows ? (x) => rr.has(x) : () => true);
  const topY = S_MARGIN + 16 + topRoom;
  const lowY = twoRows ? topY + S_NODE_H + ROW_GAP : topY;
  const nodes: SessionNode[] = out.nodes.map((n, i) => {
    const role: BgpRole = !twoRows ? "mesh" : rr.has(n.name) ? "reflector" : "client";
    return {
      name: n.name,
      ip: n.ip,
      role,
      box: { x: S_MARGIN + i * (S_NODE_W + S_GAP), y: role === "reflector" ? topY : lowY, w: S_NODE_W, h: S_NODE_H },
      sessions: n.bgpPeers.length,
      established: n.bgpPeers.filter((p) => p.state === ESTABLISHED).length,
    };
  });
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const width = Math.max(2 * S_MARGIN + count * (S_NODE_W + S_GAP) - S_GAP, 2 * S_MARGIN + S_NODE_W);

  const gwEdges = [...raw.values()].filter((e) => e.kind === "gateway");
  const gwY = lowY + S_NODE_H + GW_GAP;
  const gateway =
    gwEdges.length > 0
      ? {
          box: { x: S_MARGIN, y: gwY, w: width - 2 * S_MARGIN, h: GW_BAR_H },
          name: out.router?.name ?? "",
          addresses: [...new Set(gwEdges.map((e) => e.b))],
        }
      : undefined;

  const edges: SessionEdge[] = [...raw.values()].map((e) => {
    const an = byName.get(e.a)!;
    const established = e.ends.every((x) => x.state === ESTABLISHED);
    const oneSided = e.kind !== "gateway" && new Set(e.ends.map((x) => x.node)).size === 1;
    const drawn = !established || e.kind !== "mesh" || count <= MESH_DRAW_LIMIT;
    const base = { a: e.a, b: e.b, kind: e.kind, states: e.ends.map((x) => `${x.node}: ${x.state}`), established, oneSided, drawn };
    if (e.kind === "gateway") {
      const x = an.box.x + an.box.w / 2;
      const from: Point = [x, an.box.y + an.box.h];
      const to: Point = [x, gwY];
      return { ...base, shape: { type: "line", from, to }, mid: [x, (from[1] + to[1]) / 2] };
    }
    const bn = byName.get(e.b)!;
    const [ca, cb] = [column.get(e.a)!, column.get(e.b)!];
    if (an.box.y === bn.box.y && !(twoRows && an.role === "client")) {
      // Over the row: an arc from top to top, its peak arcPeak above them.
      const from: Point = [fanX(an.box, cb, count), an.box.y];
      const to: Point = [fanX(bn.box, ca, count), bn.box.y];
      const peak = arcPeak(cb - ca);
      const control: Point = [(from[0] + to[0]) / 2, an.box.y - 2 * peak];
      return { ...base, shape: { type: "arc", from, to, control }, mid: [control[0], an.box.y - peak] };
    }
    if (an.box.y === bn.box.y) {
      // Two clients (off Calico's design): under their row, above the gateway.
      const y = an.box.y + an.box.h;
      const peak = Math.min(arcPeak(cb - ca), GW_GAP - 12);
      const from: Point = [fanX(an.box, cb, count), y];
      const to: Point = [fanX(bn.box, ca, count), y];
      const control: Point = [(from[0] + to[0]) / 2, y + 2 * peak];
      return { ...base, shape: { type: "arc", from, to, control }, mid: [control[0], y + peak] };
    }
    // Between the rows: the reflector's bottom to the client's top.
    const [up, down] = an.role === "reflector" ? [an, bn] : [bn, an];
    const from: Point = [fanX(up.box, column.get(down.name)!, count), up.box.y + up.box.h];
    const to: Point = [fanX(down.box, column.get(up.name)!, count), down.box.y];
    return { ...base, shape: { type: "line", from, to }, mid: [(from[0] + to[0]) / 2, (from[1] + to[1]) / 2] };
  });
  edges.sort((x, y) => Number(y.established) - Number(x.established));

  const clientArcs = edges.some((e) => e.kind === "client-client");
  return {
    width,
    height: (gateway ? gwY + GW_BAR_H : lowY + S_NODE_H + (clientArcs ? GW_GAP - 12 : 0)) + S_MARGIN,
    reflectors,
    ...(out.lab.bgp ? { clusterId: out.lab.bgp.clusterId } : {}),
    assumedMesh: out.lab.bgp === undefined,
    nodes,
    edges,
    ...(gateway ? { gateway } : {}),
    strays,
  };
}
