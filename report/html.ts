/**
 * The HTML page: one self-contained file (inline CSS and SVG, no scripts, no fonts, no
 * network), readable in light and dark themes and on paper. Every string from the
 * outputs is escaped here or in svg.ts.
 */
import * as path from "path";
import type { CaptureResult } from "../model/spec";
import { escapeHtml as e, fileUrl, relativeFileHref } from "./escape";
import { DEFAULT_SCALE, describeStack, layoutBar } from "./headers";
import { CaptureView, ComparisonCell, OBSERVED_WORDS, ReportModel, ResultCell, StackView } from "./model";
import { CSS } from "./style";
import { sessionsSummary } from "./sessions";
import { headerBarSvg, legendSvg, sessionsSvg, shareBarSvg, sharedDefs, topologySvg } from "./svg";

export interface HtmlOptions {
  /** Folder the page is written to: pcap links are made relative to it. */
  outDir: string;
  /** Existing pcap files' sizes in bytes, by path (shown beside the links). */
  pcapSizes?: ReadonlyMap<string, number>;
}

function verdictBadge(pass: boolean): string {
  return pass ? `<span class="verdict pass" data-verdict="pass">✔ PASS</span>` : `<span class="verdict fail" data-verdict="fail">✘ FAIL</span>`;
}

function encWord(kind: CaptureResult["observed"]): string {
  return `<span class="enc enc-${e(kind)}">${e(OBSERVED_WORDS[kind])}</span>`;
}

export function stackId(index: number): string {
  return `stack-${index + 1}`;
}

/** "MTU 1500 → 1450" (the pods' MTU under the stack's modes), or "MTU 1500" without a tunnel. */
function mtuWords(s: StackView): string {
  const mtu = s.outputs.lab.mtu ?? s.podMtu;
  return s.podMtu === mtu ? `MTU ${mtu}` : `MTU ${mtu} → ${s.podMtu}`;
}

function stackSummary(s: StackView): string {
  const l = s.outputs.lab;
  return (
    `<strong data-modes="${e(s.modes)}">${e(s.modes)}</strong> · <span class="mtu-words" data-pod-mtu="${s.podMtu}">pod ${e(mtuWords(s))}</span>` +
    ` · control plane ${e(l.controlPlane)} · backend ${e(l.backend)} (${e(l.dataplane)}) · lab ${e(l.name)}`
  );
}

function header(m: ReportModel): string {
  const chips = m.stacks
    .map((s) => `<li class="chip" data-stack="${e(s.name)}"><strong>${e(s.name)}</strong> · ${stackSummary(s)} · ${verdictBadge(s.outputs.verdict === "pass")}</li>`)
    .join("");
  return (
    `<header><h1>${e(m.title)}</h1>` +
    `<p class="lede">Calico's encapsulations side by side: which pod-to-pod paths were wrapped in IP-in-IP or VXLAN, or went plainly, and what it cost, proven from packets captured on the client node's underlay NIC. ` +
    `Generated ${e(m.generatedAt)} · overall <span class="overall">${verdictBadge(m.verdict === "pass")}</span></p>` +
    `<ul class="chips">${chips}</ul></header>`
  );
}

function failures(m: ReportModel): string {
  const items = m.stacks.flatMap((s) =>
    s.failures.map((c) => `<li><strong>${e(s.name)}</strong> · <span class="scenario-name">${e(c.scenario)}</span>: ${e(c.reason || "failed (no reason given)")}</li>`),
  );
  const empty = m.stacks.filter((s) => s.outputs.captures.length === 0).map((s) => `<li><strong>${e(s.name)}</strong>: no captures in the outputs</li>`);
  const all = [...items, ...empty];
  if (all.length === 0) return "";
  return `<section class="callout" id="failures" role="alert"><h2>✘ ${all.length} problem${all.length === 1 ? "" : "s"}</h2><ul>${all.join("")}</ul></section>`;
}

