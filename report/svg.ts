/**
 * Inline SVG for the report: the topology with each scenario's path, the BGP sessions, and
 * header bars.
 * Every string is escaped; styling is by class (the page's CSS, so both themes and print
 * apply), and shapes carry data-* attributes the browser test looks for.
 */
import { escapeHtml as e } from "./escape";
import type { HeaderBar } from "./headers";
import { OBSERVED_WORDS } from "./model";
import type { BgpRole, SessionEdge, SessionKind, SessionsLayout } from "./sessions";
import type { Point, TopoPath, TopologyLayout } from "./topology";
import { GW_Y } from "./topology";

const n = (x: number): string => String(Math.round(x * 10) / 10);
const pts = (p: readonly Point[]): string => p.map(([x, y]) => `${n(x)},${n(y)}`).join(" ");

/** Rough width of `s` in px at font size `size` (DejaVu/Liberation-ish average). */
export function textWidth(s: string, size: number): number {
  return s.length * size * 0.58;
}

/** Cuts `s` to fit `width` px at `size`, with an ellipsis. */
export function fit(s: string, width: number, size: number): string {
  const max = Math.floor(width / (size * 0.58));
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
}

/** Shared definitions (markers, hatch pattern), once per page, referenced by every SVG. */
export function sharedDefs(): string {
  const marker = (style: string): string =>
    `<marker id="arrow-${style}" class="arrow arrow-${style}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="4" markerHeight="4" orient="auto-start-reverse" markerUnits="strokeWidth"><path d="M0,0 L10,5 L0,10 z"/></marker>`;
  return (
    `<svg class="defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>` +
    marker("leg") +
    `<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern>` +
    `</defs></svg>`
  );
}

function badge(p: TopoPath): string {
  const [x, y] = p.badge;
  const cls = `badge badge-${p.style}${p.pass ? "" : " badge-fail"}`;
  const label = `${p.number}`;
  return (
    `<g class="${cls}" data-badge="${e(p.scenario)}"><title>${e(pathTitle(p))}</title>` +
    (p.pass ? `<circle cx="${n(x)}" cy="${n(y)}" r="10"/>` : `<rect x="${n(x - 11)}" y="${n(y - 11)}" width="22" height="22" rx="3"/>`) +
    `<text x="${n(x)}" y="${n(y + 4)}" text-anchor="middle">${e(label)}</text>` +
    `<text class="badge-label" x="${n(x + 15)}" y="${n(y + 4)}">${e(`${OBSERVED_WORDS[p.observed]}${p.pass ? "" : " ✘"}`)}</text></g>`
  );
}

function pathTitle(p: TopoPath): string {
  const outer = p.outer ? `, outer ${p.outer.src} → ${p.outer.dst}` : "";
  return `${p.number}. ${p.scenario}: ${p.client.pod} (${p.client.ip}) → ${p.server.pod} (${p.server.ip}); observed ${OBSERVED_WORDS[p.observed]}${outer}; expected ${OBSERVED_WORDS[p.expected]}; ${p.pass ? "PASS" : `FAIL: ${p.reason}`}`;
}

