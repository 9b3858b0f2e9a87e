/**
 * Runs one of a Command's scripts as pulumi-command 1.2.1 does: argv, working directory,
 * environment and stdin from the inputs; done once the process has exited AND its stdout
 * and stderr are closed (a process the script leaves holding them keeps the operation
 * waiting, as upstream's does); outputs trimmed of one trailing newline; a failure says
 * how it ended, what ran, and everything it printed.
 *
 * Unlike upstream, each script runs in its own process group so that a cancelled update
 * (Cancel, or SIGINT/SIGTERM to the provider) stops the whole script and what it started
 * in that group. Processes a script detaches with `setsid` are left alone by design.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import { StringDecoder } from "string_decoder";
import { commandArgv, commandEnv, CommandInputs, dropCR, logsStream, PreviousOutputs, splitLines, trimOutput } from "./inputs";

export interface RunRequest {
  /** The script text (create, update or delete). */
  script: string;
  inputs: CommandInputs;
  previous: PreviousOutputs;
  /** The provider's environment. */
  baseEnv: NodeJS.ProcessEnv;
  /** Where a script without `dir` runs: the provider's working directory (the project). */
  defaultDir: string;
  /** Each line of a logged stream, as it comes. */
  onLine?: (stream: "stdout" | "stderr", line: string) => void;
  /** Called once after this long while the process has exited but its pipes stay open. */
  onHeldPipes?: (holders: string[]) => void;
  heldPipesAfterMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** The process groups of the scripts running now. */
const running = new Set<number>();

/** Stop every running script's process group: SIGTERM, then SIGKILL after `graceMs`. */
export function stopAll(graceMs = 3000): void {
  for (const pgid of running) {
    signalGroup(pgid, "SIGTERM");
    setTimeout(() => {
      if (running.has(pgid)) signalGroup(pgid, "SIGKILL");
    }, graceMs).unref();
  }
}

/** How many scripts are running (for tests and the shutdown path). */
export function runningCount(): number {
  return running.size;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/** Go's %q, close enough for the strings a Command is made of. */
function quote(s: string): string {
  return JSON.stringify(s);
}

/** Go prints a signal by its description. */
const SIGNAL_TEXT: Partial<Record<NodeJS.Signals, string>> = {
  SIGKILL: "killed",
  SIGTERM: "terminated",
  SIGINT: "interrupt",
  SIGHUP: "hangup",
  SIGPIPE: "broken pipe",
  SIGSEGV: "segmentation fault",
  SIGABRT: "aborted",
};

/** Processes other than this one that hold one of the given fd targets ("pipe:[123]") open. */
export function holdersOf(targets: string[]): string[] {
  const wanted = new Set(targets);
  const holders: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const holds = fds.some((f) => {
      try {
        return wanted.has(fs.readlinkSync(`/proc/${pid}/fd/${f}`));
      } catch {
        return false;
      }
    });
    if (!holds) continue;
    let cmdline = "";
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter((s) => s !== "").join(" ");
    } catch {
      // gone meanwhile
    }
    holders.push(`pid ${pid} (${cmdline})`);
  }
  return holders;
}

/** Run a script; resolves with its trimmed outputs, rejects with upstream's error text. */
export function runScript(req: RunRequest): Promise<RunResult> {
  const argv = commandArgv(req.inputs, req.script);
  const dir = req.inputs.dir ?? req.defaultDir;
  const failure = (how: string, printed: string): Error => new Error(`${how}: running ${quote(req.script)}:\n${printed}`);
  try {
    if (!fs.statSync(dir).isDirectory()) return Promise.reject(failure(`chdir ${dir}: not a directory`, ""));
  } catch {
    return Promise.reject(failure(`chdir ${dir}: no such file or directory`, ""));
  }
  const hasStdin = req.inputs.stdin !== undefined && req.inputs.stdin.length > 0;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      cwd: dir,
      env: commandEnv(req.baseEnv, req.inputs, req.previous),
      stdio: [hasStdin ? "pipe" : "ignore", "pipe", "pipe"],
      detached: true,
    });
    if (child.pid !== undefined) running.add(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const both: Buffer[] = [];
    const partial = { stdout: "", stderr: "" };
    // A character cut between two chunks is decoded once both halves are there.
    const decoders = { stdout: new StringDecoder("utf8"), stderr: new StringDecoder("utf8") };
    const collect = (stream: "stdout" | "stderr", into: Buffer[]) => (chunk: Buffer) => {
      into.push(chunk);
      both.push(chunk);
      if (!req.onLine || !logsStream(req.inputs.logging, stream)) return;
      const { lines, rest } = splitLines(partial[stream] + decoders[stream].write(chunk));
      partial[stream] = rest;
      for (const line of lines) req.onLine(stream, line);
    };
    child.stdout?.on("data", collect("stdout", out));
    child.stderr?.on("data", collect("stderr", err));
    if (hasStdin && child.stdin) {
      child.stdin.on("error", () => undefined); // the script need not read all of it
      child.stdin.end(req.inputs.stdin);
    }
    const ends: string[] = [];
    for (const fd of [1, 2]) {
      try {
        if (child.pid !== undefined) ends.push(fs.readlinkSync(`/proc/${child.pid}/fd/${fd}`));
      } catch {
        // exited already
      }
    }
    let heldTimer: NodeJS.Timeout | undefined;
    let startError: NodeJS.ErrnoException | undefined;
    child.on("error", (e: NodeJS.ErrnoException) => {
      startError = e;
    });
    child.on("exit", () => {
      if (child.pid !== undefined) running.delete(child.pid);
      if (req.onHeldPipes) {
        const report = req.onHeldPipes;
        heldTimer = setTimeout(() => report(holdersOf(ends)), req.heldPipesAfterMs ?? 30_000);
      }
    });
    // 'close' comes once the process has exited and both pipes are closed: Go's Wait.
    child.on("close", (code: number | null, signal: NodeJS.Signals | null) => {
      if (heldTimer) clearTimeout(heldTimer);
      if (child.pid !== undefined) running.delete(child.pid);
      if (req.onLine) {
        for (const stream of ["stdout", "stderr"] as const) {
          const rest = partial[stream] + decoders[stream].end();
          if (rest !== "") req.onLine(stream, dropCR(rest));
        }
      }
      const printed = Buffer.concat(both).toString("utf8");
      if (startError) {
        const reason = startError.code === "ENOENT" ? "no such file or directory" : startError.message;
        reject(failure(`fork/exec ${argv[0]}: ${reason}`, printed));
      } else if (code === 0) {
        resolve({ stdout: trimOutput(Buffer.concat(out).toString("utf8")), stderr: trimOutput(Buffer.concat(err).toString("utf8")) });
      } else {
        reject(failure(signal ? `signal: ${SIGNAL_TEXT[signal] ?? signal}` : `exit status ${code}`, printed));
      }
    });
  });
}