function legend(): string {
  const item = (swatch: string, text: string): string => `<li>${swatch}<span>${text}</span></li>`;
  return (
    `<ul class="legend" aria-label="legend">` +
    item(legendSvg("ipip"), "<strong>IPIP</strong> seen on the wire (orange, dashed)") +
    item(legendSvg("none"), "<strong>plain</strong>: pod IPs on the wire (blue, solid)") +
    item(legendSvg("vxlan"), "VXLAN (purple, dash-dot)") +
    item(legendSvg("unknown"), "no packets / mixed (grey, dotted)") +
    item(legendSvg("leg"), "pod ↔ node veth (inner packet)") +
    item(legendSvg("tunnel"), "tunnel endpoint (encap / decap)") +
    item(legendSvg("capture"), "capture point (tcpdump)") +
    `<li><span class="key"><span class="num">1</span></span><span>scenario (square, red border = failed)</span></li>` +
    `</ul>`
  );
}

function topology(m: ReportModel): string {
  const figures = m.stacks.map((s, i) => {
    const caption = `Stack ${s.name}`;
    const key = s.topology.paths
      .map((p) => {
        const outer = p.outer ? ` · outer <span class="mono">${e(p.outer.src)} → ${e(p.outer.dst)}</span>` : "";
        const note = p.note ? ` <span class="muted">(${e(p.note)})</span>` : "";
        const reason = p.pass ? "" : `<span class="reason">${e(p.reason || "failed")}</span>`;
        return (
          `<li class="${p.pass ? "passed" : "failed"}" data-scenario="${e(p.scenario)}"><span class="num">${p.number}</span>` +
          `<span><span class="scenario-name">${e(p.scenario)}</span>: ${e(p.client.pod)} → ${e(p.server.pod)}${p.viaGateway ? " via the gateway" : " on one segment"} · observed ${encWord(p.observed)}, expected ${encWord(p.expected)}${outer} ${verdictBadge(p.pass)}${note}${reason}</span></li>`
        );
      })
      .join("");
    return (
      `<figure data-stack="${e(s.name)}"><figcaption><span class="fig-title">${e(caption)} ${verdictBadge(s.outputs.verdict === "pass")}</span><span class="muted">${stackSummary(s)}</span></figcaption>` +
      topologySvg(s.topology, stackId(i), `${caption} (${s.modes}): gateway, ${s.topology.segments.length} segments, ${s.topology.nodes.length} nodes, ${s.topology.pods.length} pods, ${s.topology.paths.length} scenario paths`) +
      `<ol class="key">${key || `<li class="muted">No captures in this stack's outputs.</li>`}</ol></figure>`
    );
  });
  return (
    `<section id="topology"><h2>Topology and paths</h2>` +
    `<p class="lede">Drawn from the stack outputs: segments (bridges) under the gateway, nodes with their underlay address, pods with their IPs. ` +
    `Each scenario's path is coloured by what the capture on the client node's NIC showed; the diamonds mark where the tunnel starts and ends.</p>` +
    legend() +
    `<div class="figures">${figures.join("")}</div></section>`
  );
}

function cell(c: ResultCell, kind: CaptureResult["expected"] | undefined, observed: CaptureResult["observed"] | undefined): string {
  if (!c.present) return `<td class="cell absent muted" data-stack="${e(c.stack)}">not captured in this stack</td>`;
  const reason = c.pass ? "" : `<span class="reason">${e(c.reason ?? "")}</span>`;
  return (
    `<td class="cell ${c.pass ? "pass" : "fail"}" data-stack="${e(c.stack)}" data-pass="${c.pass}">${verdictBadge(c.pass === true)}` +
    `<dl><dt>expected</dt><dd>${kind ? encWord(kind) : e(c.expected ?? "")}</dd>` +
    `<dt>observed</dt><dd>${observed ? encWord(observed) : e(c.observed ?? "")}</dd>` +
    `<dt>outer src → dst</dt><dd class="mono">${e(c.outer ?? "")}</dd>` +
    `<dt>inner src → dst</dt><dd class="mono">${e(c.inner ?? "")}</dd>` +
    `<dt>packets</dt><dd>${e(String(c.packets ?? 0))}</dd></dl>${reason}</td>`
  );
}

