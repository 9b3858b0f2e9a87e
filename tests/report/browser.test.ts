/**
 * End to end in a real browser: generate the report from both seed stacks, and from all
 * five shipped stacks (ipip, crosssubnet, bgp, vxlan, vxlancrosssubnet; pcaps built byte
 * by byte), open it from disk in headless Chromium, check that the key elements are there
 * and visible, and take screenshots (light, dark, print, a failing report, the five-stack
 * page); set REPORT_KEEP_SCREENSHOTS=1 to keep them for a human to look at (the path is
 * printed).
 */
import { existsSync } from "fs";
import * as path from "path";
import type { BrowserContext } from "playwright-core";
import { artefactDir, CHROMIUM, finishArtefacts, openBrowser, openReport } from "./browser";
import { generateReport } from "../../report";
import { fiveStackOutputs, FIVE_STACKS, seedOutputs } from "./fixtures";

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // eslint-disable-next-line no-console
  console.warn(`tests/report/browser.test.ts: SKIPPED — no Chromium at ${CHROMIUM} (install it: DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)`);
}

(haveChromium ? describe : describe.skip)("the report in Chromium", () => {
  let dir: string;
  let html: string;
  let failingHtml: string;
  let fiveHtml: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    dir = await artefactDir("report-browser");
    const ipip = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "captures", "ipip") });
    const cross = await seedOutputs({ mode: "CrossSubnet", captureDir: path.join(dir, "captures", "crosssubnet") });
    ({ html } = await generateReport({
      stacks: [
        { name: "ipip", outputs: ipip },
        { name: "crosssubnet", outputs: cross },
      ],
      outDir: path.join(dir, "reports"),
    }));
    const broken = await seedOutputs({ mode: "CrossSubnet", captureDir: path.join(dir, "captures", "broken"), observe: { "same-subnet": "ipip" } });
    ({ html: failingHtml } = await generateReport({ stacks: [{ name: "broken", outputs: broken }], outDir: path.join(dir, "reports") }));
    ({ html: fiveHtml } = await generateReport({ stacks: await fiveStackOutputs(path.join(dir, "five")), outDir: path.join(dir, "reports") }));
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await finishArtefacts(dir);
  });

  it("shows both topologies, every node and pod, one row per scenario and the verdicts", async () => {
    const ctx = await openBrowser(dir);
    contexts.push(ctx);
    const { page, problems } = await openReport(ctx, html);

    const topos = page.locator("svg.topo");
    await expect(topos.count()).resolves.toBe(2);
    for (let i = 0; i < 2; i++) {
      await expect(topos.nth(i).isVisible()).resolves.toBe(true);
      const box = (await topos.nth(i).boundingBox())!;
      expect(box.width).toBeGreaterThan(500);
      expect(box.height).toBeGreaterThan(200);
    }
    // Side by side: the two pictures share a row.
    const [b0, b1] = [(await topos.nth(0).boundingBox())!, (await topos.nth(1).boundingBox())!];
    expect(Math.abs(b0.y - b1.y)).toBeLessThan(5);
    expect(b1.x).toBeGreaterThan(b0.x + b0.width);

    for (const stack of ["ipip", "crosssubnet"]) {
      const fig = page.locator(`figure[data-stack="${stack}"]`);
      for (const n of ["lab-control-plane", "lab-worker", "lab-worker2", "lab-worker3"]) {
        await expect(fig.locator(`g.node[data-node="${n}"]`).isVisible()).resolves.toBe(true);
      }
      await expect(fig.locator("g.pod").count()).resolves.toBe(4);
      await expect(fig.locator("g.gateway").isVisible()).resolves.toBe(true);
      await expect(fig.locator("g.bridge").count()).resolves.toBe(2);
      await expect(fig.locator("text", { hasText: "10.1.8.10/24" }).isVisible()).resolves.toBe(true);
      await expect(fig.locator("text", { hasText: "10.244.0.129" }).isVisible()).resolves.toBe(true);
    }

    // What the pictures say: Always encapsulates both, CrossSubnet only across subnets.
    const observed = async (stack: string, scenario: string) =>
      page.locator(`figure[data-stack="${stack}"] g.scenario-path[data-scenario="${scenario}"]`).getAttribute("data-observed");
    await expect(observed("ipip", "same-subnet")).resolves.toBe("ipip");
    await expect(observed("ipip", "cross-subnet")).resolves.toBe("ipip");
    await expect(observed("crosssubnet", "same-subnet")).resolves.toBe("none");
    await expect(observed("crosssubnet", "cross-subnet")).resolves.toBe("ipip");
    await expect(page.locator(`figure[data-stack="crosssubnet"] polyline.path-none`).isVisible()).resolves.toBe(true);
    await expect(page.locator(`figure[data-stack="crosssubnet"] polyline.path-ipip`).isVisible()).resolves.toBe(true);
    await expect(page.locator(`figure[data-stack="crosssubnet"] path.tunnel-mark`).count()).resolves.toBe(2 + 2);

    // The table: one row per scenario, one cell per stack, each with a visible verdict.
    const rows = page.locator("table.results tbody tr");
    await expect(rows.count()).resolves.toBe(2);
    for (const scenario of ["same-subnet", "cross-subnet"]) {
      const cells = page.locator(`table.results tr[data-scenario="${scenario}"] td.cell`);
      await expect(cells.count()).resolves.toBe(2);
      for (let i = 0; i < 2; i++) {
        const badge = cells.nth(i).locator(".verdict");
        await expect(badge.isVisible()).resolves.toBe(true);
        await expect(badge.innerText()).resolves.toBe("✔ PASS");
      }
    }
    await expect(page.locator(`tr[data-scenario="same-subnet"] td[data-stack="crosssubnet"] .enc`).first().innerText()).resolves.toBe("plain");
    await expect(page.locator(`tr[data-scenario="same-subnet"] td[data-stack="ipip"] dd.mono`).first().innerText()).resolves.toBe("10.1.5.10 → 10.1.5.11 (proto 4)");

    // Header stacks, MTU, routes, pcap links.
    await expect(page.locator("svg.bar").first().isVisible()).resolves.toBe(true);
    await expect(page.locator("svg.bar").count()).resolves.toBe(16);
    await expect(page.locator(".mtu", { hasText: "MTU 1500 → 1480" }).first().isVisible()).resolves.toBe(true);
    await expect(page.locator("pre.routes .dev-tunnel").first().isVisible()).resolves.toBe(true);
    await expect(page.locator("#captures a[data-pcap]").count()).resolves.toBe(4);
    await expect(page.locator("#failures").count()).resolves.toBe(0);

    await page.screenshot({ path: path.join(dir, "report-light.png"), fullPage: true });
    await page.locator("#topology").screenshot({ path: path.join(dir, "topology-light.png") });
    await page.emulateMedia({ media: "print" });
    await page.screenshot({ path: path.join(dir, "report-print.png"), fullPage: true });
    expect(problems).toEqual([]);
  });

  it("renders the dark theme", async () => {
    const ctx = await openBrowser(dir, "dark");
    contexts.push(ctx);
    const { page, problems } = await openReport(ctx, html);
    // A string expression: this project's TypeScript has no DOM types.
    const bg = await page.evaluate("getComputedStyle(document.documentElement).backgroundColor");
    expect(bg).toBe("rgb(22, 24, 27)");
    await expect(page.locator("svg.topo").first().isVisible()).resolves.toBe(true);
    await page.screenshot({ path: path.join(dir, "report-dark.png"), fullPage: true });
    expect(problems).toEqual([]);
  });

  it("compares all five stacks on one page: pictures, a column each, VXLAN's headers to scale, the costs, the control plane", async () => {
    const ctx = await openBrowser(dir);
    contexts.push(ctx);
    const { page, problems } = await openReport(ctx, fiveHtml);
    const names = FIVE_STACKS.map((s) => s.name);

    // A picture per stack, every one visible and readable; the page does not scroll sideways.
    const topos = page.locator("svg.topo");
    await expect(topos.count()).resolves.toBe(5);
    for (let i = 0; i < 5; i++) {
      await expect(topos.nth(i).isVisible()).resolves.toBe(true);
      expect((await topos.nth(i).boundingBox())!.width).toBeGreaterThan(450);
    }
    await expect(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).resolves.toBe(true);
    const observed = async (stack: string, scenario: string) =>
      page.locator(`figure[data-stack="${stack}"] g.scenario-path[data-scenario="${scenario}"]`).getAttribute("data-observed");
    const seen: string[][] = [];
    for (const n of names) seen.push([n, (await observed(n, "same-subnet"))!, (await observed(n, "cross-subnet"))!]);
    expect(seen).toEqual([
      ["ipip", "ipip", "ipip"],
      ["crosssubnet", "none", "ipip"],
      ["bgp", "none", "none"],
      ["vxlan", "vxlan", "vxlan"],
      ["vxlancrosssubnet", "none", "vxlan"],
    ]);
    await expect(page.locator(`figure[data-stack="vxlan"] polyline.path-vxlan`).first().isVisible()).resolves.toBe(true);

    // One column per stack, captions in words, every cell passing.
    await expect(page.locator("table.results thead th[data-stack]").allInnerTexts()).resolves.toEqual([
      "ipip\nIPIP Always",
      "crosssubnet\nIPIP CrossSubnet",
      "bgp\nno encapsulation",
      "vxlan\nVXLAN Always",
      "vxlancrosssubnet\nVXLAN CrossSubnet",
    ]);
    await expect(page.locator("table.results td.cell.pass").count()).resolves.toBe(10);
    await expect(page.locator(`tr[data-scenario="cross-subnet"] td[data-stack="vxlan"] dd.mono`).first().innerText()).resolves.toBe(
      "10.1.5.10 → 10.1.8.10 (proto 17, udp 43121 → 4789, VNI 4096)",
    );

    // The costs side by side: 20 B (IPIP), 50 B (VXLAN), 0 B, each with its share of the bytes on the wire.
    const cost = page.locator(`#comparison tr[data-scenario="cross-subnet"] td.cost`);
    await expect(cost.count()).resolves.toBe(5);
    const perPacket: string[] = [];
    for (let i = 0; i < 5; i++) perPacket.push((await cost.nth(i).getAttribute("data-overhead"))!);
    expect(perPacket).toEqual(["20", "20", "0", "50", "50"]);
    await expect(cost.nth(3).innerText()).resolves.toContain("24.6 % of 2,443 B on the wire · 12 packets");
    await expect(page.locator("#comparison svg.share").first().isVisible()).resolves.toBe(true);

    // VXLAN's header stack to scale: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8, then the inner frame.
    const bar = page.locator(`#headers div[data-stack="vxlan"] .packet[data-encapsulation="vxlan"] svg.bar`).first();
    await expect(bar.isVisible()).resolves.toBe(true);
    const widths: [string, number][] = [];
    for (const layer of ["link", "outer-ipv4", "outer-udp", "vxlan", "inner-ethernet", "ipv4"]) {
      const box = (await bar.locator(`g[data-layer="${layer}"] rect.fill`).boundingBox())!;
      widths.push([layer, Math.round(box.width)]);
    }
    const px = widths[1][1] / 20;
    expect(widths.map(([l, w]) => [l, Math.round(w / px)])).toEqual([
      ["link", 14],
      ["outer-ipv4", 20],
      ["outer-udp", 8],
      ["vxlan", 8],
      ["inner-ethernet", 14],
      ["ipv4", 20],
    ]);
    for (const line of ["MTU 1500 → 1480", "MTU 1500 → 1450"]) await expect(page.locator(".mtu", { hasText: line }).first().isVisible()).resolves.toBe(true);
    await expect(page.locator(`.mtu[data-mtu="1500"]`).first().isVisible()).resolves.toBe(true);

    // The control plane: BIRD's sessions (the gateway's in mode Never) and each node's pool routes.
    await expect(page.locator(`#control-plane .cp`).count()).resolves.toBe(5);
    await expect(page.locator(`.cp[data-stack="bgp"] tr[data-node="lab-control-plane"] li.session[data-peer="10.1.5.1"]`).innerText()).resolves.toBe("10.1.5.1 gateway gw0 ✔ Established");
    await expect(page.locator(`.cp[data-stack="vxlan"] tr[data-node="lab-worker"] .nofile`).first().isVisible()).resolves.toBe(true);
    await expect(page.locator(`.cp[data-stack="vxlan"] tr[data-node="lab-control-plane"] pre.routes .dev-tunnel`).first().innerText()).resolves.toBe("vxlan.calico");

    await page.screenshot({ path: path.join(dir, "report-five-stacks.png"), fullPage: true });
    await page.locator("#comparison").screenshot({ path: path.join(dir, "five-stacks-comparison.png") });
    await page.locator("#headers").screenshot({ path: path.join(dir, "five-stacks-headers.png") });
    await page.locator("#control-plane").screenshot({ path: path.join(dir, "five-stacks-control-plane.png") });
    expect(problems).toEqual([]);
  });

  it("draws the rr stack's sessions: reflectors above their clients, the one not Established red and marked", async () => {
    const rr = await seedOutputs({ mode: "CrossSubnet", reflectors: [1, 3], captureDir: path.join(dir, "captures", "rr") });
    rr.nodes[3].bgpPeers[1].state = "Connect";
    const ipip = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "captures", "ipip-rr") });
    const { html: rrHtml } = await generateReport({
      stacks: [
        { name: "rr", outputs: rr },
        { name: "ipip", outputs: ipip },
      ],
      outDir: path.join(dir, "reports"),
    });
    const ctx = await openBrowser(dir);
    contexts.push(ctx);
    const { page, problems } = await openReport(ctx, rrHtml);
    const pic = page.locator(`[data-sessions-stack="rr"] svg.sessions-pic`);
    await expect(pic.isVisible()).resolves.toBe(true);
    const top = async (name: string) => (await pic.locator(`g.node[data-node="${name}"] rect`).boundingBox())!.y;
    const [r1, c1, r2, c2] = await Promise.all(["lab-control-plane", "lab-worker", "lab-worker2", "lab-worker3"].map(top));
    expect(r1).toBe(r2);
    expect(c1).toBe(c2);
    expect(c1).toBeGreaterThan(r1 + 40);
    await expect(pic.locator("g.bgp-session").count()).resolves.toBe(5);
    const down = pic.locator(`g.bgp-session.down[data-session="lab-worker2|lab-worker3"]`);
    await expect(down.locator("line").isVisible()).resolves.toBe(true);
    // A string expression: this project's TypeScript has no DOM types.
    const stroke = (cls: string) => page.evaluate(`getComputedStyle(document.querySelector('[data-sessions-stack="rr"] g.bgp-session.${cls} line')).stroke`);
    await expect(stroke("down")).resolves.toBe("rgb(213, 94, 0)");
    await expect(stroke("up")).resolves.toBe("rgb(0, 158, 115)");
    await expect(down.locator(".down-mark").isVisible()).resolves.toBe(true);
    await expect(page.locator(`[data-sessions-stack="rr"] .sessions-key li.session.down`).innerText()).resolves.toContain("lab-worker2 ↔ lab-worker3");
    // the mesh beside it: six arcs in one row
    await expect(page.locator(`[data-sessions-stack="ipip"] svg.sessions-pic g.bgp-mesh path`).count()).resolves.toBe(6);
    await expect(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).resolves.toBe(true);
    await page.locator("#control-plane").screenshot({ path: path.join(dir, "rr-sessions.png") });
    expect(problems).toEqual([]);
  });

  it("makes a failing scenario stand out and says why", async () => {
    const ctx = await openBrowser(dir);
    contexts.push(ctx);
    const { page, problems } = await openReport(ctx, failingHtml);
    const why = "expected none between 10.244.0.1 and 10.244.0.65 but the packets were ipip";
    await expect(page.locator("#failures").isVisible()).resolves.toBe(true);
    await expect(page.locator("#failures").innerText()).resolves.toContain(why);
    const cell = page.locator(`tr[data-scenario="same-subnet"] td.cell`);
    await expect(cell.getAttribute("class")).resolves.toBe("cell fail");
    await expect(cell.locator(".verdict").innerText()).resolves.toBe("✘ FAIL");
    await expect(cell.locator(".reason").innerText()).resolves.toBe(why);
    await expect(page.locator(`tr[data-scenario="cross-subnet"] td.cell .verdict`).innerText()).resolves.toBe("✔ PASS");
    await expect(page.locator(`g.scenario-path.failed[data-scenario="same-subnet"]`).count()).resolves.toBe(1);
    await expect(page.locator(`g.badge-fail[data-badge="same-subnet"]`).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: path.join(dir, "report-failing.png"), fullPage: true });
    expect(problems).toEqual([]);
  });
});
