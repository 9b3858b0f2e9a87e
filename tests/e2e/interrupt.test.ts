/**
 * `npm run e2e` stopped mid-up by SIGINT (Ctrl-C) or SIGTERM: the up is cancelled, what it
 * built is destroyed (also with --keep), nothing of the lab nor of the harness (engine
 * process, pulumi-harness-* folder) is left, and the exit code says which signal.
 * Root only (network namespaces), like the other e2e suites.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { readState } from "../../harness";
import { describeLeftovers } from "../../leftovers/leftovers";
import { LabFootprint, labFootprint, labLeftovers, REPO_DIR } from "../../leftovers/lab";
import { e2eSuite, TestLab } from "./support";

jest.setTimeout(180_000);

const E2E = path.join(REPO_DIR, "bin", "e2e.ts");

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Harness engine processes whose run folder is under `dir`. */
function engines(dir: string): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      if (fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`${dir}/pulumi-harness-`)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

e2eSuite("npm run e2e stopped by a signal", () => {
  const labs: TestLab[] = [];
  const runs: ChildProcess[] = [];
  afterAll(async () => {
    for (const r of runs) if (r.exitCode === null && r.signalCode === null) r.kill("SIGKILL");
    for (const lab of labs) await lab.cleanup();
  });

  it.each([
    ["SIGINT", 130, []],
    ["SIGTERM", 143, ["--keep"]],
  ] as const)("%s mid-up: cancels the up, destroys what it built, leaves nothing, exits %d", async (signal, code, extraArgs) => {
    const lab = new TestLab(signal === "SIGINT" ? "int" : "term");
    labs.push(lab);
    const configFile = path.join(lab.dir, "config.json");
    fs.writeFileSync(configFile, JSON.stringify({ labName: lab.name, capture: { dir: lab.captureDir } }));
    const run = spawn(
      process.execPath,
      ["-r", require.resolve("ts-node/register/transpile-only"), E2E, "--stack", "ipip", "--config", configFile, "--state", lab.stateFile, ...extraArgs],
      // The harness's run folder goes under the lab's own folder, where the test can see it.
      { cwd: REPO_DIR, env: { ...process.env, TMPDIR: lab.dir, TS_NODE_TRANSPILE_ONLY: "true" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    runs.push(run);
    let stderr = "";
    run.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    run.stdout?.resume();
    const exited = new Promise<number | null>((resolve) => run.on("exit", (c) => resolve(c)));

    // Mid-up: the topology is built and saved, the routes and captures are still to come.
    const built = (): boolean => (readState(lab.stateFile)?.resources ?? []).some((r) => r.name === `${lab.name}-topology`);
    await waitFor("the topology to be built", built, 120_000);
    const footprint: LabFootprint = labFootprint(lab.name, null);
    expect(footprint.netnsInodes.length).toBeGreaterThan(0);
    expect(engines(lab.dir)).toHaveLength(1);
    run.kill(signal);

    expect(await exited).toBe(code);
    expect(stderr).toContain(`e2e: ${signal}: stopping`);
    expect(stderr).toMatch(new RegExp(`up stopped by ${signal}: the up was cancelled`));
    expect(stderr).toContain(`nothing of lab ${lab.name} is left`);
    expect(stderr).toContain(`stopped by ${signal} (exit ${code})`);
    expect(stderr).not.toContain("--keep: the lab stays up");
    expect(readState(lab.stateFile)?.resources).toEqual([]);
    expect(describeLeftovers(labLeftovers(footprint, [lab.dir]))).toEqual([]);
    expect(engines(lab.dir)).toEqual([]);
    expect(fs.readdirSync(lab.dir).filter((n) => n.startsWith("pulumi-harness-"))).toEqual([]);
  });
});
