/**
 * `npm run e2e` (bin/e2e.ts, the real Pulumi engine) stopped mid-up: by Ctrl-C (SIGINT to
 * the whole job, as a terminal sends it) and by SIGTERM to its process alone, with
 * --keep. Either way the up is cancelled, what it built is destroyed, the stack removed,
 * and nothing is left: nothing of the lab, no Pulumi CLI, language host, program or
 * provider process, no temp folder, no stack in the state folder, no stack file beside
 * the program, no CLI log of its runs; the exit code says which signal. While it runs,
 * the CLI is in a session of its own, so the terminal's Ctrl-C reaches e2e.ts only.
 * Both runs go at once. Root only (network namespaces), like the other e2e suites.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pulumiHome } from "../../toolchain";
import { runLogs } from "../../toolchain/stack";
import { describeLeftovers, findLeftovers, removeLeftovers } from "../../leftovers/leftovers";
import { LabFootprint, labFootprint, labLeftovers, projectName, REPO_DIR } from "../../leftovers/e2eStack";
import { e2eSuite } from "./support";

jest.setTimeout(240_000);

const E2E = path.join(REPO_DIR, "bin", "e2e.ts");
const PROJECT = projectName(REPO_DIR);

async function waitFor(what: string, ok: () => boolean, ms: number, failed: () => string | null = () => null): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    const why = failed();
    if (why !== null) throw new Error(`while waiting for ${what}: ${why}`);
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Proc {
  pid: number;
  /** Its session (field 6 of /proc/PID/stat). */
  sid: number;
  cmdline: string;
}

