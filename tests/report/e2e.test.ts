/**
 * The report on real outputs: both shipped stacks (Pulumi.ipip.yaml, Pulumi.crosssubnet.yaml)
 * brought up at once on the netns backend by the real Pulumi engine (toolchain/stack.ts:
 * the pinned CLI, local state in the test's own folder, one stack each with unique lab
 * names), the report generated from their `pulumi stack output --json` and opened in
 * headless Chromium, then both destroyed, the host checked for leftovers and the stacks
 * removed.
 *
 * What it proves in the picture and the table: mode Always encapsulates both scenarios,
 * CrossSubnet only the cross-subnet one. Needs root (network namespaces) and Chromium;
 * skipped with a message otherwise. The program folder is the repository root unless
 * REPORT_E2E_PROGRAM_DIR names another.
 */
import * as crypto from "crypto";
import { existsSync, promises as fsp } from "fs";
import * as path from "path";
import { toolchainDir } from "../../toolchain";
import { CliResult, describeFailure, PulumiStack } from "../../toolchain/stack";
import { netnsStackConfig } from "../../leftovers/e2eStack";
import { describeLeftovers, findLeftovers, labNamespaceInodes, removeLeftovers } from "../../leftovers/leftovers";
import type { LabOutputs } from "../../model/spec";
import { checkOutputs } from "../../verdicts/stackOutputs";
import { generateReport } from "../../report";
import { artefactDir, CHROMIUM, finishArtefacts, openBrowser, openReport } from "./browser";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const haveChromium = existsSync(CHROMIUM);
const why = !isRoot ? "needs root (network namespaces)" : !haveChromium ? `needs Chromium at ${CHROMIUM}` : "";
if (why) {
  // eslint-disable-next-line no-console
  console.warn(`tests/report/e2e.test.ts: SKIPPED — ${why}`);
}

const programDir = path.resolve(process.env.REPORT_E2E_PROGRAM_DIR ?? path.join(__dirname, "..", ".."));
const STACKS = ["ipip", "crosssubnet"] as const;

interface Lab {
  stack: (typeof STACKS)[number];
  labName: string;
  cli?: PulumiStack;
  inodes: number[];
  up?: CliResult;
  outputs?: Record<string, unknown> | null;
}

