/**
 * End to end in a real browser: generate the report from both seed stacks (pcaps built
 * byte by byte), open it from disk in headless Chromium, check that the key elements are
 * there and visible, and take screenshots (light, dark, print, a failing report); set
 * REPORT_KEEP_SCREENSHOTS=1 to keep them for a human to look at (the path is printed).
 */
import { existsSync } from "fs";
import * as path from "path";
import type { BrowserContext } from "playwright-core";
import { artefactDir, CHROMIUM, finishArtefacts, openBrowser, openReport } from "./browser";
import { generateReport } from "./index";
import { seedOutputs } from "./testFixtures";

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  // eslint-disable-next-line no-console
  console.warn(`report.browser.test: SKIPPED — no Chromium at ${CHROMIUM} (install it: DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)`);
}

(haveChromium ? describe : describe.skip)("the report in Chromium", () => {
  let dir: string;
  let html: string;
  let failingHtml: string;
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
