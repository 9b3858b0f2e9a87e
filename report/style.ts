/**
 * The page's only stylesheet, inlined. Okabe-Ito colours (colour-blind safe), and every
 * colour has a second cue: dash pattern, hatch, shape or words. Light and dark themes
 * follow prefers-color-scheme; print gets white paper and no page breaks inside figures.
 */
export const CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1b1b; --muted: #555555; --rule: #d4d4d4; --panel: #f5f5f2;
  --box: #fbfbfa; --box-line: #6b6b6b; --link-line: #9a9a9a;
  --ipip: #E69F00; --plain: #0072B2; --vxlan: #CC79A7; --unknown: #7a7a7a;
  --pass: #009E73; --fail: #D55E00; --fail-tint: #fbe6da; --pass-tint: #e3f4ee;
  --seg-outer: #E69F00; --seg-encap: #CC79A7; --seg-ip: #56B4E9; --seg-l4: #009E73; --seg-payload: #F0E442; --seg-link: #bdbdbd;
  --anchor: #0060a0;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #16181b; --fg: #e8e8e6; --muted: #a8a8a4; --rule: #3a3d42; --panel: #1f2226;
    --box: #23272c; --box-line: #9aa0a6; --link-line: #6c7178;
    --plain: #56B4E9; --unknown: #9a9a9a;
    --fail-tint: #3b2418; --pass-tint: #15302a; --anchor: #7cc4f0;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; max-width: 1800px; padding: 20px 28px 40px; font: 14px/1.45 system-ui, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
