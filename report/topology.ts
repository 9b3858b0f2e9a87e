/**
 * The topology picture's geometry, computed from one stack's outputs and nothing else:
 * the gateway on top, one bridge per segment under it, the nodes on their bridge, each
 * node's pods under it, and each scenario's path from the client pod to the server pod
 * (over the bridge, and through the gateway when the nodes are on different segments).
 * Pure: rendering to SVG is in svg.ts.
 */
import type { CaptureResult, LabOutputs } from "../model/spec";

/** Node box width at least; wider when a node's name needs it (up to MAX_NODE_W). */
export const NODE_W = 184;
export const MAX_NODE_W = 300;
export const NODE_H = 92;
export const NODE_GAP = 24;
export const SEG_GAP = 56;
export const MARGIN = 24;
export const POD_H = 44;
export const GW_Y = 16;
export const GW_H = 72;
export const BRIDGE_Y = 160;
export const NODE_Y = 232;
export const POD_Y = NODE_Y + NODE_H + 56;
/** Vertical distance between parallel path lanes. */
export const LANE = 10;

export type Point = readonly [number, number];

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** How a path is drawn: by what its packets showed on the underlay. */
export type PathStyle = "ipip" | "vxlan" | "none" | "unknown";

export interface TopoGateway {
  box: Box;
  /** The router's addresses (from `router` in the outputs, else next hops seen in the routes). */
  addresses: string[];
}

export interface TopoSegment {
  bridge: string;
  subnet: string;
  /** The bar's extent. */
  x1: number;
  x2: number;
  y: number;
  /** Where the gateway's link meets the bridge. */
  uplinkX: number;
  /** The router's address on this segment when the routes name it. */
  gateway?: string;
}

export interface TunnelMark {
  /** 1-based scenario number. */
  scenario: number;
  role: "encap" | "decap";
  at: Point;
}

export interface TopoNode {
  name: string;
  role: string;
  ip: string;
  prefixLength: number;
  segment: string;
  box: Box;
  /** Interfaces tcpdump listened on here (the capture points). */
  captures: string[];
  tunnel: TunnelMark[];
}

export interface TopoPod {
  name: string;
  ip: string;
  node: string;
  box: Box;
}

export interface TopoPath {
  /** 1-based, in capture order: the number on the badge and in the key. */
  number: number;
  scenario: string;
  style: PathStyle;
  observed: CaptureResult["observed"];
  expected: CaptureResult["expected"];
  pass: boolean;
  reason: string;
  /** The nodes are on different segments: the path goes through the gateway. */
  viaGateway: boolean;
  /** Client pod → client node (inner packets on the veth); empty when the pod is not drawn. */
  clientLeg: Point[];
  /** Client node → server node on the underlay: what the capture saw. Empty when a node is unknown. */
  underlay: Point[];
  /** Server node → server pod. */
  serverLeg: Point[];
  /** Where the number badge goes (middle of the underlay's longest horizontal run). */
  badge: Point;
  /** Why the path is not (fully) drawn, if it is not. */
  note?: string;
  client: CaptureResult["client"];
  server: CaptureResult["server"];
  outer: CaptureResult["outer"];
}

export interface TopologyLayout {
  width: number;
  height: number;
  gateway: TopoGateway;
  segments: TopoSegment[];
  nodes: TopoNode[];
  pods: TopoPod[];
  paths: TopoPath[];
}

export function pathStyle(observed: CaptureResult["observed"]): PathStyle {
  return observed === "ipip" || observed === "vxlan" || observed === "none" ? observed : "unknown";
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipNum(s: string): number | null {
  const m = IPV4.exec(s);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((n) => n > 255)) return null;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

/** True when `ip` lies in `cidr` (IPv4); false for anything unparsable. */
export function inSubnet(ip: string, cidr: string): boolean {
  const [net, len] = cidr.split("/");
  const a = ipNum(ip);
  const n = ipNum(net);
  const l = Number(len);
  if (a === null || n === null || !Number.isInteger(l) || l < 0 || l > 32) return false;
  const mask = l === 0 ? 0 : (0xffffffff << (32 - l)) >>> 0;
  return ((a & mask) >>> 0) === ((n & mask) >>> 0);
}

/** Next hops named in route lines (`... via X ...`). */
export function nextHops(routes: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of routes) {
    const re = /\bvia\s+(\d{1,3}(?:\.\d{1,3}){3})\b/g;
    for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1]);
  }
  return out;
}

