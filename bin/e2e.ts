/**
 * End-to-end run of one stack on the netns backend through the executing harness:
 *
 *   npm run e2e -- --stack ipip [--config extra.json] [--keep]
 *
 * Reads Pulumi.<stack>.yaml (with Pulumi.yaml's defaults), merges the config keys of
 * --config (a JSON object; keys bare or `calico-ipip-lab:`-namespaced), forces
 * `backend: netns`, runs up, prints the stack outputs as JSON on stdout, runs destroy
 * (unless --keep) and checks that nothing of the lab is left: no namespace, process,
 * link or run folder. Exits 0 only if up succeeded, the verdict is "pass", destroy
 * succeeded and nothing was left. Progress and failures go to stderr.
 *
 * Other options: --state FILE (default .cache/e2e/<stack>.json), --destroy (only destroy
 * what FILE holds, then check), --timeout SEC (per command, default 300), --verbose.
 * Needs root (network namespaces).
 *
 * SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the run: the up is cancelled (no new command
 * starts, the ones under way finish and are saved), then what it built is destroyed and
 * checked, --keep or not, and the exit code is 128 + the signal's number. A destroy under
 * way goes on to the end. Killed outright (SIGKILL), the run leaves the lab and its state
 * file for `--destroy`; the harness's engine notices and stops on its own.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readState, runDestroy, runUp } from "../harness";
import { JsonObject, RunResult } from "../harness/types";
import { LabFootprint, labFootprint, labLeftovers, labNameFor, labNameOf, netnsStackConfig, REPO_DIR } from "../leftovers/lab";
import { describeLeftovers } from "../leftovers/leftovers";

interface Args {
  stack: string;
  configFile: string | null;
  keep: boolean;
  destroyOnly: boolean;
  stateFile: string;
  timeoutSec: number;
  verbose: boolean;
}

const USAGE = "usage: npm run e2e -- --stack NAME [--config FILE] [--keep] [--state FILE] [--destroy] [--timeout SEC] [--verbose]";

function parseArgs(argv: string[]): Args {
  let stack: string | null = null;
  let configFile: string | null = null;
  let stateFile: string | null = null;
  let keep = false;
  let destroyOnly = false;
  let verbose = false;
  let timeoutSec = 300;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--stack") stack = value();
    else if (a === "--config") configFile = value();
    else if (a === "--state") stateFile = value();
    else if (a === "--timeout") timeoutSec = Number(value());
    else if (a === "--keep") keep = true;
    else if (a === "--destroy") destroyOnly = true;
    else if (a === "--verbose") verbose = true;
    else if (a === "--help" || a === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  if (stack === null) throw new Error(`--stack is required\n${USAGE}`);
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new Error(`--timeout must be a positive number of seconds`);
  return {
    stack,
    configFile,
    keep,
    destroyOnly,
    verbose,
    timeoutSec,
    stateFile: path.resolve(stateFile ?? path.join(REPO_DIR, ".cache", "e2e", `${stack}.json`)),
  };
}

function say(text: string): void {
  process.stderr.write(`e2e: ${text}\n`);
}

/** The signal that is stopping the run, once one came. */
let stopping: NodeJS.Signals | null = null;
/** Cancels the up when a stopping signal comes. */
const interrupt = new AbortController();

function onStopSignal(signal: NodeJS.Signals): void {
  // One Ctrl-C often arrives twice: from the terminal, and forwarded by npm. Either way
  // the stop is under way and goes on as announced.
  if (stopping !== null) return;
  stopping = signal;
  say(`${signal}: stopping: no new command starts, the ones under way finish, then what was built is destroyed`);
  interrupt.abort();
}