/** One stack's topology picture. `id` makes element ids unique on the page. */
export function topologySvg(t: TopologyLayout, id: string, caption: string): string {
  const out: string[] = [];
  out.push(
    `<svg class="topo" id="${e(id)}" viewBox="0 0 ${n(t.width)} ${n(t.height)}" width="${n(t.width)}" height="${n(t.height)}" role="img" aria-labelledby="${e(id)}-title" preserveAspectRatio="xMidYMin meet" data-stack-topology="${e(id)}">`,
    `<title id="${e(id)}-title">${e(caption)}</title>`,
  );
  // Links: gateway ↔ bridges, bridges ↔ nodes, nodes ↔ pods.
  const g = t.gateway.box;
  for (const s of t.segments) out.push(`<line class="link" x1="${n(s.uplinkX)}" y1="${n(g.y + g.h)}" x2="${n(s.uplinkX)}" y2="${n(s.y)}"/>`);
  for (const node of t.nodes) {
    const cx = node.box.x + node.box.w / 2;
    const seg = t.segments.find((s) => s.bridge === node.segment);
    if (seg) out.push(`<line class="link" x1="${n(cx)}" y1="${n(seg.y + 8)}" x2="${n(cx)}" y2="${n(node.box.y)}"/>`);
  }
  for (const pod of t.pods) {
    const node = t.nodes.find((x) => x.name === pod.node)!;
    const x = pod.box.x + pod.box.w / 2;
    out.push(`<line class="link link-veth" x1="${n(x)}" y1="${n(node.box.y + node.box.h)}" x2="${n(x)}" y2="${n(pod.box.y)}"/>`);
  }
  // Gateway.
  out.push(
    `<g class="gateway" data-gateway="1"><rect x="${n(g.x)}" y="${n(g.y)}" width="${n(g.w)}" height="${n(g.h)}" rx="10"/>`,
    `<text class="title" x="${n(g.x + g.w / 2)}" y="${n(GW_Y + 20)}" text-anchor="middle">gateway (router)</text>`,
    `<text class="sub" x="${n(g.x + g.w / 2)}" y="${n(GW_Y + 36)}" text-anchor="middle">${e(fit(t.gateway.addresses.length ? `routes between segments · ${t.gateway.addresses.join(", ")}` : "routes between the segments", g.w - 16, 11))}</text></g>`,
  );
  // Bridges.
  for (const s of t.segments) {
    const label = `${s.bridge} · ${s.subnet}`;
    // The gateway's address sits by its link, right of where that link meets the bridge.
    const gatewayLabel = s.gateway ? `<text class="sub" x="${n(s.uplinkX + 6)}" y="${n(s.y - 8)}">${e(fit(`gw ${s.gateway}`, s.x2 - s.uplinkX - 6, 11))}</text>` : "";
    out.push(
      `<g class="bridge" data-segment="${e(s.bridge)}"><rect x="${n(s.x1)}" y="${n(s.y)}" width="${n(s.x2 - s.x1)}" height="8" rx="4"/>`,
      `<text x="${n(s.x1)}" y="${n(s.y - 8)}">${e(fit(label, s.uplinkX - s.x1 - 8 > 140 ? s.uplinkX - s.x1 - 8 : s.x2 - s.x1, 12))}</text>${gatewayLabel}</g>`,
    );
  }
  // Nodes.
  for (const node of t.nodes) {
    const { x, y, w, h } = node.box;
    const lines: string[] = [];
    lines.push(`<text class="title" x="${n(x + 10)}" y="${n(y + 19)}">${e(fit(node.name, w - 20, 13))}</text>`);
    lines.push(`<text class="sub" x="${n(x + 10)}" y="${n(y + 35)}">${e(fit(node.role, w - 20, 11))}</text>`);
    lines.push(`<text class="addr" x="${n(x + 10)}" y="${n(y + 52)}">${e(fit(`net0 ${node.ip}/${node.prefixLength}`, w - 20, 12))}</text>`);
    let ly = y + 68;
    if (node.captures.length) {
      lines.push(
        `<g class="capture-mark"><circle cx="${n(x + 15)}" cy="${n(ly - 4)}" r="5"/><circle class="dot" cx="${n(x + 15)}" cy="${n(ly - 4)}" r="2"/></g>`,
        `<text class="sub" x="${n(x + 25)}" y="${n(ly)}">${e(fit(`tcpdump on ${node.captures.join(", ")}`, w - 35, 11))}</text>`,
      );
      ly += 15;
    }
    if (node.tunnel.length) {
      const encap = node.tunnel.filter((m) => m.role === "encap").map((m) => m.scenario);
      const decap = node.tunnel.filter((m) => m.role === "decap").map((m) => m.scenario);
      const words = [encap.length ? `encap ${encap.join(",")}` : "", decap.length ? `decap ${decap.join(",")}` : ""].filter(Boolean).join(" · ");
      lines.push(
        `<path class="tunnel-mark" d="M${n(x + 15)},${n(ly - 9)} l5,5 l-5,5 l-5,-5 z"/>`,
        `<text class="sub" x="${n(x + 25)}" y="${n(ly)}">${e(fit(`tunnel ${words}`, w - 35, 11))}</text>`,
      );
    }
    out.push(
      `<g class="node" data-node="${e(node.name)}"><title>${e(`${node.name} (${node.role}) · net0 ${node.ip}/${node.prefixLength} on ${node.segment}`)}</title><rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="6"/>${lines.join("")}</g>`,
    );
  }
  // Pods.
  for (const pod of t.pods) {
    const { x, y, w, h } = pod.box;
    out.push(
      `<g class="pod" data-pod="${e(pod.name)}"><title>${e(`pod ${pod.name} ${pod.ip} on ${pod.node}`)}</title><rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="14"/>`,
      `<text class="title" x="${n(x + w / 2)}" y="${n(y + 18)}" text-anchor="middle">${e(fit(pod.name, w - 12, 12))}</text>`,
      `<text class="addr" x="${n(x + w / 2)}" y="${n(y + 34)}" text-anchor="middle">${e(fit(pod.ip, w - 12, 12))}</text></g>`,
    );
  }
  // Paths: halo first so crossings stay readable, then the stroke, then the markers.
  for (const p of t.paths) {
    const parts: string[] = [];
    const title = `<title>${e(pathTitle(p))}</title>`;
    for (const leg of [p.clientLeg, p.serverLeg]) {
      if (leg.length < 2) continue;
      const arrow = leg === p.serverLeg ? ` marker-end="url(#arrow-leg)"` : "";
      parts.push(`<polyline class="halo" points="${pts(leg)}"/><polyline class="leg" points="${pts(leg)}"${arrow}/>`);
    }
    if (p.underlay.length >= 2) {
      parts.push(
        `<polyline class="halo halo-wide" points="${pts(p.underlay)}"/>`,
        `<polyline class="path path-${p.style}" points="${pts(p.underlay)}"/>`,
      );
    }
    if (p.style === "ipip" || p.style === "vxlan") {
      for (const [x, y] of [p.underlay[0], p.underlay[p.underlay.length - 1]].filter((q): q is Point => q !== undefined)) {
        parts.push(`<path class="tunnel-mark" d="M${n(x)},${n(y - 7)} l7,7 l-7,7 l-7,-7 z"/>`);
      }
    }
    out.push(
      `<g class="scenario-path${p.pass ? "" : " failed"}" data-scenario="${e(p.scenario)}" data-observed="${e(p.observed)}" data-pass="${p.pass}">${title}${parts.join("")}</g>`,
    );
  }
  // Badges last, so no path crosses a number or its label.
  out.push(`<g class="badges">${t.paths.map(badge).join("")}</g>`);
  out.push(`</svg>`);
  return out.join("");
}

