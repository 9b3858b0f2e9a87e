/**
 * The executing harness's API: `runUp`, `runPreview`, `runDestroy`. Each run happens in a
 * fresh node process (child.ts) started in its own process group with the program folder
 * as working directory — as the Pulumi CLI starts the language host and the provider.
 * When the run ends the whole group is killed (SIGKILL), as the CLI does to its plugins,
 * so a helper a command started without its own session (`setsid`) dies with it.
 *
 * Being in its own group, the child gets no Ctrl-C from the terminal: a run is cancelled
 * through `signal` (SIGTERM to the child), and the child's stdin is a pipe from this
 * process that nothing is written to: when it closes, this process is gone and the child
 * stops on its own (child.ts).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { projectName, toCliConfig } from "./config";
import { readStateFile } from "./engine";
import { ChildRequest, emptyResult, HarnessState, RunResult, RunSettings } from "./types";

const CHILD = path.join(__dirname, "child.ts");
/** Cap on the program output kept in a result. */
const MAX_PROGRAM_OUTPUT = 1 << 20;

export interface UpOptions extends RunSettings {
  /** The Pulumi program folder (holds index.ts, Pulumi.yaml). */
  programDir: string;
  stack: string;
  /** Config keys (`ipipMode` or `calico-ipip-lab:ipipMode`) to values of any JSON type. */
  config?: Record<string, unknown>;
  /** Config keys that are secret. */
  secretKeys?: string[];
  /** The stack's state file (created if missing). */
  stateFile: string;
  /**
   * A Command (name or URN) whose create/update fails: by default instead of running,
   * with `after: true` once it has run successfully.
   */
  failAt?: string | { name: string; after?: boolean };
  /** Project name; default Pulumi.yaml's `name`, else calico-ipip-lab. */
  project?: string;
  /** Kill the whole run after this many seconds (default 3600). */
  runTimeoutSec?: number;
}

export interface DestroyOptions extends RunSettings {
  stateFile: string;
  runTimeoutSec?: number;
}

/** The stored state of a stack, or null if it has none. */
export function readState(stateFile: string): HarnessState | null {
  return readStateFile(stateFile);
}

/** `pulumi up`: run the program, executing every Command as the provider would. */
export function runUp(opts: UpOptions): Promise<RunResult> {
  return runProgram("up", opts);
}

/** `pulumi preview`: run the program under mocks with preview=true; nothing runs, nothing is saved. */
export function runPreview(opts: Omit<UpOptions, "failAt">): Promise<RunResult> {
  return runProgram("preview", opts);
}

function runProgram(mode: "up" | "preview", opts: UpOptions): Promise<RunResult> {
  const programDir = path.resolve(opts.programDir);
  const project = opts.project ?? projectName(programDir);
  const failAt = opts.failAt === undefined ? null : typeof opts.failAt === "string" ? { name: opts.failAt, after: false } : { name: opts.failAt.name, after: opts.failAt.after === true };
  return spawnChild(
    {
      mode,
      programDir,
      project,
      stack: opts.stack,
      config: toCliConfig(opts.config ?? {}, project),
      secretKeys: (opts.secretKeys ?? []).map((k) => (k.includes(":") ? k : `${project}:${k}`)),
      stateFile: path.resolve(opts.stateFile),
      resultFile: "",
      failAt,
      commandTimeoutSec: opts.commandTimeoutSec ?? 600,
      parallel: opts.parallel ?? 0,
      verbose: opts.verbose === true,
    },
    opts,
  );
}

/** `pulumi destroy`: run every stored resource's delete, dependents first, then clear the state. */
export async function runDestroy(opts: DestroyOptions): Promise<RunResult> {
  const stateFile = path.resolve(opts.stateFile);
  const state = readStateFile(stateFile);
  if (state === null) {
    return emptyResult("destroy", null);
  }
  return spawnChild(
    {
      mode: "destroy",
      programDir: state.programDir,
      project: state.project,
      stack: state.stack,
      config: {},
      secretKeys: [],
      stateFile,
      resultFile: "",
      failAt: null,
      commandTimeoutSec: opts.commandTimeoutSec ?? 600,
      parallel: opts.parallel ?? 0,
      verbose: opts.verbose === true,
    },
    opts,
  );
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group is already gone
  }
}

