/**
 * What @pulumi/command 1.2.1's `command:local:Command` does, reproduced for the executing
 * harness (read from pulumi-command v1.2.1, provider/pkg/provider/local/commandOutputs.go
 * and commandController.go, and pulumi-go-provider v1.3.0 infer/resource.go):
 *
 * - argv is `interpreter` + [command]; an absent or empty interpreter means
 *   `["/bin/sh", "-c"]`.
 * - The working directory is `dir`, else the provider's own working directory (the
 *   project folder). A `dir` that does not exist fails the command.
 * - The environment is the provider's environment with `environment` laid over it, then
 *   (unless `addPreviousOutputInEnv` is false) PULUMI_COMMAND_STDOUT / PULUMI_COMMAND_STDERR
 *   holding the previous stdout/stderr when they are not empty: on update and delete the
 *   stored outputs, on create nothing.
 * - `stdin` is written to the command when not empty; otherwise stdin is /dev/null.
 * - It waits until the process has exited AND its stdout/stderr pipes are closed: a
 *   process the command leaves behind holding them keeps the operation waiting (the Go
 *   provider sets no WaitDelay). The harness gives up after a timeout and names the
 *   holders instead of hanging.
 * - A failure is `<exit status N | signal: S | start error>: running "<command>":\n<stdout
 *   and stderr interleaved>`; stdout/stderr outputs are set only on success, each with one
 *   trailing newline removed.
 * - Every line of stdout/stderr is logged unless `logging` leaves that stream out.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { Json, JsonObject, ResourceOptionsRecord, StateResource } from "./types";

/** The Command's inputs, as the SDK sends them. */
export interface CommandInputs {
  create?: string;
  update?: string;
  delete?: string;
  triggers?: Json[];
  stdin?: string;
  logging?: "stdout" | "stderr" | "stdoutAndStderr" | "none";
  interpreter?: string[];
  dir?: string;
  environment?: Record<string, string>;
  assetPaths?: string[];
  archivePaths?: string[];
  addPreviousOutputInEnv?: boolean;
}

export const DEFAULT_INTERPRETER: readonly string[] = ["/bin/sh", "-c"];

/** Read the Command inputs out of a resource's resolved inputs (unknown keys are ignored). */
export function commandInputs(inputs: JsonObject): CommandInputs {
  const str = (v: Json | undefined): string | undefined => (typeof v === "string" ? v : undefined);
  const strList = (v: Json | undefined): string[] | undefined =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : undefined;
  const env = inputs.environment;
  const environment: Record<string, string> | undefined =
    env !== null && typeof env === "object" && !Array.isArray(env)
      ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]))
      : undefined;
  const logging = str(inputs.logging);
  return {
    create: str(inputs.create),
    update: str(inputs.update),
    delete: str(inputs.delete),
    triggers: Array.isArray(inputs.triggers) ? inputs.triggers : undefined,
    stdin: str(inputs.stdin),
    logging:
      logging === "stdout" || logging === "stderr" || logging === "stdoutAndStderr" || logging === "none" ? logging : undefined,
    interpreter: strList(inputs.interpreter),
    dir: str(inputs.dir),
    environment,
    assetPaths: strList(inputs.assetPaths),
    archivePaths: strList(inputs.archivePaths),
    addPreviousOutputInEnv: typeof inputs.addPreviousOutputInEnv === "boolean" ? inputs.addPreviousOutputInEnv : undefined,
  };
}

/** The provider strips exactly one trailing newline from each captured stream. */
export function trimOutput(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** argv the provider runs: interpreter (or /bin/sh -c) followed by the command text. */
export function commandArgv(inputs: CommandInputs, command: string): string[] {
  const interpreter = inputs.interpreter && inputs.interpreter.length > 0 ? inputs.interpreter : DEFAULT_INTERPRETER;
  return [...interpreter, command];
}

/** The command's environment: the provider's, then `environment`, then the previous outputs. */
export function commandEnv(
  base: NodeJS.ProcessEnv,
  inputs: CommandInputs,
  previous: { stdout: string; stderr: string },
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...(inputs.environment ?? {}) };
  if (inputs.addPreviousOutputInEnv !== false) {
    if (previous.stdout !== "") env.PULUMI_COMMAND_STDOUT = previous.stdout;
    if (previous.stderr !== "") env.PULUMI_COMMAND_STDERR = previous.stderr;
  }
  return env;
}