/** The layers a tunnel adds (hatched): what packets.ts tunnelOverhead counts. */
const TUNNEL_LAYERS: ReadonlySet<string> = new Set(["outer-ipv4", "outer-udp", "vxlan", "inner-ethernet"]);

/** Width of a share bar, in px. */
const SHARE_W = 180;

/**
 * A share (0..1) of the bytes on the wire drawn as a bar: the tunnel's part hatched in
 * its encapsulation's colour, the rest plain, with ticks at 10 % steps.
 */
export function shareBarSvg(share: number, encapsulation: "ipip" | "vxlan" | "none", label: string): string {
  const w = Math.max(0, Math.min(1, share)) * SHARE_W;
  const ticks = Array.from({ length: 9 }, (_, i) => `<line class="tick" x1="${n(((i + 1) * SHARE_W) / 10)}" y1="12" x2="${n(((i + 1) * SHARE_W) / 10)}" y2="16"/>`).join("");
  return (
    `<svg class="share" viewBox="0 0 ${SHARE_W} 16" width="${SHARE_W}" height="16" role="img" aria-label="${e(label)}">` +
    `<rect class="share-all" x="0" y="1" width="${SHARE_W}" height="11"/>` +
    `<rect class="share-tunnel share-${encapsulation}" x="0" y="1" width="${n(w)}" height="11"/>` +
    `<rect class="hatch" x="0" y="1" width="${n(w)}" height="11" fill="url(#hatch)"/>` +
    `${ticks}</svg>`
  );
}

/** Height of a header bar, and of a row of layer names above it. */
const BAR_H = 30;
const NAME_ROW = 14;