function results(m: ReportModel): string {
  const head = m.stacks.map((s) => `<th scope="col" data-stack="${e(s.name)}">${e(s.name)}<br><span class="muted">${e(s.modes)}</span></th>`).join("");
  const rows = m.rows
    .map((r) => {
      const cells = r.cells
        .map((c, i) => {
          const cap = m.stacks[i].outputs.captures.find((x) => x.scenario === r.scenario);
          return cell(c, cap?.expected, cap?.observed);
        })
        .join("");
      return `<tr data-scenario="${e(r.scenario)}" class="${r.failed ? "failed" : "passed"}"><th scope="row"><span class="scenario-name">${e(r.scenario)}</span><br><span class="muted">${e(r.path)}</span></th>${cells}</tr>`;
    })
    .join("");
  return (
    `<section id="results"><h2>Results</h2>` +
    `<p class="lede">One row per scenario, one column per stack. Outer addresses are the tunnel's endpoints (the node IPs) when the packets were encapsulated, with VXLAN's UDP ports and network identifier; inner addresses are the pods'.</p>` +
    `<table class="results"><thead><tr><th scope="col">scenario</th>${head}</tr></thead><tbody>${rows || `<tr><td colspan="${m.stacks.length + 1}" class="muted">No captures.</td></tr>`}</tbody></table></section>`
  );
}

function packets(v: CaptureView): string {
  const parts: string[] = [];
  if (v.note) parts.push(`<p class="nofile" data-note="headers">${e(v.note)}</p>`);
  // The lesson first: what the encapsulation costs (once per kind seen in this capture).
  const seen = new Set<string>();
  for (const f of v.flows) {
    if (seen.has(f.mtu.text)) continue;
    seen.add(f.mtu.text);
    const head = f.mtu.encapsulation === "none" ? `MTU ${f.mtu.underlayMtu}` : `MTU ${f.mtu.underlayMtu} → ${f.mtu.innerMtu}`;
    parts.push(`<p class="mtu mtu-${e(f.mtu.encapsulation)}" data-mtu="${f.mtu.innerMtu}"><strong>${e(head)}</strong> · ${e(f.mtu.text)}</p>`);
  }
  for (const f of v.flows) {
    const h = f.flow.sample;
    const bar = layoutBar(h.layers, DEFAULT_SCALE);
    const ip = h.layers.reduce((n, l) => n + l.bytes, 0) - h.linkHeader;
    const wire = h.linkHeader > 0 ? `${ip} B of IPv4 + ${h.linkHeader} B link header = ${h.wireLength} B on the wire` : `${ip} B on the wire`;
    parts.push(
      `<div class="packet" data-encapsulation="${e(f.flow.encapsulation)}"><div class="flow mono">${e(f.title)}</div>` +
        headerBarSvg(bar, describeStack(h.layers), DEFAULT_SCALE.pxPerByte) +
        `<div class="caption muted">packet #${h.index} of the pcap · ${e(wire)}</div></div>`,
    );
  }
  return parts.join("");
}

function byScenario(m: ReportModel, body: (s: StackView, v: CaptureView) => string): string {
  return m.rows
    .map((r) => {
      const cols = m.stacks
        .map((s) => {
          const v = s.captures.find((c) => c.capture.scenario === r.scenario);
          return `<div data-stack="${e(s.name)}"><h4>${e(s.name)} <span class="muted">(${e(s.modes)})</span></h4>${v ? body(s, v) : `<p class="muted">not captured in this stack</p>`}</div>`;
        })
        .join("");
      return `<h3 data-scenario="${e(r.scenario)}">${e(r.scenario)} <span class="muted">· ${e(r.path)}</span></h3><div class="stack-grid">${cols}</div>`;
    })
    .join("");
}