/** Whether the provider logs a stream under `logging` (default: both). */
export function logsStream(logging: CommandInputs["logging"], stream: "stdout" | "stderr"): boolean {
  if (logging === undefined) return true;
  if (logging === "stdoutAndStderr") return true;
  return logging === stream;
}

/** Go's %q for the strings commands are made of (close enough for messages). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

export interface ExecRequest {
  /** The script text (create, update or delete). */
  command: string;
  inputs: CommandInputs;
  /** Outputs of the previous create/update (empty on create). */
  previous: { stdout: string; stderr: string };
  /** The provider process's environment. */
  baseEnv: NodeJS.ProcessEnv;
  /** The provider's working directory: where a command without `dir` runs. */
  defaultDir: string;
  /** Give up (and report a hang) after this long. */
  timeoutMs: number;
  /** Names the resource and operation in a hang report. */
  label: string;
  /** Called with each logged line. */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
}

export interface ExecResult {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  /** Trimmed like the provider's outputs. */
  stdout: string;
  stderr: string;
  /** The provider's error text; null on success. */
  error: string | null;
  /** True when the command did not finish (exit and pipes closed) within the timeout. */
  hung: boolean;
  durationMs: number;
}

/**
 * Processes (other than ours) that hold one of the given pipe ends open, with their
 * command lines. `ends` are /proc fd link targets ("pipe:[123]", "socket:[456]").
 */
export function pipeHolders(ends: string[]): string[] {
  const targets = new Set(ends.filter((e) => e !== ""));
  if (targets.size === 0) return [];
  const holders: string[] = [];
  let pids: string[] = [];
  try {
    pids = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const holds = fds.some((f) => {
      try {
        return targets.has(fs.readlinkSync(`/proc/${pid}/fd/${f}`));
      } catch {
        return false;
      }
    });
    if (holds) {
      let cmdline = "";
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((s) => s !== "").join(" ");
      } catch {
        // gone meanwhile
      }
      holders.push(`pid ${pid} (${cmdline})`);
    }
  }
  return holders;
}