async function spawnChild(request: ChildRequest, settings: RunSettings & { runTimeoutSec?: number }): Promise<RunResult> {
  if (settings.signal?.aborted) {
    return emptyResult(request.mode, `the ${request.mode} was cancelled before it started`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-harness-"));
  try {
    return await runChild(request, settings, tmp);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function runChild(request: ChildRequest, settings: RunSettings & { runTimeoutSec?: number }, tmp: string): Promise<RunResult> {
  const started = Date.now();
  const requestFile = path.join(tmp, "request.json");
  const resultFile = path.join(tmp, "result.json");
  fs.writeFileSync(requestFile, JSON.stringify({ ...request, resultFile }));
  const cwd = fs.existsSync(request.programDir) ? request.programDir : process.cwd();
  const child = spawn(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), CHILD, requestFile], {
    cwd,
    env: { ...process.env, ...(settings.env ?? {}), TS_NODE_TRANSPILE_ONLY: "true" },
    detached: true,
    // stdin: the child's line to this process (see the header); never written to.
    stdio: ["pipe", "pipe", "pipe"],
  });
  // The child may exit before reading it: a closed pipe is no error here.
  child.stdin?.on("error", () => undefined);
  let cancelled = false;
  const cancel = (): void => {
    cancelled = true;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, "SIGTERM");
      } catch {
        // it exited meanwhile
      }
    }
  };
  settings.signal?.addEventListener("abort", cancel, { once: true });
  let stdout = "";
  let stderr = "";
  const keep = (acc: string, chunk: Buffer): string => (acc.length < MAX_PROGRAM_OUTPUT ? acc + chunk.toString("utf8") : acc);
  child.stdout?.on("data", (c: Buffer) => {
    stdout = keep(stdout, c);
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr = keep(stderr, c);
    if (settings.verbose) process.stderr.write(c);
  });
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  const runTimeoutSec = settings.runTimeoutSec ?? 3600;
  let timedOut = false;
  const watchdog = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, runTimeoutSec * 1000);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error: Error | null }>((resolve) => {
    child.on("error", (error) => resolve({ code: null, signal: null, error }));
    child.on("exit", (code, signal) => {
      // The run is over: the provider's process group goes with it.
      killGroup(child.pid);
      resolve({ code, signal, error: null });
    });
  });
  clearTimeout(watchdog);
  settings.signal?.removeEventListener("abort", cancel);
  child.stdin?.destroy();
  // Our pipes from the child close once every process holding them is gone.
  let graceTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    closed,
    new Promise<void>((resolve) => {
      graceTimer = setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
        resolve();
      }, 5000);
    }),
  ]);
  clearTimeout(graceTimer);

  let result: RunResult;
  if (fs.existsSync(resultFile)) {
    result = JSON.parse(fs.readFileSync(resultFile, "utf8")) as RunResult;
  } else {
    // SIGTERM ends the child by default until child.ts has set its handler, before it ran anything.
    const cancelledEarly = cancelled && exit.signal === "SIGTERM";
    const why = timedOut
      ? `the run did not finish within ${runTimeoutSec}s and was killed`
      : cancelledEarly
        ? `the ${request.mode} was cancelled before it started`
        : exit.error
        ? `could not start: ${exit.error.message}`
        : `the harness process exited (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}) without a result`;
    result = emptyResult(request.mode, `harness: ${why}\n${stderr.slice(-4000)}`);
  }
  return { ...result, programStdout: stdout, programStderr: stderr, durationMs: Date.now() - started };
}