(why ? describe.skip : describe)("report from both shipped stacks on the netns backend", () => {
  let out: string;
  const tag = crypto.randomBytes(2).toString("hex");
  const labs: Lab[] = STACKS.map((stack, i) => ({
    stack,
    labName: `rpe${process.pid}-${"ab"[i]}`,
    inodes: [],
  }));

  beforeAll(async () => {
    out = await artefactDir("report-e2e");
    const state = path.join(out, "state");
    await fsp.mkdir(state);
    const binDir = toolchainDir();
    await Promise.all(
      labs.map(async (l) => {
        const stack = `rpe-${l.stack}-${tag}`;
        l.cli = new PulumiStack({ stack, binDir, programDir, backendUrl: `file://${state}`, configFile: path.join(out, `Pulumi.${stack}.yaml`) });
        const init = await l.cli.init(netnsStackConfig(l.stack, { labName: l.labName, capture: { dir: path.join(out, "captures", l.stack) } }, programDir));
        if (init.code !== 0) throw new Error(describeFailure(init));
        l.up = await l.cli.up();
        l.inodes = labNamespaceInodes(l.labName);
        l.outputs = l.up.code === 0 ? await l.cli.outputs() : null;
      }),
    );
  }, 660_000);

  afterAll(async () => {
    const problems: string[] = [];
    await Promise.all(
      labs.map(async (l) => {
        if (l.cli === undefined) return;
        const d = await l.cli.destroy();
        if (d.code !== 0) problems.push(`destroy of ${l.stack} failed: ${describeFailure(d)}`);
        const left = findLeftovers({ labName: l.labName, netnsInodes: l.inodes, ignorePaths: [out] });
        const lines = describeLeftovers(left);
        if (lines.length) {
          problems.push(`${l.stack} (${l.labName}) left: ${lines.join("; ")}`);
          removeLeftovers(left);
        }
        const rm = await l.cli.run(["stack", "rm", "--yes", "--force"]);
        if (rm.code !== 0) problems.push(`stack rm of ${l.stack} failed: ${describeFailure(rm)}`);
        l.cli.removeCliLogs();
      }),
    );
    // The state and the stacks' config files are the run's, not artefacts.
    await fsp.rm(path.join(out, "state"), { recursive: true, force: true });
    for (const l of labs) if (l.cli) await fsp.rm(l.cli.configFile, { force: true });
    await finishArtefacts(out);
    expect(problems).toEqual([]);
  }, 600_000);

  it("brings both stacks up with passing captures", () => {
    for (const l of labs) {
      expect({ stack: l.stack, code: l.up?.code, errors: l.up?.errors }).toEqual({ stack: l.stack, code: 0, errors: [] });
      const o = checkOutputs(l.outputs, `stack ${l.stack}`);
      expect(o.lab.backend).toBe("netns");
      expect(o.lab.ipipMode).toBe(l.stack === "ipip" ? "Always" : "CrossSubnet");
      expect(o.lab.bgp).toEqual({ routeReflectors: [], clusterId: "244.0.0.1" });
      expect(o.captures.map((c) => [c.scenario, c.pass, c.reason])).toEqual([
        ["same-subnet", true, ""],
        ["cross-subnet", true, ""],
      ]);
    }
  });

  it("draws Always encapsulating both scenarios and CrossSubnet only the cross-subnet one, in the picture and the table", async () => {
    const down = labs.filter((l) => l.up?.code !== 0 || !l.outputs).map((l) => l.stack);
    if (down.length) throw new Error(`no report without outputs: ${down.join(", ")} did not come up (see the test above)`);
    const stacks = labs.map((l) => ({ name: l.stack, outputs: l.outputs as unknown as LabOutputs }));
    const { html, markdown } = await generateReport({ stacks, outDir: path.join(out, "reports") });
    expect(await fsp.readFile(markdown, "utf8")).toContain("Overall: **PASS ✔**");

    const ctx = await openBrowser(out);
    try {
      const { page, problems } = await openReport(ctx, html);
      const expected: Record<string, Record<string, [string, string]>> = {
        ipip: { "same-subnet": ["ipip", "IPIP"], "cross-subnet": ["ipip", "IPIP"] },
        crosssubnet: { "same-subnet": ["none", "plain"], "cross-subnet": ["ipip", "IPIP"] },
      };
      for (const [stack, scenarios] of Object.entries(expected)) {
        const fig = page.locator(`figure[data-stack="${stack}"]`);
        await expect(fig.locator("g.node").count()).resolves.toBe(4);
        await expect(fig.locator("g.pod").count()).resolves.toBe(4);
        for (const [scenario, [kind, word]] of Object.entries(scenarios)) {
          const p = fig.locator(`g.scenario-path[data-scenario="${scenario}"]`);
          await expect(p.getAttribute("data-observed")).resolves.toBe(kind);
          await expect(p.locator(`polyline.path-${kind}`).isVisible()).resolves.toBe(true);
          const cell = page.locator(`table.results tr[data-scenario="${scenario}"] td[data-stack="${stack}"]`);
          await expect(cell.locator(".verdict").innerText()).resolves.toBe("✔ PASS");
          await expect(cell.locator("dd .enc").nth(1).innerText()).resolves.toBe(word);
        }
      }
      // Real BIRD: each stack's mesh of 4 nodes drawn, its 6 sessions Established.
      for (const stack of STACKS) {
        const pic = page.locator(`[data-sessions-stack="${stack}"] svg.sessions-pic`);
        await expect(pic.isVisible()).resolves.toBe(true);
        await expect(pic.locator(`g.bgp-session.bgp-mesh[data-established="true"]`).count()).resolves.toBe(6);
      }
      // The pcaps were there: header stacks drawn, the IPIP ones 20 bytes of overhead.
      await expect(page.locator(`.mtu[data-mtu="1480"]`).first().isVisible()).resolves.toBe(true);
      await expect(page.locator(`.packet[data-encapsulation="ipip"] [data-layer="outer-ipv4"][data-bytes="20"]`).first().isVisible()).resolves.toBe(true);
      await expect(page.locator(`[data-note="headers"]`).count()).resolves.toBe(0);
      await page.screenshot({ path: path.join(out, "report-e2e.png"), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 120_000);
});