/** The command's ends of its stdout/stderr, read from /proc right after it started. */
function childOutputEnds(pid: number | undefined): string[] {
  if (pid === undefined) return [];
  const ends: string[] = [];
  for (const fd of [1, 2]) {
    try {
      ends.push(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // already gone
    }
  }
  return ends;
}

/** Run one of a Command's scripts the way the provider does. */
export function execCommand(req: ExecRequest): Promise<ExecResult> {
  const started = Date.now();
  const argv = commandArgv(req.inputs, req.command);
  const dir = req.inputs.dir ?? req.defaultDir;
  const env = commandEnv(req.baseEnv, req.inputs, req.previous);
  const fail = (error: string): ExecResult => ({
    ok: false,
    exitCode: null,
    signal: null,
    stdout: "",
    stderr: "",
    error: `${error}: running ${goQuote(req.command)}:\n`,
    hung: false,
    durationMs: Date.now() - started,
  });
  // Go's exec reports a missing working directory as a chdir error before starting anything.
  try {
    if (!fs.statSync(dir).isDirectory()) return Promise.resolve(fail(`chdir ${dir}: not a directory`));
  } catch {
    return Promise.resolve(fail(`chdir ${dir}: no such file or directory`));
  }
  const hasStdin = req.inputs.stdin !== undefined && req.inputs.stdin.length > 0;

  return new Promise<ExecResult>((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: dir,
      env,
      stdio: [hasStdin ? "pipe" : "ignore", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const combined: Buffer[] = [];
    const partial: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
    const logLines = (stream: "stdout" | "stderr", chunk: Buffer): void => {
      if (!req.onLine || !logsStream(req.inputs.logging, stream)) return;
      const lines = (partial[stream] + chunk.toString("utf8")).split("\n");
      partial[stream] = lines.pop() ?? "";
      for (const line of lines) req.onLine(stream, line);
    };
    const flushLines = (): void => {
      for (const stream of ["stdout", "stderr"] as const) {
        if (partial[stream] !== "" && req.onLine) req.onLine(stream, partial[stream]);
        partial[stream] = "";
      }
    };
    child.stdout?.on("data", (c: Buffer) => {
      out.push(c);
      combined.push(c);
      logLines("stdout", c);
    });
    child.stderr?.on("data", (c: Buffer) => {
      err.push(c);
      combined.push(c);
      logLines("stderr", c);
    });
    if (hasStdin && child.stdin) {
      child.stdin.on("error", () => undefined); // the command may not read it all
      child.stdin.end(req.inputs.stdin);
    }

    let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let startError: Error | null = null;
    let settled = false;
    // Whoever inherits these ends keeps the operation waiting: note them for a hang report.
    const ends = childOutputEnds(child.pid);

    const finish = (result: Omit<ExecResult, "durationMs">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      flushLines();
      resolve({ ...result, durationMs: Date.now() - started });
    };

    const timer = setTimeout(() => {
      const holders = pipeHolders(ends);
      const state = exited
        ? `its process exited (${exited.signal ? `signal ${exited.signal}` : `code ${exited.code}`}) but its stdout/stderr ` +
          `are still held open${holders.length > 0 ? ` by ${holders.join(", ")}` : ""}: a process it started did not ` +
          `detach (setsid, stdin from /dev/null, stdout and stderr to files)`
        : `it is still running (pid ${child.pid})${holders.length > 0 ? `; its output pipes are held by ${holders.join(", ")}` : ""}`;
      // Like the provider's context deadline: kill the command's own process. Then stop
      // waiting for the pipes, which the real provider would wait on forever.
      if (!exited) child.kill("SIGKILL");
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish({
        ok: false,
        exitCode: exited?.code ?? null,
        signal: exited?.signal ?? null,
        stdout: "",
        stderr: "",
        error:
          `${req.label} did not finish within ${Math.round(req.timeoutMs / 1000)}s: ${state}: running ${goQuote(req.command)}:\n` +
          Buffer.concat(combined).toString("utf8"),
        hung: true,
      });
    }, req.timeoutMs);

    child.on("error", (e) => {
      startError = e;
    });
    child.on("exit", (code, signal) => {
      exited = { code, signal };
    });
    // 'close' comes once the process has exited and both pipes are closed: Go's Wait.
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
      const combinedText = Buffer.concat(combined).toString("utf8");
      if (startError) {
        const e = startError as NodeJS.ErrnoException;
        const reason = e.code === "ENOENT" ? "no such file or directory" : e.message;
        finish({
          ok: false,
          exitCode: null,
          signal: null,
          stdout: "",
          stderr: "",
          error: `fork/exec ${argv[0]}: ${reason}: running ${goQuote(req.command)}:\n${combinedText}`,
          hung: false,
        });
        return;
      }
      if (code === 0) {
        finish({
          ok: true,
          exitCode: 0,
          signal: null,
          stdout: trimOutput(Buffer.concat(out).toString("utf8")),
          stderr: trimOutput(Buffer.concat(err).toString("utf8")),
          error: null,
          hung: false,
        });
        return;
      }
      const status = signal ? `signal: ${signalName(signal)}` : `exit status ${code}`;
      finish({
        ok: false,
        exitCode: code,
        signal,
        stdout: "",
        stderr: "",
        error: `${status}: running ${goQuote(req.command)}:\n${combinedText}`,
        hung: false,
      });
    });
  });
}

/** Go prints signals by their description ("killed", "terminated"). */
function signalName(signal: NodeJS.Signals): string {
  const names: Partial<Record<NodeJS.Signals, string>> = {
    SIGKILL: "killed",
    SIGTERM: "terminated",
    SIGINT: "interrupt",
    SIGHUP: "hangup",
    SIGPIPE: "broken pipe",
    SIGSEGV: "segmentation fault",
    SIGABRT: "aborted",
  };
  return names[signal] ?? signal;
}

