import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import type { LabOutputs } from "../../model/spec";
import { renderHtml, routeLineHtml } from "../../report/html";
import { renderMarkdown } from "../../report/markdown";
import { buildReport } from "../../report/model";
import { fiveStackOutputs, seedOutputs } from "./fixtures";

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "report-html-"));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const EVIL = `"><script>alert(1)</script><img src=x onerror=alert(2)>`;

async function hostile(): Promise<LabOutputs> {
  const o = await seedOutputs({ mode: "CrossSubnet", captureDir: path.join(dir, `c ${EVIL.length}`), observe: { "same-subnet": "ipip" } });
  o.lab.name = `lab${EVIL}`;
  o.nodes[0].name = `n0${EVIL}`;
  o.nodes[0].segment = `seg${EVIL}`;
  o.nodes[1].segment = `seg${EVIL}`;
  o.pods[0].node = o.nodes[0].name;
  o.pods[0].name = `p0${EVIL}`;
  for (const c of o.captures) {
    c.client.node = o.nodes[0].name;
    c.client.pod = o.pods[0].name;
    c.point.node = o.nodes[0].name;
  }
  o.captures[0].scenario = `s|1${EVIL}`;
  o.captures[0].reason = `why${EVIL}\nsecond line`;
  o.captures[0].routes.client = [`10.244.0.65 via 10.1.5.11 dev net0${EVIL}`];
  return o;
}

