/**
 * A harness run that is stopped: cancelled through its AbortSignal (what `npm run e2e`
 * does on Ctrl-C), or orphaned by a driver that was killed. Either way the run ends once
 * the command under way has finished: it is saved, nothing new starts, and no engine
 * process, temp folder or busy loop is left. No root needed.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readState, runDestroy, runUp, UpOptions } from ".";

jest.setTimeout(120_000);

const SLOW = path.join(__dirname, "testdata", "slow");
const DRIVER = path.join(__dirname, "testdata", "run-up.ts");

// The runs' temp folders (pulumi-harness-*) go to a TMPDIR of this file's own, so the
// checks see only them and not those of runs other tests make at the same time.
const savedTmpdir = process.env.TMPDIR;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "harness-stop-"));
beforeAll(() => {
  process.env.TMPDIR = tmp;
});
afterAll(() => {
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
  fs.rmSync(tmp, { recursive: true, force: true });
});

function harnessTemps(): string[] {
  return fs.readdirSync(tmp).filter((n) => n.startsWith("pulumi-harness-"));
}

/** PIDs of harness engine processes of this file's runs (their request file is under tmp). */
function engines(): number[] {
  const pids: number[] = [];
  for (const p of fs.readdirSync("/proc").filter((x) => /^\d+$/.test(x))) {
    try {
      const cmdline = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (cmdline.includes("child.ts") && cmdline.includes(`${tmp}/pulumi-harness-`)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function waitFor(what: string, ok: () => boolean, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function opsLog(dir: string): string[] {
  const file = path.join(dir, "ops.log");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [];
}

function storedNames(stateFile: string): string[] {
  return (readState(stateFile)?.resources ?? []).filter((r) => r.type === "command:local:Command").map((r) => r.name);
}

/** A folder for one run's log and state, and its up options on the slow program. */
function slowRun(extra: Partial<UpOptions> = {}): { work: string; stateFile: string; opts: UpOptions } {
  const work = fs.mkdtempSync(path.join(tmp, "run-"));
  const stateFile = path.join(work, "state.json");
  return { work, stateFile, opts: { programDir: SLOW, stack: "slow", config: { dir: work, seconds: "3" }, stateFile, ...extra } };
}

/** The state's Commands are deleted and nothing of the run is left. */
async function destroyAndCheck(work: string, stateFile: string): Promise<void> {
  const d = await runDestroy({ stateFile });
  expect(d.error).toBeNull();
  expect(opsLog(work)).toContain("one delete");
  expect(harnessTemps()).toEqual([]);
  expect(engines()).toEqual([]);
}

describe("a run cancelled through its signal", () => {
  it("lets the command under way finish and saves it, starts nothing new, and fails saying it was cancelled", async () => {
    const { work, stateFile, opts } = slowRun();
    const cancel = new AbortController();
    const running = runUp({ ...opts, signal: cancel.signal });
    await waitFor("`one` to start", () => opsLog(work).includes("one create"), 60_000);
    cancel.abort();
    const r = await running;
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^the up was cancelled/);
    expect(r.outputs).toBeNull();
    expect(r.operations.map((o) => `${o.name}:${o.op}:${o.ok}`)).toEqual(["one:create:true"]);
    expect(opsLog(work)).toEqual(["one create", "one done"]);
    expect(storedNames(stateFile)).toEqual(["one"]);
    // runUp returns once the engine and its process group are gone and its folder removed.
    expect(engines()).toEqual([]);
    expect(harnessTemps()).toEqual([]);
    await destroyAndCheck(work, stateFile);
  });

  it("cancelled before it starts, runs nothing and leaves nothing", async () => {
    const { work, stateFile, opts } = slowRun();
    const cancel = new AbortController();
    cancel.abort();
    const r = await runUp({ ...opts, signal: cancel.signal });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/cancelled before it started/);
    expect(opsLog(work)).toEqual([]);
    expect(fs.existsSync(stateFile)).toBe(false);
    expect(harnessTemps()).toEqual([]);
  });
});

describe("a run whose driver was killed", () => {
  const drivers: ChildProcess[] = [];
  afterAll(() => {
    // A failed test may leave its driver or engine behind: stop those this file started.
    for (const d of drivers) if (d.exitCode === null && d.signalCode === null) d.kill("SIGKILL");
    for (const pid of engines()) process.kill(-pid, "SIGKILL");
  });

  function startDriver(opts: UpOptions): ChildProcess {
    const driver = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), DRIVER, JSON.stringify(opts)], {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    drivers.push(driver);
    return driver;
  }

  // Before the fix, the orphaned engine ran the rest of the up and left its temp folder;
  // with verbose output its first write to the dead driver's pipe failed (EPIPE), the
  // uncaught-exception handler's own write failed again, and so on for ever at ~80% CPU.
  it.each([
    ["SIGKILL", false],
    ["SIGTERM", true],
  ] as const)("%s, verbose %s: the engine lets the command under way finish, saves it, starts nothing new and exits, leaving no temp folder", async (signal, verbose) => {
    const { work, stateFile, opts } = slowRun({ verbose });
    const driver = startDriver(opts);
    const exited = new Promise<void>((resolve) => driver.on("exit", () => resolve()));
    await waitFor("`one` to start", () => opsLog(work).includes("one create"), 60_000);
    // The check below must see the engine, else "no engine left" would prove nothing.
    expect(engines()).toHaveLength(1);
    driver.kill(signal);
    await exited;
    await waitFor("the orphaned engine to exit", () => engines().length === 0, 20_000);
    expect(opsLog(work)).toEqual(["one create", "one done"]);
    expect(storedNames(stateFile)).toEqual(["one"]);
    expect(harnessTemps()).toEqual([]);
    await destroyAndCheck(work, stateFile);
  });
});