/** One packet's header stack, to scale, with byte ticks under it. */
export function headerBarSvg(bar: HeaderBar, label: string, pxPerByte: number): string {
  // A small left margin so the first tick label is not cut.
  const left = 8;
  const width = Math.max(bar.width + 90, 200) + left;
  // Names above the bar, each on the lowest row where it clears its left neighbour (VXLAN's
  // narrow headers take several), higher rows with a leader line down to their layer.
  const rowEnds: number[] = [];
  const names = bar.segments.map((s) => {
    const cx = s.x + s.width / 2;
    const w = textWidth(s.name, 11);
    const lx = Math.max(w / 2, cx);
    let row = rowEnds.findIndex((end) => lx - w / 2 >= end + 4);
    if (row < 0) row = rowEnds.push(-Infinity) - 1;
    rowEnds[row] = lx + w / 2;
    return { name: s.name, cx, lx, row };
  });
  const barY = 6 + NAME_ROW * Math.max(2, rowEnds.length);
  const height = barY + BAR_H + 30;
  const out: string[] = [];
  out.push(`<svg class="bar" viewBox="0 0 ${n(width)} ${height}" width="${n(width)}" height="${height}" role="img" aria-label="${e(label)}"><g transform="translate(${left},0)">`);
  for (const l of names) {
    const ty = barY - 6 - NAME_ROW * l.row;
    out.push(`<text class="seg-name" x="${n(l.lx)}" y="${ty}" text-anchor="middle">${e(l.name)}</text>`);
    if (l.row > 0) out.push(`<line class="leader" x1="${n(l.cx)}" y1="${ty + 3}" x2="${n(l.cx)}" y2="${barY}"/>`);
  }
  for (const s of bar.segments) {
    const cls = `seg seg-${s.kind}`;
    out.push(`<g class="${cls}" data-layer="${e(s.kind)}" data-bytes="${s.bytes}">`);
    out.push(`<rect class="fill" x="${n(s.x)}" y="${barY}" width="${n(Math.max(s.width, 0.5))}" height="${BAR_H}"/>`);
    if (TUNNEL_LAYERS.has(s.kind)) out.push(`<rect class="hatch" x="${n(s.x)}" y="${barY}" width="${n(s.width)}" height="${BAR_H}" fill="url(#hatch)"/>`);
    const bytes = s.broken ? `${s.bytes} B ✂` : `${s.bytes}`;
    if (textWidth(bytes, 11) + 4 <= s.width) out.push(`<text class="seg-bytes" x="${n(s.x + s.width / 2)}" y="${barY + 19}" text-anchor="middle">${e(bytes)}</text>`);
    if (s.broken) {
      const bx = s.x + s.width - 14;
      out.push(
        `<path class="break" d="M${n(bx)},${barY - 2} l5,8 l-5,8 l5,8 l-5,8"/><path class="break" d="M${n(bx + 6)},${barY - 2} l5,8 l-5,8 l5,8 l-5,8"/>`,
      );
    }
    out.push(`</g>`);
  }
  out.push(`<rect class="outline" x="0" y="${barY}" width="${n(bar.width)}" height="${BAR_H}"/>`);
  out.push(`<text class="total" x="${n(bar.width + 8)}" y="${barY + 19}">${e(`= ${bar.bytes} B`)}</text>`);
  // Byte ticks every 10 bytes, labelled every 20, up to the first cut.
  const cut = bar.segments.find((s) => s.broken);
  const drawnBytes = cut ? Math.round(cut.x / pxPerByte) : bar.bytes;
  for (let b = 0; b <= drawnBytes; b += 10) {
    const x = b * pxPerByte;
    const major = b % 20 === 0;
    out.push(`<line class="tick" x1="${n(x)}" y1="${barY + BAR_H}" x2="${n(x)}" y2="${barY + BAR_H + (major ? 6 : 3)}"/>`);
    if (major && b % 40 === 0) out.push(`<text class="tick-label" x="${n(x)}" y="${barY + BAR_H + 17}" text-anchor="middle">${b}</text>`);
  }
  out.push(`</g></svg>`);
  return out.join("");
}

/** Small legend swatches (lines and marks as drawn in the pictures). */
export function legendSvg(kind: "ipip" | "vxlan" | "none" | "unknown" | "leg" | "tunnel" | "capture"): string {
  const open = `<svg class="swatch" viewBox="0 0 48 16" width="48" height="16" aria-hidden="true">`;
  switch (kind) {
    case "tunnel":
      return `${open}<path class="tunnel-mark" d="M24,1 l7,7 l-7,7 l-7,-7 z"/></svg>`;
    case "capture":
      return `${open}<g class="capture-mark"><circle cx="24" cy="8" r="5"/><circle class="dot" cx="24" cy="8" r="2"/></g></svg>`;
    case "leg":
      return `${open}<line class="leg" x1="2" y1="8" x2="46" y2="8"/></svg>`;
    default:
      return `${open}<line class="path path-${kind}" x1="2" y1="8" x2="46" y2="8"/></svg>`;
  }
}