describe("renderHtml", () => {
  it("escapes every string from the outputs: no markup from them survives", async () => {
    const m = await buildReport([{ name: `st${EVIL}`, outputs: await hostile() }]);
    const html = renderHtml(m, { outDir: dir });
    // Boolean checks, so a failure does not print the whole page.
    expect(/<script/i.test(html)).toBe(false);
    expect(/<img/i.test(html)).toBe(false);
    expect(/"\s*onerror=/.test(html)).toBe(false);
    expect(html).toContain("&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(html).toContain(`data-scenario="s|1&quot;&gt;&lt;script&gt;`);
    expect(html).toContain("why&quot;&gt;&lt;script&gt;");
  });

  it("is self-contained: no scripts, no external resources, a CSP that forbids loading any", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "a") });
    const html = renderHtml(await buildReport([{ name: "ipip", outputs: a }]), { outDir: dir });
    expect(/<script|<link|<iframe|<object|<embed|@import|@font-face/i.test(html)).toBe(false);
    expect(/https?:\/\//.test(html)).toBe(false);
    expect(/\ssrc=/.test(html)).toBe(false);
    expect([...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]).every((u) => u.startsWith("#"))).toBe(true);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
    expect(html).toContain("prefers-color-scheme: dark");
    expect(html).toContain("@media print");
  });

  it("has a topology per stack, a row per scenario with a cell per stack, header stacks, routes and pcap links", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "captures", "ipip") });
    const c = await seedOutputs({ mode: "CrossSubnet", captureDir: path.join(dir, "captures", "cross") });
    const outDir = path.join(dir, "reports");
    const html = renderHtml(
      await buildReport([
        { name: "ipip", outputs: a },
        { name: "crosssubnet", outputs: c },
      ]),
      { outDir },
    );
    expect(html.match(/<svg class="topo"/g)).toHaveLength(2);
    expect(html.match(/<g class="node"/g)).toHaveLength(8);
    expect(html.match(/<g class="pod"/g)).toHaveLength(8);
    expect(html.match(/<tr data-scenario=[^>]*class="(passed|failed)"/g)).toHaveLength(2);
    expect(html.match(/<td class="cell (pass|fail)"/g)).toHaveLength(4);
    expect(html.match(/data-observed="ipip"/g)).toHaveLength(3);
    expect(html.match(/data-observed="none"/g)).toHaveLength(1);
    expect(html.match(/<svg class="bar"/g)).toHaveLength(16);
    expect(html).toContain("MTU 1500 → 1480");
    expect(html).toContain(`href="../captures/ipip/same-subnet.pcap"`);
    expect(html).toContain(`href="file://${path.join(dir, "captures", "ipip", "cross-subnet.pcap")}"`);
    expect(html).toContain(`dev <span class="dev-tunnel">tunl0</span>`);
    expect(html).not.toContain(`id="failures"`);
  });

  it("five stacks: a column each, captions in words, VXLAN's headers to scale, the costs compared, sessions and pool routes", async () => {
    const html = renderHtml(await buildReport(await fiveStackOutputs(path.join(dir, "five"))), { outDir: dir });
    expect(html.match(/<svg class="topo"/g)).toHaveLength(5);
    expect(html.match(/<td class="cell pass"/g)).toHaveLength(10);
    expect(html.match(/<td class="cost"/g)).toHaveLength(10);
    expect(html).not.toContain("IPIP mode");
    for (const words of ["IPIP Always", "IPIP CrossSubnet", "no encapsulation", "VXLAN Always", "VXLAN CrossSubnet"]) expect(html).toContain(`data-modes="${words}"`);
    expect(html).toContain(`data-pod-mtu="1450">pod MTU 1500 → 1450`);
    expect(html).toContain(`data-pod-mtu="1500">pod MTU 1500<`);
    // VXLAN drawn to scale: outer Ethernet 14, outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14, then the inner packet
    expect(html).toMatch(
      /data-layer="link" data-bytes="14">.*?data-layer="outer-ipv4" data-bytes="20">.*?data-layer="outer-udp" data-bytes="8">.*?data-layer="vxlan" data-bytes="8">.*?data-layer="inner-ethernet" data-bytes="14">.*?data-layer="ipv4" data-bytes="20">/,
    );
    for (const mtu of ["MTU 1500 → 1480", "MTU 1500 → 1450", "MTU 1500</strong>"]) expect(html).toContain(mtu);
    expect(html).toContain(`data-overhead="50" data-share="0.2456"`);
    expect(html).toContain(`data-overhead="20" data-share="0.1152"`);
    // the control plane: the gateway is a peer in mode Never only; VXLAN runs no BIRD
    expect(html).toMatch(/<div class="cp" data-stack="bgp">.*?data-peer="10\.1\.5\.1" data-state="Established">/);
    expect(html).toMatch(/<div class="cp" data-stack="vxlan">.*?none: with VXLAN, Felix programs the routes and Calico runs no BIRD/);
    expect(html).toContain(`10.244.0.128/26 via 10.244.0.128 dev <span class="dev-tunnel dev-vxlan">vxlan.calico</span> proto 80 onlink`);
    expect(html).toContain(`10.244.0.128/26 via 10.1.5.1 dev <span class="dev-plain">net0</span> proto bird`);
  });

  it("draws each stack's BGP sessions: the rr stack's reflectors over their clients, the mesh for the others, none for VXLAN", async () => {
    const rr = await seedOutputs({ mode: "CrossSubnet", reflectors: [1, 3], captureDir: path.join(dir, "rr") });
    rr.nodes[3].bgpPeers[1].state = "Connect";
    const stacks = [{ name: "rr", outputs: rr }, ...(await fiveStackOutputs(path.join(dir, "five-rr")))];
    const m = await buildReport(stacks);
    const html = renderHtml(m, { outDir: dir });
    // one picture per stack that speaks BGP: rr, ipip, crosssubnet, bgp
    expect(html.match(/<svg class="sessions-pic"/g)).toHaveLength(4);
    expect(html).toMatch(/data-sessions-stack="rr" data-reflectors="lab-control-plane,lab-worker2"><p class="muted">route reflectors lab-control-plane, lab-worker2 \(cluster ID 244\.0\.0\.1\), 2 clients: 5 sessions, 4 Established, 1 not between nodes</);
    expect(html).toMatch(/data-sessions-stack="rr".*?<g class="bgp-session bgp-client down" data-session="lab-worker2\|lab-worker3"/);
    expect(html).toMatch(/data-sessions-stack="rr".*?<ul class="sessions-key"><li>Not Established \(1\):<ul><li class="session down" data-session="lab-worker2\|lab-worker3">/);
    expect(html).toMatch(/data-sessions-stack="ipip" data-reflectors=""><p class="muted">node-to-node mesh of 4 nodes: 6 sessions, 6 Established between nodes</);
    expect(html).toMatch(/data-sessions-stack="bgp".*?4 sessions, 4 Established with the gateway/);
    expect(html).not.toContain(`data-sessions-stack="vxlan"`);
    const md = renderMarkdown(m, path.join(dir, "r.html"), dir);
    expect(md).toContain("## BGP sessions");
    expect(md).toContain("- **rr**: route reflectors lab-control-plane, lab-worker2 (cluster ID 244.0.0.1), 2 clients: 5 sessions, 4 Established, 1 not between nodes; not Established: lab-worker2 ↔ lab-worker3 (lab-worker2: Established, lab-worker3: Connect)");
    expect(md).not.toMatch(/\*\*vxlan\*\*: /);
  });

  it("makes a failing scenario stand out, with its reason, in the callout, the picture and the table", async () => {
    const c = await seedOutputs({ mode: "CrossSubnet", captureDir: path.join(dir, "f"), observe: { "same-subnet": "ipip" } });
    const html = renderHtml(await buildReport([{ name: "crosssubnet", outputs: c }]), { outDir: dir });
    const reason = "expected none between 10.244.0.1 and 10.244.0.65 but the packets were ipip";
    expect(html).toMatch(new RegExp(`id="failures" role="alert">.*${reason}`));
    expect(html).toContain(`class="scenario-path failed" data-scenario="same-subnet"`);
    expect(html).toMatch(/<td class="cell fail"[^>]*>.*?✘ FAIL.*?<span class="reason">expected none/);
  });

  it("says when a pcap is not on this machine", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "gone"), writePcaps: false });
    const html = renderHtml(await buildReport([{ name: "ipip", outputs: a }]), { outDir: dir });
    expect(html.match(/data-note="headers">The pcap is not on this machine/g)).toHaveLength(2);
    expect(html).toContain("same-subnet.pcap: not on this machine");
    expect(html).not.toContain(`<svg class="bar"`);
  });

  it("routeLineHtml marks the output device and escapes the rest", () => {
    expect(routeLineHtml("10.244.0.65 via 10.1.5.11 dev net0 src 10.1.5.10 <x>")).toBe(
      `10.244.0.65 via 10.1.5.11 dev <span class="dev-plain">net0</span> src 10.1.5.10 &lt;x&gt;`,
    );
  });
});

describe("renderMarkdown", () => {
  it("summarises verdicts, results, failures and pcaps; one table row per scenario", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "ma") });
    const c = await seedOutputs({ mode: "CrossSubnet", captureDir: path.join(dir, "mc"), observe: { "cross-subnet": "none" } });
    const m = await buildReport([
      { name: "ipip", outputs: a },
      { name: "crosssubnet", outputs: c },
    ]);
    const md = renderMarkdown(m, path.join(dir, "reports", "r.html"), path.join(dir, "reports"));
    expect(md).toMatch(/^# Calico encapsulation lab: ipip vs crosssubnet\n/);
    expect(md).toContain("Overall: **FAIL ✘**");
    expect(md).toContain("[r.html](r.html)");
    expect(md).toContain("| ipip | IPIP Always | 1480 | netns | userspace-ipip | PASS ✔ |");
    expect(md).toContain("| crosssubnet | IPIP CrossSubnet | 1480 | netns | userspace-ipip | **FAIL ✘** |");
    // one row per scenario in the results, and again in the costs
    expect(md.split("\n").filter((l) => /^\| (same|cross)-subnet \|/.test(l))).toHaveLength(4);
    expect(md).toContain("| same-subnet | 20 B/packet, ");
    expect(md).toContain("## Failures");
    expect(md).toContain("- **crosssubnet** cross-subnet: expected ipip");
    expect(md).toContain("MTU 1500 → 1480");
  });

  it("keeps hostile strings inside their cells", async () => {
    const m = await buildReport([{ name: "h|x", outputs: await hostile() }]);
    const md = renderMarkdown(m, path.join(dir, "r.html"), dir);
    expect(md).not.toMatch(/<script/);
    const row = md.split("\n").find((l) => l.startsWith("| s\\|1"))!;
    // Header has 2 columns, so the row has exactly 3 unescaped pipes.
    expect(row.replace(/\\\|/g, "").match(/\|/g)).toHaveLength(3);
  });
});

it("renders a stack without captures, saying so", async () => {
  const o = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "none"), writePcaps: false });
  o.captures = [];
  o.verdict = "fail";
  const html = renderHtml(await buildReport([{ name: "empty", outputs: o }]), { outDir: dir });
  expect(html).toContain("No captures in this stack's outputs.");
  expect(html).toContain("<strong>empty</strong>: no captures in the outputs");
});