/** Lane offsets centred on 0: n lanes `step` apart. */
function lanes(n: number, step: number): number[] {
  return Array.from({ length: n }, (_, i) => (i - (n - 1) / 2) * step);
}

/** Removes consecutive duplicate points and points on a straight line between their neighbours. */
export function simplify(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && last[0] === p[0] && last[1] === p[1]) continue;
    if (out.length >= 2) {
      const a = out[out.length - 2];
      const b = out[out.length - 1];
      if ((a[0] === b[0] && b[0] === p[0]) || (a[1] === b[1] && b[1] === p[1])) out.pop();
    }
    out.push(p);
  }
  return out;
}

function badgeOf(points: Point[]): Point {
  let best: Point = points[0] ?? [0, 0];
  let bestLen = -1;
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i - 1];
    const [x2, y2] = points[i];
    const len = y1 === y2 ? Math.abs(x2 - x1) : Math.abs(y2 - y1) / 4; // prefer horizontal runs
    if (len > bestLen) {
      bestLen = len;
      best = [(x1 + x2) / 2, (y1 + y2) / 2];
    }
  }
  return best;
}

export function layoutTopology(out: LabOutputs): TopologyLayout {
  // Segments in order of first appearance, nodes in output order within each.
  const segOrder: string[] = [];
  const segNodes = new Map<string, LabOutputs["nodes"]>();
  for (const n of out.nodes) {
    if (!segNodes.has(n.segment)) {
      segOrder.push(n.segment);
      segNodes.set(n.segment, []);
    }
    segNodes.get(n.segment)!.push(n);
  }

  // Wide enough for the longest node name in bold 13 px (~7.6 px a character) and its address line.
  const longest = Math.max(0, ...out.nodes.map((n) => Math.max(n.name.length * 7.6, `net0 ${n.ip}/${n.prefixLength}`.length * 7.3)));
  const nodeW = Math.round(Math.min(MAX_NODE_W, Math.max(NODE_W, longest + 22)));
  const nodes: TopoNode[] = [];
  const segments: TopoSegment[] = [];
  let x = MARGIN;
  for (const name of segOrder) {
    const members = segNodes.get(name)!;
    const x1 = x;
    for (const n of members) {
      nodes.push({
        name: n.name,
        role: n.role,
        ip: n.ip,
        prefixLength: n.prefixLength,
        segment: n.segment,
        box: { x, y: NODE_Y, w: nodeW, h: NODE_H },
        captures: [],
        tunnel: [],
      });
      x += nodeW + NODE_GAP;
    }
    const x2 = x - NODE_GAP;
    segments.push({ bridge: name, subnet: members[0].subnet, x1, x2, y: BRIDGE_Y, uplinkX: (x1 + x2) / 2 });
    x = x2 + SEG_GAP;
  }
  const width = Math.max(x - SEG_GAP + MARGIN, 2 * MARGIN + nodeW);

  // Gateway addresses: the router's own, else next hops in the routes that are no node's address.
  for (const iface of out.router?.interfaces ?? []) {
    const seg = segments.find((s) => s.bridge === iface.segment);
    if (seg) seg.gateway = iface.ip;
  }
  const nodeIps = new Set(out.nodes.map((n) => n.ip));
  for (const c of out.captures) {
    for (const hop of nextHops([...c.routes.client, ...c.routes.server])) {
      if (nodeIps.has(hop)) continue;
      const seg = segments.find((s) => inSubnet(hop, s.subnet));
      if (seg && seg.gateway === undefined) seg.gateway = hop;
    }
  }
  const uplinks = segments.map((s) => s.uplinkX);
  const gx1 = Math.max(MARGIN, Math.min(...uplinks) - 70);
  const gx2 = Math.min(width - MARGIN, Math.max(...uplinks) + 70);
  const gw = Math.max(gx2 - gx1, 260);
  const gateway: TopoGateway = {
    box: { x: Math.max(MARGIN, (gx1 + gx2) / 2 - gw / 2), y: GW_Y, w: Math.min(gw, width - 2 * MARGIN), h: GW_H },
    addresses: segments.flatMap((s) => (s.gateway ? [s.gateway] : [])),
  };

  // Pods: under their node, sharing its width.
  const pods: TopoPod[] = [];
  for (const n of nodes) {
    const mine = out.pods.filter((p) => p.node === n.name);
    const w = mine.length > 0 ? (nodeW - (mine.length - 1) * 8) / mine.length : 0;
    mine.forEach((p, i) => pods.push({ name: p.name, ip: p.ip, node: p.node, box: { x: n.box.x + i * (w + 8), y: POD_Y, w, h: POD_H } }));
  }

  const byName = new Map(nodes.map((n) => [n.name, n]));
  const segIndex = new Map(segments.map((s, i) => [s.bridge, i]));
  const count = out.captures.length;
  const offsets = lanes(count, Math.min(14, (nodeW - 40) / Math.max(1, count)));
  // Parallel lanes: between the bridges and the node tops, and in the gateway's lower half.
  const bridgeStep = Math.min(LANE, (NODE_Y - BRIDGE_Y - 30) / Math.max(1, count));
  const gatewayStep = Math.min(LANE, (GW_H / 2 - 8) / Math.max(1, count));
  const paths: TopoPath[] = out.captures.map((c, i) => {
    const number = i + 1;
    const off = offsets[i];
    const base = {
      number,
      scenario: c.scenario,
      style: pathStyle(c.observed),
      observed: c.observed,
      expected: c.expected,
      pass: c.pass,
      reason: c.reason,
      client: c.client,
      server: c.server,
      outer: c.outer,
    };
    const point = byName.get(c.point.node);
    if (point && !point.captures.includes(c.point.interface)) point.captures.push(c.point.interface);
    const cn = byName.get(c.client.node);
    const sn = byName.get(c.server.node);
    if (!cn || !sn) {
      const missing = [!cn ? `client node ${c.client.node}` : "", !sn ? `server node ${c.server.node}` : ""].filter(Boolean).join(" and ");
      return { ...base, viaGateway: false, clientLeg: [], underlay: [], serverLeg: [], badge: [MARGIN, NODE_Y - 20], note: `not drawn: ${missing} is not in the outputs' nodes` };
    }
    const cx = cn.box.x + nodeW / 2 + off;
    const sx = sn.box.x + nodeW / 2 + off;
    const laneY = BRIDGE_Y + 22 + i * bridgeStep;
    const ci = segIndex.get(cn.segment)!;
    const si = segIndex.get(sn.segment)!;
    const viaGateway = ci !== si;
    let underlay: Point[];
    if (cn === sn) {
      underlay = [];
    } else if (!viaGateway) {
      underlay = [
        [cx, NODE_Y],
        [cx, laneY],
        [sx, laneY],
        [sx, NODE_Y],
      ];
    } else {
      const gy = GW_Y + GW_H - 12 - i * gatewayStep;
      const ux1 = segments[ci].uplinkX + off;
      const ux2 = segments[si].uplinkX + off;
      underlay = [
        [cx, NODE_Y],
        [cx, laneY],
        [ux1, laneY],
        [ux1, gy],
        [ux2, gy],
        [ux2, laneY],
        [sx, laneY],
        [sx, NODE_Y],
      ];
    }
    underlay = simplify(underlay);
    if (base.style === "ipip" || base.style === "vxlan") {
      cn.tunnel.push({ scenario: number, role: "encap", at: [cx, NODE_Y] });
      sn.tunnel.push({ scenario: number, role: "decap", at: [sx, NODE_Y] });
    }
    const podBox = (name: string, ip: string, node: string): Box | undefined =>
      (pods.find((p) => p.name === name && p.node === node) ?? pods.find((p) => p.ip === ip && p.node === node))?.box;
    const leg = (box: Box | undefined, x0: number): Point[] => {
      if (!box) return [];
      const x1 = Math.min(Math.max(x0, box.x + 6), box.x + box.w - 6);
      return simplify([
        [x1, box.y],
        [x1, NODE_Y + NODE_H],
      ]);
    };
    const clientLeg = leg(podBox(c.client.pod, c.client.ip, cn.name), cx);
    const serverLeg = leg(podBox(c.server.pod, c.server.ip, sn.name), sx).reverse();
    const notes: string[] = [];
    if (clientLeg.length === 0) notes.push(`client pod ${c.client.pod} is not in the outputs' pods`);
    if (serverLeg.length === 0) notes.push(`server pod ${c.server.pod} is not in the outputs' pods`);
    if (cn === sn) notes.push("both pods are on one node: nothing crosses the underlay");
    const badge: Point = underlay.length > 1 ? badgeOf(underlay) : [cx, NODE_Y - 14];
    return { ...base, viaGateway, clientLeg, underlay, serverLeg, badge, ...(notes.length ? { note: notes.join("; ") } : {}) };
  });

  return { width, height: POD_Y + POD_H + MARGIN, gateway, segments, nodes, pods, paths };
}