// ---------------------------------------------------------------------------------------
// The engine's decision for a resource that already exists: same, update or replace.
// ---------------------------------------------------------------------------------------

export type StepPlan =
  | { kind: "create" }
  | { kind: "same" }
  | { kind: "update"; changed: string[] }
  | { kind: "replace"; changed: string[]; replaceKeys: string[]; deleteBeforeReplace: boolean };

/** Deep equality of JSON values, treating a missing key and `undefined` alike. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) if (!jsonEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** Top-level property named by a property path (`triggers[*]`, `environment.FOO`, `"a.b"`). */
export function topLevelKey(path: string): string {
  if (path.startsWith('["')) {
    const end = path.indexOf('"]');
    return end > 0 ? path.slice(2, end) : path;
  }
  const m = /^[^.[]+/.exec(path);
  return m ? m[0] : path;
}

/**
 * Same, update or replace, as the engine decides with the Command provider's Diff:
 * the old inputs are compared with the new ones key by key; a change to `triggers`
 * (replaceOnChanges in the provider's schema, and `triggers[*]` in the SDK's options), to
 * a key named in the `replaceOnChanges` option, or to the `replacementTrigger` option
 * replaces; any other change updates. `ignoreChanges` keeps the old value of the keys
 * it names (top-level keys; a nested path ignores its whole top-level key).
 */
export function planStep(
  old: StateResource | undefined,
  inputs: JsonObject,
  options: ResourceOptionsRecord,
  schemaReplaceKeys: readonly string[],
): { plan: StepPlan; inputs: JsonObject } {
  if (!old) return { plan: { kind: "create" }, inputs };
  const effective: JsonObject = { ...inputs };
  for (const path of options.ignoreChanges) {
    const k = topLevelKey(path);
    if (k in old.inputs) effective[k] = old.inputs[k];
    else delete effective[k];
  }
  const keys = [...new Set([...Object.keys(old.inputs), ...Object.keys(effective)])].sort();
  const changed = keys.filter((k) => !jsonEqual(old.inputs[k], effective[k]));
  const replaceOn = options.replaceOnChanges.map(topLevelKey);
  const replaceKeys = changed.filter((k) => schemaReplaceKeys.includes(k) || replaceOn.includes("*") || replaceOn.includes(k));
  const triggerChanged = !jsonEqual(old.options.replacementTrigger, options.replacementTrigger);
  if (triggerChanged) replaceKeys.push("(replacementTrigger)");
  if (replaceKeys.length > 0) {
    return { plan: { kind: "replace", changed, replaceKeys, deleteBeforeReplace: options.deleteBeforeReplace }, inputs: effective };
  }
  if (changed.length > 0) return { plan: { kind: "update", changed }, inputs: effective };
  return { plan: { kind: "same" }, inputs: effective };
}

/**
 * The order deletes run in: a resource goes before every resource it depends on and
 * before its parent (reverse dependency order, as `pulumi destroy` does). Among
 * resources free to go, the later one in state goes first.
 */
export function deletionOrder(resources: StateResource[]): StateResource[] {
  const remaining = [...resources];
  const order: StateResource[] = [];
  const needs = (r: StateResource): string[] => [...r.dependencies, ...(r.parent ? [r.parent] : [])];
  while (remaining.length > 0) {
    let picked = -1;
    for (let i = remaining.length - 1; i >= 0; i--) {
      const cand = remaining[i];
      const neededByOther = remaining.some((other, j) => j !== i && other.urn !== cand.urn && needs(other).includes(cand.urn));
      if (!neededByOther) {
        picked = i;
        break;
      }
    }
    if (picked < 0) picked = remaining.length - 1; // a cycle cannot come from Pulumi; go by list order
    order.push(remaining[picked]);
    remaining.splice(picked, 1);
  }
  return order;
}

/** Parse a Go duration ("1h2m3.5s", "300ms"); null when empty or malformed. */
export function parseGoDuration(text: string): number | null {
  if (!text) return null;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const scale: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * scale[m[2]];
    consumed += m[0].length;
  }
  return consumed === text.length && consumed > 0 ? total : null;
}