function headerStacks(m: ReportModel): string {
  return (
    `<section id="headers"><h2>Packet headers, drawn to scale</h2>` +
    `<p class="lede">One packet of each flow between the two pods (the one with the most payload), read from the pcap: every layer is as wide as its bytes (${DEFAULT_SCALE.pxPerByte} px per byte; payloads over ${DEFAULT_SCALE.maxPayloadBytes} bytes are cut, ✂). ` +
    `The hatched blocks are what the tunnel adds: IPIP's outer IPv4 header; VXLAN's outer IPv4, UDP and VXLAN headers and the inner frame's Ethernet header. The grey block is the frame's own link header, which a plain packet has too. ` +
    `MTUs assume each stack's underlay MTU (${m.underlayMtu} unless its outputs say otherwise).</p>` +
    byScenario(m, (_s, v) => packets(v)) +
    `</section>`
  );
}

/** Route lines with the output device emphasised (IPIP or VXLAN tunnel vs underlay NIC). */
export function routeLineHtml(line: string): string {
  const cls = (dev: string): string => (dev.startsWith("tunl") ? "dev-tunnel" : dev.startsWith("vxlan") ? "dev-tunnel dev-vxlan" : "dev-plain");
  return e(line).replace(/\bdev (\S+)/g, (_all, dev: string) => `dev <span class="${cls(dev)}">${dev}</span>`);
}

function routes(m: ReportModel): string {
  const block = (title: string, lines: readonly string[]): string =>
    `<div class="muted">${e(title)}</div>` +
    (lines.length ? `<pre class="routes">${lines.map(routeLineHtml).join("\n")}</pre>` : `<p class="nofile">no route lines in the outputs</p>`);
  return (
    `<section id="routes"><h2>Routes used</h2>` +
    `<p class="lede">What <code>ip route get</code> said on each node for the other pod's address: <span class="mono">dev tunl0</span> (IPIP) or <span class="mono">dev vxlan.calico</span> (VXLAN) means the kernel encapsulates, the underlay NIC means it routes plainly.</p>` +
    byScenario(
      m,
      (_s, v) =>
        block(`client node ${v.capture.client.node} → ${v.capture.server.ip} (${v.capture.server.pod})`, v.capture.routes.client) +
        block(`server node ${v.capture.server.node} → ${v.capture.client.ip} (${v.capture.client.pod})`, v.capture.routes.server),
    ) +
    `</section>`
  );
}

const number = (n: number): string => n.toLocaleString("en");

function costCell(c: ComparisonCell): string {
  if (!c.present) return `<td class="cost absent muted" data-stack="${e(c.stack)}">not captured in this stack</td>`;
  if (!c.wire || c.perPacket === undefined || c.share === undefined) return `<td class="cost muted" data-stack="${e(c.stack)}">${e(c.note ?? "")}</td>`;
  const w = c.wire;
  const kinds = w.encapsulations.map((k) => `<span class="enc enc-${e(k)}">${e(OBSERVED_WORDS[k])}</span>`).join(" + ");
  const perPacket = Number.isInteger(c.perPacket) ? String(c.perPacket) : c.perPacket.toFixed(1);
  const percent = (c.share * 100).toFixed(1);
  return (
    `<td class="cost" data-stack="${e(c.stack)}" data-overhead="${e(perPacket)}" data-share="${c.share.toFixed(4)}">` +
    `<div class="per-packet"><strong>${e(perPacket)} B</strong> per packet · ${kinds}</div>` +
    shareBarSvg(c.share, w.encapsulations.find((k) => k !== "none") ?? "none", `${percent} % of the bytes on the wire are tunnel headers`) +
    `<div><strong>${e(percent)} %</strong> of ${e(number(w.bytes))} B on the wire · ${e(number(w.packets))} packets</div>` +
    `</td>`
  );
}