a { color: var(--anchor); }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 18px 0 8px; }
code, pre, .mono { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.lede { margin: 0 0 12px; color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: 8px; margin: 10px 0 0; padding: 0; list-style: none; }
.chip { border: 1px solid var(--rule); border-radius: 8px; padding: 6px 10px; background: var(--panel); }
.verdict { display: inline-block; font-weight: 700; padding: 1px 8px; border-radius: 5px; color: #000; letter-spacing: .02em; white-space: nowrap; }
.verdict.pass { background: var(--pass); }
.verdict.fail { background: var(--fail); }
.overall { font-size: 16px; }
.callout { border: 2px solid var(--fail); border-left-width: 8px; background: var(--fail-tint); border-radius: 6px; padding: 10px 14px; margin: 16px 0; }
.callout h2 { border: 0; margin: 0 0 6px; font-size: 17px; }
.callout ul { margin: 0; padding-left: 20px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 4px 0 12px; padding: 8px 12px; background: var(--panel); border-radius: 6px; list-style: none; }
.legend li { display: flex; align-items: center; gap: 6px; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 18px; }
figure { margin: 0; padding: 10px 12px 12px; border: 1px solid var(--rule); border-radius: 8px; background: var(--bg); break-inside: avoid; }
figcaption { margin-bottom: 6px; display: flex; flex-direction: column; gap: 2px; }
figcaption .fig-title { font-weight: 700; font-size: 15px; }
figcaption .muted { font-weight: 400; }
svg.topo { width: 100%; height: auto; display: block; }
svg.defs { position: absolute; width: 0; height: 0; overflow: hidden; }
.key { margin: 8px 0 0; padding: 0; list-style: none; }
.key li { margin: 4px 0; display: grid; grid-template-columns: 26px 1fr; gap: 8px; align-items: baseline; }
.key .num { display: inline-block; min-width: 22px; text-align: center; font-weight: 700; border: 2px solid var(--box-line); border-radius: 11px; }
.key li.failed .num { border-radius: 3px; border-color: var(--fail); }
.reason { color: var(--fg); background: var(--fail-tint); border-left: 4px solid var(--fail); padding: 2px 8px; margin: 4px 0 0; display: block; }

/* SVG: topology */
.topo text { fill: var(--fg); font-size: 12px; }
.topo text.title { font-weight: 700; font-size: 13px; }
.topo text.sub { fill: var(--muted); font-size: 11px; }
.topo text.addr { font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
.topo .link { stroke: var(--link-line); stroke-width: 2; }
.topo .link-veth { stroke-dasharray: 1 3; stroke-linecap: round; }
.topo .gateway rect { fill: var(--panel); stroke: var(--box-line); stroke-width: 1.5; }
.topo .bridge rect { fill: var(--link-line); }
.topo .bridge text { font-weight: 600; font-size: 12px; }
.topo .node rect { fill: var(--box); stroke: var(--box-line); stroke-width: 1.5; }
.topo .pod rect { fill: var(--panel); stroke: var(--box-line); stroke-width: 1.2; stroke-dasharray: 4 2; }
.topo polyline { fill: none; stroke-linejoin: round; }
.topo .halo { stroke: var(--bg); stroke-width: 6; }
.topo .halo-wide { stroke-width: 9; }
.path, .leg { fill: none; }
.path-ipip { stroke: var(--ipip); stroke-width: 5; stroke-dasharray: 11 5; }
.path-none { stroke: var(--plain); stroke-width: 4; }
.path-vxlan { stroke: var(--vxlan); stroke-width: 5; stroke-dasharray: 12 4 2 4; }
.path-unknown { stroke: var(--unknown); stroke-width: 4; stroke-dasharray: 1 6; stroke-linecap: round; }
.leg { stroke: var(--plain); stroke-width: 2; }
.arrow-leg path { fill: var(--plain); }
.tunnel-mark { fill: var(--ipip); stroke: var(--fg); stroke-width: 1.2; }
.capture-mark circle { fill: none; stroke: var(--fg); stroke-width: 1.5; }
.capture-mark circle.dot { fill: var(--fg); stroke: none; }
.badge circle, .badge rect { fill: var(--bg); stroke: var(--fg); stroke-width: 2; }
.badge text { font-weight: 700; font-size: 12px; fill: var(--fg); }
.badge text.badge-label { font-size: 11px; paint-order: stroke; stroke: var(--bg); stroke-width: 4px; stroke-linejoin: round; }
.badge-fail text.badge-label { fill: var(--fail); }
.badge-fail rect { stroke: var(--fail); stroke-width: 3; }
.scenario-path.failed .halo-wide { stroke: var(--fail); stroke-opacity: .35; stroke-width: 15; }
.swatch { flex: none; }

/* Results table */
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid var(--rule); padding: 6px 9px; text-align: left; vertical-align: top; }
thead th { background: var(--panel); }
table.results td.cell { min-width: 260px; }
table.results td.cell.fail { background: var(--fail-tint); border: 2px solid var(--fail); }
table.results td.cell.pass { background: var(--pass-tint); }
table.results dl { display: grid; grid-template-columns: max-content 1fr; gap: 1px 10px; margin: 6px 0 0; }
table.results dt { color: var(--muted); }
table.results dd { margin: 0; }
.enc { font-weight: 700; padding: 0 5px; border-radius: 3px; border-bottom: 3px solid; }
.enc-ipip { border-color: var(--ipip); border-bottom-style: dashed; }
.enc-none { border-color: var(--plain); }
.enc-vxlan { border-color: var(--vxlan); border-bottom-style: dotted; }
.enc-mixed, .enc-missing { border-color: var(--unknown); border-bottom-style: dotted; }
.scenario-name { font-weight: 700; }

/* Header stacks */
.stack-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; }
.packet { margin: 6px 0 12px; }
.packet .flow { font-weight: 600; }
svg.bar { display: block; max-width: 100%; height: auto; margin: 4px 0; overflow: visible; }
.bar text { fill: var(--fg); font-size: 11px; }
.bar .seg-bytes { fill: #000; font-weight: 700; }
.bar .fill { stroke: #000; stroke-width: .6; }
.seg-link .fill { fill: var(--seg-link); }
.seg-outer-ipv4 .fill { fill: var(--seg-outer); }
.seg-outer-udp .fill, .seg-vxlan .fill, .seg-inner-ethernet .fill { fill: var(--seg-encap); }
.seg-ipv4 .fill { fill: var(--seg-ip); }
.seg-l4 .fill { fill: var(--seg-l4); }
.seg-payload .fill { fill: var(--seg-payload); }
.hatch-bg { fill: none; } .hatch-line { stroke: rgba(0,0,0,.35); stroke-width: 2; }
.bar .outline { fill: none; stroke: var(--fg); stroke-width: 1; }
.bar .break { fill: none; stroke: var(--bg); stroke-width: 3; }
.bar .tick, .bar .leader { stroke: var(--muted); stroke-width: 1; }
.bar .tick-label { fill: var(--muted); font-size: 10px; }
.mtu { margin: 6px 0 10px; padding: 6px 10px; border-radius: 5px; background: var(--panel); border-left: 6px solid var(--plain); }
.mtu-ipip { border-left-color: var(--ipip); }
.mtu-vxlan { border-left-color: var(--vxlan); }
.packet .caption { font-size: 12px; }
.packet .flow { font-size: 12px; }
.mtu strong { white-space: nowrap; }

/* Comparison of the stacks' costs */
table.comparison td.cost { min-width: 200px; }
table.comparison th[scope="row"], table.results th[scope="row"] .scenario-name { white-space: nowrap; }
.per-packet strong { font-size: 16px; }
svg.share { display: block; margin: 4px 0; }
.share-all { fill: var(--panel); stroke: var(--box-line); stroke-width: 1; }
.share-tunnel.share-ipip { fill: var(--ipip); }
.share-tunnel.share-vxlan { fill: var(--vxlan); }
.share-tunnel.share-none { fill: none; }
svg.share .tick { stroke: var(--muted); stroke-width: 1; }

/* Control plane */
.cp-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(760px, 1fr)); gap: 14px; }
table.nodes td, table.nodes th { font-size: 12px; }
/* Route lines stay whole (a cut route reads as two); a narrow page scrolls them. */
table.nodes pre.routes { margin: 0; font-size: 11px; white-space: pre; word-break: normal; overflow-x: auto; }
.cp { min-width: 0; overflow-x: auto; }
.sessions { margin: 0; padding: 0; list-style: none; }
.session .muted { font-size: 11px; }
.session .state { font-weight: 700; white-space: nowrap; }
.session.up .state { color: var(--pass); }
.session.down .state { color: var(--fail); }

/* SVG: BGP sessions */
svg.sessions-pic { max-width: 100%; height: auto; display: block; margin: 6px 0 4px; }
.sessions-pic text { fill: var(--fg); font-size: 12px; }
.sessions-pic text.title { font-weight: 700; font-size: 13px; }
.sessions-pic text.sub { fill: var(--muted); font-size: 11px; }
.sessions-pic text.sub.warn { fill: var(--fail); font-weight: 700; }
.sessions-pic text.addr { font-family: "DejaVu Sans Mono", monospace; }
.sessions-pic .node rect { fill: var(--box); stroke: var(--box-line); stroke-width: 1.5; }
.sessions-pic .node.role-reflector rect { stroke: var(--fg); stroke-width: 3; }
.sessions-pic .gateway rect { fill: var(--panel); stroke: var(--box-line); stroke-width: 1.5; }
.bgp-session line, .bgp-session path { fill: none; stroke: var(--pass); stroke-width: 2; }
.bgp-session.bgp-gateway line { stroke: var(--link-line); }
.bgp-session.bgp-client-client path { stroke-dasharray: 2 3; }
/* Not Established: red, dashed, thicker, a ✘ on it: apart from the working ones at a glance. */
.bgp-session.down line, .bgp-session.down path { stroke: var(--fail); stroke-width: 3; stroke-dasharray: 7 4; }
.bgp-session .down-mark circle { fill: var(--bg); stroke: var(--fail); stroke-width: 2; }
.bgp-session .down-mark text { fill: var(--fail); font-weight: 700; font-size: 11px; }
.sessions-key { margin: 2px 0 10px; padding-left: 18px; font-size: 12px; }

/* Routes and captures */
pre.routes { margin: 4px 0 8px; padding: 6px 8px; background: var(--panel); border-radius: 5px; white-space: pre-wrap; word-break: break-all; }
pre.routes .dev-tunnel { font-weight: 700; border-bottom: 2px dashed var(--ipip); }
pre.routes .dev-plain { font-weight: 700; border-bottom: 2px solid var(--plain); }
pre.routes .dev-vxlan { border-bottom: 2px dotted var(--vxlan); }
.nofile { color: var(--muted); font-style: italic; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }

@media print {
  :root { color-scheme: light; --bg: #fff; --fg: #000; --muted: #444; --panel: #f2f2f2; --box: #fff; --rule: #bbb; --plain: #0072B2; --fail-tint: #fbe6da; --pass-tint: #eaf6f1; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  body { max-width: none; padding: 0; font-size: 11px; }
  @page { size: A4 landscape; margin: 12mm; }
  h2 { break-after: avoid; }
  figure, .packet, tr, .callout { break-inside: avoid; }
  .figures { grid-template-columns: repeat(2, 1fr); }
  a { color: inherit; text-decoration: none; }
}
`;