/** Words for a session's kind, in titles. */
const SESSION_WORDS: Record<SessionKind, string> = {
  mesh: "mesh",
  reflectors: "between reflectors",
  client: "reflector ↔ client",
  "client-client": "client ↔ client (off Calico's design: clients peer only with reflectors)",
  gateway: "with the gateway",
};

function sessionTitle(s: SessionEdge): string {
  return `${s.a} ↔ ${s.b} · ${SESSION_WORDS[s.kind]} · ${s.states.join(", ")}${s.oneSided ? ` · the other end does not report it` : ""}`;
}

const ROLE_WORDS: Record<BgpRole, string> = { reflector: "route reflector", client: "client", mesh: "mesh" };

/** One stack's BGP sessions: nodes by role, a line or an arc per session, those not Established red and dashed, on top. */
export function sessionsSvg(t: SessionsLayout, id: string, caption: string): string {
  const out: string[] = [];
  out.push(
    `<svg class="sessions-pic" id="${e(id)}" viewBox="0 0 ${n(t.width)} ${n(t.height)}" width="${n(t.width)}" height="${n(t.height)}" role="img" aria-labelledby="${e(id)}-title" preserveAspectRatio="xMidYMin meet" data-stack-sessions="${e(id)}">`,
    `<title id="${e(id)}-title">${e(caption)}</title>`,
  );
  if (t.gateway) {
    const g = t.gateway.box;
    out.push(
      `<g class="gateway" data-gateway="1"><rect x="${n(g.x)}" y="${n(g.y)}" width="${n(g.w)}" height="${n(g.h)}" rx="8"/>`,
      `<text class="title" x="${n(g.x + 10)}" y="${n(g.y + 19)}">${e(fit(`gateway${t.gateway.name ? ` ${t.gateway.name}` : ""} · ${t.gateway.addresses.join(", ")}`, g.w - 20, 13))}</text></g>`,
    );
  }
  for (const s of t.edges.filter((x) => x.drawn)) {
    const shape =
      s.shape.type === "line"
        ? `<line x1="${n(s.shape.from[0])}" y1="${n(s.shape.from[1])}" x2="${n(s.shape.to[0])}" y2="${n(s.shape.to[1])}"/>`
        : `<path d="M${n(s.shape.from[0])},${n(s.shape.from[1])} Q${n(s.shape.control[0])},${n(s.shape.control[1])} ${n(s.shape.to[0])},${n(s.shape.to[1])}"/>`;
    const mark = s.established ? "" : `<g class="down-mark"><circle cx="${n(s.mid[0])}" cy="${n(s.mid[1])}" r="8"/><text x="${n(s.mid[0])}" y="${n(s.mid[1] + 4)}" text-anchor="middle">✘</text></g>`;
    out.push(
      `<g class="bgp-session bgp-${s.kind} ${s.established ? "up" : "down"}${s.oneSided ? " one-sided" : ""}" data-session="${e(`${s.a}|${s.b}`)}" data-kind="${s.kind}" data-established="${s.established}"><title>${e(sessionTitle(s))}</title>${shape}${mark}</g>`,
    );
  }
  for (const node of t.nodes) {
    const { x, y, w, h } = node.box;
    const all = node.sessions > 0 && node.established === node.sessions;
    const count = node.sessions === 0 ? "no sessions" : `${node.established}/${node.sessions} Established${all ? " ✔" : " ✘"}`;
    out.push(
      `<g class="node role-${node.role}" data-node="${e(node.name)}" data-role="${node.role}"><title>${e(`${node.name} ${node.ip} · ${ROLE_WORDS[node.role]} · ${count}`)}</title><rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" rx="6"/>`,
      `<text class="title" x="${n(x + 8)}" y="${n(y + 17)}">${e(fit(node.name, w - 16, 13))}</text>`,
      `<text class="addr" x="${n(x + 8)}" y="${n(y + 33)}">${e(fit(node.ip, w - 16, 12))}</text>`,
      `<text class="sub" x="${n(x + 8)}" y="${n(y + 50)}">${e(fit(ROLE_WORDS[node.role], w - 16, 11))}</text>`,
      `<text class="sub${all || node.sessions === 0 ? "" : " warn"}" x="${n(x + 8)}" y="${n(y + 66)}">${e(fit(count, w - 16, 11))}</text></g>`,
    );
  }
  out.push(`</svg>`);
  return out.join("");
}