function comparison(m: ReportModel): string {
  const head = m.stacks.map((s) => `<th scope="col" data-stack="${e(s.name)}">${e(s.name)}<br><span class="muted">${e(s.modes)} · pod ${e(mtuWords(s))}</span></th>`).join("");
  const rows = m.comparison
    .map((r) => {
      const cells = r.cells.map(costCell).join("");
      return `<tr data-scenario="${e(r.scenario)}"><th scope="row"><span class="scenario-name">${e(r.scenario)}</span></th>${cells}</tr>`;
    })
    .join("");
  return (
    `<section id="comparison"><h2>What each encapsulation costs</h2>` +
    `<p class="lede">Measured from the pcaps, over every packet between the two pods: the bytes the tunnel put in front of the pod's IPv4 header (IPIP 20, VXLAN 50), per packet and as a share of all the bytes those packets took on the wire. ` +
    `The column headers give the MTU pods get under each stack's modes.</p>` +
    `<table class="comparison"><thead><tr><th scope="col">scenario</th>${head}</tr></thead><tbody>${rows || `<tr><td colspan="${m.stacks.length + 1}" class="muted">No captures.</td></tr>`}</tbody></table></section>`
  );
}

/** A peer address in words: the node or gateway it belongs to, when the outputs say. */
function peerName(s: StackView, ip: string): string {
  const node = s.outputs.nodes.find((n) => n.ip === ip);
  if (node) return node.name;
  const gw = s.outputs.router?.interfaces.find((i) => i.ip === ip);
  return gw ? `gateway ${s.outputs.router?.name ?? ""}`.trim() : "";
}

/** The sessions picture, its summary, and apart from it what is not Established and what peers with no one in the lab. */
function sessionsFigure(s: StackView, id: string): string {
  const t = s.sessions;
  if (t.edges.length === 0 && t.strays.length === 0) return "";
  const summary = sessionsSummary(t);
  const down = t.edges
    .filter((x) => !x.established)
    .map((x) => `<li class="session down" data-session="${e(`${x.a}|${x.b}`)}">${e(`${x.a} ↔ ${x.b}`)} <span class="state">✘ ${e(x.states.join(", "))}</span></li>`);
  const oneSided = t.edges.filter((x) => x.oneSided).map((x) => `<li class="session one-sided">${e(`${x.a} ↔ ${x.b}: only ${x.states.join(", ")}`)}</li>`);
  const strays = t.strays.map((x) => `<li class="session stray">${e(`${x.node} → ${x.peer}: no node or gateway of this lab`)} <span class="state">${e(x.state)}</span></li>`);
  const notes = [
    down.length ? `<li>Not Established (${down.length}):<ul>${down.join("")}</ul></li>` : "",
    oneSided.length ? `<li>Reported by one end only:<ul>${oneSided.join("")}</ul></li>` : "",
    strays.length ? `<li>Sessions with addresses outside the lab:<ul>${strays.join("")}</ul></li>` : "",
  ].join("");
  return (
    `<div class="sessions-fig" data-sessions-stack="${e(s.name)}" data-reflectors="${e(t.reflectors.join(","))}"><p class="muted">${e(summary)}</p>` +
    sessionsSvg(t, id, `BGP sessions of stack ${s.name}: ${summary}`) +
    (notes ? `<ul class="sessions-key">${notes}</ul>` : "") +
    `</div>`
  );
}