/** Exit code of a run stopped by `signal`: 128 + its number, as a shell reports it. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + os.constants.signals[signal];
}

function readExtraConfig(file: string | null): Record<string, unknown> {
  if (file === null) return {};
  const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`${file} must hold a JSON object of config keys`);
  }
  return parsed as Record<string, unknown>;
}

function failedOps(r: RunResult): string {
  return r.operations
    .filter((o) => !o.ok)
    .map((o) => `  ${o.name} (${o.op}/${o.script}): ${(o.error ?? "").split("\n").slice(0, 8).join("\n    ")}`)
    .join("\n");
}

async function destroyAndCheck(args: Args, footprint: LabFootprint): Promise<boolean> {
  say(`destroy of stack ${args.stack} (lab ${footprint.labName})`);
  const d = await runDestroy({ stateFile: args.stateFile, commandTimeoutSec: args.timeoutSec, verbose: args.verbose });
  let ok = true;
  if (!d.ok) {
    say(`FAILED: destroy: ${d.error}`);
    ok = false;
  } else {
    say(`destroy done in ${(d.durationMs / 1000).toFixed(1)}s (${d.operations.length} deletes)`);
  }
  // The run's own files may carry the lab's name; they are not the lab's.
  const own = [args.stateFile, ...(args.configFile ? [path.resolve(args.configFile)] : [])];
  const left = describeLeftovers(labLeftovers(footprint, own));
  if (left.length > 0) {
    say(`FAILED: the lab left behind:\n  ${left.join("\n  ")}`);
    ok = false;
  } else {
    say(`nothing of lab ${footprint.labName} is left`);
  }
  return ok;
}

async function main(): Promise<number> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    say("warning: not running as root; the netns backend needs root (ip netns)");
  }
  const args = parseArgs(process.argv.slice(2));
  const config = netnsStackConfig(args.stack, readExtraConfig(args.configFile));
  const configuredName = labNameFor(config, args.stack);

  if (args.destroyOnly) {
    const state = readState(args.stateFile);
    const labName = labNameOf(state?.outputs ?? null) ?? configuredName;
    return (await destroyAndCheck(args, labFootprint(labName, state?.outputs ?? null))) ? 0 : 1;
  }

  say(`up of stack ${args.stack} on the netns backend (lab ${configuredName}, state ${args.stateFile})`);
  const up = await runUp({
    programDir: REPO_DIR,
    stack: args.stack,
    config,
    stateFile: args.stateFile,
    commandTimeoutSec: args.timeoutSec,
    verbose: args.verbose,
    signal: interrupt.signal,
  });
  const outputs: JsonObject | null = up.outputs;
  if (outputs !== null) process.stdout.write(`${JSON.stringify(outputs, null, 2)}\n`);
  const labName = labNameOf(outputs) ?? configuredName;
  const footprint = labFootprint(labName, outputs);

  let ok = true;
  if (stopping !== null) {
    say(`up stopped by ${stopping}: ${up.error ?? "it had finished"}`);
    ok = false;
  } else if (!up.ok) {
    say(`FAILED: up: ${up.error}`);
    const failed = failedOps(up);
    if (failed) say(`failed operations:\n${failed}`);
    if (up.programStderr.trim()) say(`program stderr:\n${up.programStderr.trim().split("\n").slice(-30).join("\n")}`);
    ok = false;
  } else {
    const ran = up.operations.filter((o) => o.script !== null).length;
    say(`up done in ${(up.durationMs / 1000).toFixed(1)}s (${ran} commands ran)`);
    const verdict = outputs?.verdict;
    if (verdict !== "pass") {
      say(`FAILED: verdict is ${JSON.stringify(verdict)}, not "pass"`);
      const captures = outputs?.captures;
      if (Array.isArray(captures)) {
        for (const c of captures) {
          if (c !== null && typeof c === "object" && !Array.isArray(c) && c.pass !== true) {
            say(`  ${String(c.scenario)}: expected ${String(c.expected)}, observed ${String(c.observed)}: ${String(c.reason)}`);
          }
        }
      }
      ok = false;
    } else {
      say(`verdict pass`);
    }
  }

  if (args.keep && stopping === null) {
    say(`--keep: the lab stays up; destroy it with: npm run e2e -- --stack ${args.stack} --state ${args.stateFile} --destroy`);
    return ok ? 0 : 1;
  }
  const clean = await destroyAndCheck(args, footprint);
  return ok && clean ? 0 : 1;
}

// Whoever reads our output may be gone (a closed terminal, a killed pipe): the run must
// still stop and destroy, so a write that fails is dropped rather than ending the process.
for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onStopSignal);

main().then(
  (code) => {
    if (stopping !== null) {
      const stopCode = signalExitCode(stopping);
      say(`stopped by ${stopping} (exit ${stopCode})`);
      process.exit(stopCode);
    }
    process.exit(code);
  },
  (e: unknown) => {
    say(`FAILED: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