/** Processes whose environment holds `marker` (every process a Pulumi CLI of one state folder starts inherits it). */
function processesWithEnv(marker: string): Proc[] {
  const found: Proc[] = [];
  for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      if (!fs.readFileSync(`/proc/${p}/environ`, "utf8").split("\0").includes(marker)) continue;
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const sid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
      found.push({ pid: Number(p), sid, cmdline: fs.readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ").trim() });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The file backend's stacks folder of this project under `stateDir`. */
function stacksDir(stateDir: string): string {
  return path.join(stateDir, ".pulumi", "stacks", PROJECT);
}

/** Whether some stack's latest checkpoint in `stateDir` holds a resource named `name` (created and saved, not under way). */
function saved(stateDir: string, name: string): boolean {
  for (const f of fs.existsSync(stacksDir(stateDir)) ? fs.readdirSync(stacksDir(stateDir)) : []) {
    if (!f.endsWith(".json")) continue;
    try {
      const doc = JSON.parse(fs.readFileSync(path.join(stacksDir(stateDir), f), "utf8")) as { checkpoint?: { latest?: { resources?: { urn: string }[] } } };
      if ((doc.checkpoint?.latest?.resources ?? []).some((r) => r.urn.endsWith(`::${name}`))) return true;
    } catch {
      // written at this moment: read it again next time
    }
  }
  return false;
}

/** One `npm run e2e` under test, in a folder of its own (state, config, captures and TMPDIR). */
class E2eRun {
  readonly labName: string;
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-int-"));
  readonly stateDir = path.join(this.dir, "state");
  readonly tmpDir = path.join(this.dir, "tmp");
  readonly configFile = path.join(this.dir, "config.json");
  /** What every process of this run's Pulumi CLIs has in its environment. */
  readonly marker = `PULUMI_BACKEND_URL=file://${this.stateDir}`;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr = "";
  /** PIDs of the CLIs seen while it ran (their log files are named by PID). */
  readonly cliPids = new Set<number>();

  constructor(tag: string, args: string[]) {
    this.labName = `e2e-${tag}-${crypto.randomBytes(2).toString("hex")}${String(process.pid % 10)}`;
    fs.mkdirSync(this.tmpDir);
    fs.writeFileSync(this.configFile, JSON.stringify({ labName: this.labName, capture: { dir: path.join(this.dir, "captures") } }));
    this.child = spawn(
      process.execPath,
      ["-r", require.resolve("ts-node/register/transpile-only"), E2E, "--stack", "ipip", "--config", this.configFile, "--state", this.stateDir, ...args],
      // Its own process group, as a shell starts a job; its temp folders where the test sees them.
      { cwd: REPO_DIR, detached: true, env: { ...process.env, TMPDIR: this.tmpDir, TS_NODE_TRANSPILE_ONLY: "true" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child.stderr?.on("data", (c: Buffer) => {
      this.stderr += c.toString("utf8");
    });
    this.child.stdout?.resume();
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("npm run e2e did not start");
    return this.child.pid;
  }

  /** The stack the run named on stderr (`up of stack NAME`). */
  stack(): string | null {
    return /up of stack (\S+)/.exec(this.stderr)?.[1] ?? null;
  }

  /** This run's Pulumi processes now (CLIs, language host, program, provider). */
  engine(): Proc[] {
    const procs = processesWithEnv(this.marker).filter((p) => p.pid !== this.pid);
    for (const p of procs) if (/\/pulumi (up|destroy|stack|preview)\b/.test(p.cmdline)) this.cliPids.add(p.pid);
    return procs;
  }

  /** The CLI's log files of this run's stack and of the CLIs seen (`$PULUMI_HOME/logs`). */
  cliLogs(): string[] {
    return runLogs(PROJECT, this.stack() ?? "", this.cliPids);
  }

  /** afterAll: stop the run if it still goes, take down what it left (--destroy, then by force), remove its folder. */
  async cleanup(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      process.kill(-this.pid, "SIGKILL");
      await this.exited;
    }
    if (fs.existsSync(stacksDir(this.stateDir)) && fs.readdirSync(stacksDir(this.stateDir)).some((f) => f.endsWith(".json"))) {
      spawnSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), E2E, "--stack", "ipip", "--config", this.configFile, "--state", this.stateDir, "--destroy"], {
        cwd: REPO_DIR,
        env: { ...process.env, TMPDIR: this.tmpDir, TS_NODE_TRANSPILE_ONLY: "true" },
        stdio: "ignore",
        timeout: 120_000,
      });
    }
    for (const p of processesWithEnv(this.marker)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    const left = findLeftovers({ labName: this.labName, ignorePaths: [REPO_DIR, this.dir] });
    if (describeLeftovers(left).length > 0) {
      // eslint-disable-next-line no-console
      console.warn(`cleanup of ${this.labName}: ${removeLeftovers(left).join("; ")}`);
    }
    for (const n of this.cliLogs()) fs.rmSync(path.join(pulumiHome(), "logs", n), { force: true });
    const stack = this.stack();
    if (stack !== null) fs.rmSync(path.join(REPO_DIR, `Pulumi.${stack}.yaml`), { force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

interface Stopped {
  /** The lab's namespaces while it ran. */
  footprint: LabFootprint;
  /** The run's Pulumi processes mid-up. */
  midUp: Proc[];
  stack: string | null;
  exitCode: number | null;
}

/** Wait until the run's topology is built and saved, stop it as `signal` says, wait for its end. */
async function stopMidUp(run: E2eRun, signal: "SIGINT" | "SIGTERM"): Promise<Stopped> {
  const ended = (): string | null => (run.child.exitCode !== null ? `npm run e2e exited ${run.child.exitCode}:\n${run.stderr}` : null);
  // Mid-up: the topology is built and saved, the control plane and the captures still to come.
  await waitFor(`${run.labName}'s topology to be built and saved`, () => saved(run.stateDir, `${run.labName}-topology`), 150_000, ended);
  const footprint = labFootprint(run.labName, null);
  const midUp = run.engine();
  // Ctrl-C at a terminal signals the job's whole process group; `kill` one process.
  if (signal === "SIGINT") process.kill(-run.pid, "SIGINT");
  else run.child.kill("SIGTERM");
  const watch = setInterval(() => run.engine(), 200);
  const exitCode = await run.exited;
  clearInterval(watch);
  return { footprint, midUp, stack: run.stack(), exitCode };
}

e2eSuite("npm run e2e stopped by a signal", () => {
  const cases = [
    { signal: "SIGINT", code: 130, tag: "int", args: [] as string[], how: "Ctrl-C (SIGINT to the whole job)" },
    { signal: "SIGTERM", code: 143, tag: "term", args: ["--keep"], how: "SIGTERM to e2e.ts alone, with --keep" },
  ] as const;
  const runs = new Map<string, E2eRun>();
  const stopped = new Map<string, Promise<Stopped>>();
  beforeAll(() => {
    // Both at once, each stopped as soon as it is mid-up.
    for (const c of cases) {
      const run = new E2eRun(c.tag, [...c.args]);
      runs.set(c.signal, run);
      const p = stopMidUp(run, c.signal);
      p.catch(() => undefined); // awaited (and reported) by its test
      stopped.set(c.signal, p);
    }
  });
  afterAll(async () => {
    await Promise.allSettled(stopped.values());
    for (const r of runs.values()) await r.cleanup();
  });

  it.each(cases)("$how mid-up: cancels the up, destroys what it built, removes the stack, leaves nothing, exits $code", async ({ signal, code }) => {
    const run = runs.get(signal);
    const result = stopped.get(signal);
    if (run === undefined || result === undefined) throw new Error(`no run for ${signal}`);
    const { footprint, midUp, stack, exitCode } = await result;

    expect(footprint.netnsInodes.length).toBeGreaterThan(0);
    expect(midUp.filter((p) => run.cliPids.has(p.pid)).map((p) => p.cmdline)).toEqual([expect.stringMatching(/\/pulumi up /)]);
    // The CLI (and what it started) is out of the job's session: a terminal's Ctrl-C reaches e2e.ts alone.
    expect(midUp.filter((p) => p.sid === run.pid)).toEqual([]);
    expect(stack).toMatch(signal === "SIGTERM" ? /^e2e-ipip$/ : /^e2e-ipip-[0-9a-f]{4}$/);

    expect({ exitCode, stderr: run.stderr }).toEqual({ exitCode: code, stderr: expect.stringContaining(`e2e: ${signal}: stopping`) });
    expect(run.stderr).toMatch(new RegExp(`up stopped by ${signal}: the up was cancelled`));
    expect(run.stderr).toContain(`nothing of lab ${run.labName} is left`);
    expect(run.stderr).toContain(`stack ${stack} removed`);
    expect(run.stderr).toContain(`stopped by ${signal} (exit ${code})`);
    expect(run.stderr).not.toContain("--keep: the lab stays up");
    expect(describeLeftovers(labLeftovers(footprint, [run.dir]))).toEqual([]);
    expect(processesWithEnv(run.marker)).toEqual([]);
    // No stack, no checkpoint, backup or history of it in the state folder.
    expect(fs.readdirSync(stacksDir(run.stateDir))).toEqual([]);
    for (const kind of ["backups", "history"]) expect(fs.readdirSync(path.join(run.stateDir, ".pulumi", kind, PROJECT))).toEqual([]);
    expect(fs.readdirSync(run.stateDir).filter((n) => n !== ".pulumi")).toEqual([]);
    // No temp folder of the run's (the CLI's event logs, the language host's pipes); ts-node's
    // compile cache (v8-compile-cache-<uid>, kept across runs) is no run's own.
    expect(fs.readdirSync(run.tmpDir).filter((n) => !/^v8-compile-cache-\d+$/.test(n))).toEqual([]);
    expect(fs.existsSync(path.join(REPO_DIR, `Pulumi.${stack}.yaml`))).toBe(false);
    expect(run.cliLogs()).toEqual([]);
  });
});