function controlPlane(m: ReportModel): string {
  const blocks = m.stacks.map((s, i) => {
    const noBird = s.outputs.lab.vxlanMode !== "Never";
    const rows = s.outputs.nodes
      .map((n) => {
        const sessions = n.bgpPeers.length
          ? `<ul class="sessions">${n.bgpPeers
              .map((p) => {
                const up = p.state === "Established";
                const who = peerName(s, p.peer);
                return `<li class="session ${up ? "up" : "down"}" data-peer="${e(p.peer)}" data-state="${e(p.state)}"><span class="mono">${e(p.peer)}</span>${who ? ` <span class="muted">${e(who)}</span>` : ""} <span class="state">${up ? "✔" : "✘"} ${e(p.state)}</span></li>`;
              })
              .join("")}</ul>`
          : `<p class="nofile">${noBird ? "none: with VXLAN, Felix programs the routes and Calico runs no BIRD" : "none reported"}</p>`;
        const routes = n.routes.length ? `<pre class="routes">${n.routes.map(routeLineHtml).join("\n")}</pre>` : `<p class="nofile">no pool routes in the outputs</p>`;
        return `<tr data-node="${e(n.name)}"><th scope="row">${e(n.name)}<br><span class="mono muted">${e(n.ip)}</span></th><td>${sessions}</td><td>${routes}</td></tr>`;
      })
      .join("");
    return (
      `<div class="cp" data-stack="${e(s.name)}"><h3>${e(s.name)} <span class="muted">· ${e(s.modes)} · control plane ${e(s.outputs.lab.controlPlane)}</span></h3>` +
      sessionsFigure(s, `${stackId(i)}-sessions`) +
      `<table class="nodes"><thead><tr><th scope="col">node</th><th scope="col">BGP sessions</th><th scope="col">pool routes</th></tr></thead><tbody>${rows}</tbody></table></div>`
    );
  });
  return (
    `<section id="control-plane"><h2>Control plane: BGP sessions and pool routes</h2>` +
    `<p class="lede">What each node reported once its routes matched the model: its BGP sessions as BIRD sees them (drawn first: route reflectors in the upper row with a heavy border, their clients under them, or the node-to-node mesh as arcs; the gateway's bar under the nodes in mode Never; sessions not Established red and dashed with a ✘), and its routes to the pool as <code>ip route</code> prints them (<span class="mono">proto bird</span>: BIRD's, <span class="mono">proto 80</span>: Felix's).</p>` +
    `<div class="cp-grid">${blocks.join("")}</div></section>`
  );
}

function captures(m: ReportModel, o: HtmlOptions): string {
  const rows = m.stacks.flatMap((s) =>
    s.captures.map((v) => {
      const c = v.capture;
      const size = o.pcapSizes?.get(c.pcap);
      const rel = relativeFileHref(c.pcap, o.outDir);
      const file = v.pcap.exists
        ? `<a href="${e(rel)}" data-pcap="${e(c.pcap)}">${e(path.basename(c.pcap))}</a> <span class="muted">(${e(size !== undefined ? `${size} bytes` : "present")})</span><br><a class="mono muted" href="${e(fileUrl(c.pcap))}">${e(fileUrl(c.pcap))}</a>`
        : `<span class="nofile">${e(c.pcap)}: not on this machine</span>`;
      return `<tr><td>${e(s.name)}</td><td class="scenario-name">${e(c.scenario)}</td><td>${e(c.point.node)} <span class="mono">${e(c.point.interface)}</span></td><td>${e(String(c.packets))}</td><td>${file}</td></tr>`;
    }),
  );
  return (
    `<section id="captures"><h2>Captures</h2><table class="captures"><thead><tr><th>stack</th><th>scenario</th><th>capture point</th><th>packets</th><th>pcap</th></tr></thead>` +
    `<tbody>${rows.join("") || `<tr><td colspan="5" class="muted">No captures.</td></tr>`}</tbody></table></section>`
  );
}

export function renderHtml(m: ReportModel, o: HtmlOptions): string {
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">` +
    `<meta name="color-scheme" content="light dark">` +
    `<title>${e(m.title)}</title><style>${CSS}</style></head><body>` +
    sharedDefs() +
    header(m) +
    failures(m) +
    `<main>` +
    topology(m) +
    results(m) +
    comparison(m) +
    headerStacks(m) +
    routes(m) +
    controlPlane(m) +
    captures(m, o) +
    `</main><footer>calico-ipip-lab report · stacks: ${m.stacks.map((s) => e(s.name)).join(", ")} · generated ${e(m.generatedAt)} by <code>npm run report</code></footer>` +
    `</body></html>\n`
  );
}
