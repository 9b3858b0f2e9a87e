/**
 * End-to-end run of one stack on the netns backend through the real Pulumi engine (the
 * pinned CLI from `npm run toolchain`, local state):
 *
 *   npm run e2e -- --stack ipip [--config extra.json] [--keep]
 *
 * Takes Pulumi.<stack>.yaml's config, merges the keys of --config (a JSON object; keys
 * bare or `calico-ipip-lab:`-namespaced), forces `backend: netns` and names the lab
 * (config `labName`, else calico-<stack>), then in a stack of its own — `e2e-<stack>-<4
 * hex digits>` in the state folder, its config in the state folder's
 * Pulumi.<that stack>.yaml — runs up, prints the stack outputs as JSON on stdout, runs
 * destroy, checks that nothing of the lab is left (no namespace, process, link or run
 * folder) and removes the stack (`pulumi stack rm`, its backups and the CLI's log files
 * of its runs). Exits 0 only if up succeeded, the verdict is "pass", destroy and stack rm
 * succeeded and nothing was left. Progress and failures go to stderr.
 *
 * Other options: --state DIR, the Pulumi state folder (`file://DIR`; default
 * .cache/e2e/state); --keep, leave the lab up in stack `e2e-<stack>` (a stable name, so
 * that a later --destroy finds it); --destroy, destroy, check and remove that stack and
 * any `e2e-<stack>-*` a run killed outright left in DIR; --timeout SEC, the longest up
 * may take before it is cancelled as a stop signal cancels it (default 900); --verbose,
 * the CLI's own output on stderr. Needs root (network namespaces).
 *
 * SIGINT (Ctrl-C), SIGTERM and SIGHUP stop the run: the CLI gets one SIGINT and cancels
 * the up as it does on Ctrl-C (nothing new starts; the provider stops the scripts under
 * way, whose failed creates save nothing), then what the state holds is destroyed and
 * checked and the stack removed, --keep or not, and the exit code is 128 + the signal's
 * number. A destroy under way goes on to the end. The CLI runs in a session of its own
 * (setsid), so a Ctrl-C at the terminal reaches this process only and the CLI is
 * cancelled once, not terminated by a second interrupt. Killed outright (SIGKILL), the
 * run leaves the CLI to finish and the stack in DIR for --destroy.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_DIR, toolchainDir } from "../toolchain";
import { CliResult, PulumiStack, RunOptions } from "../toolchain/stack";
import { LabFootprint, labFootprint, labLeftovers, labNameFor, labNameOf, netnsStackConfig, projectName } from "../leftovers/e2eStack";
import { describeLeftovers } from "../leftovers/leftovers";

interface Args {
  stack: string;
  configFile: string | null;
  keep: boolean;
  destroyOnly: boolean;
  stateDir: string;
  timeoutSec: number;
  verbose: boolean;
}

const USAGE = [
  "usage: npm run e2e -- --stack NAME [--config FILE] [--keep] [--state DIR] [--destroy] [--timeout SEC] [--verbose]",
  "  runs up, destroy and a leftover check of stack NAME's config on the netns backend, in a stack",
  "  of its own: e2e-NAME-<4 hex digits>, removed at the end; with --keep e2e-NAME, left up",
  "  --config FILE  a JSON object of config keys laid over Pulumi.NAME.yaml's",
  "  --state DIR    the Pulumi state folder (default .cache/e2e/state); each stack's config is DIR/Pulumi.<stack>.yaml",
  "  --keep         leave the lab up in stack e2e-NAME",
  "  --destroy      destroy, check and remove stack e2e-NAME and any e2e-NAME-* a killed run left in DIR",
  "  --timeout SEC  cancel an up that takes longer (default 900)",
  "  --verbose      show the Pulumi CLI's output",
  "  Ctrl-C, SIGTERM or SIGHUP: cancel the up, destroy what was built, check, remove the stack, exit 128+signal",
].join("\n");

function parseArgs(argv: string[]): Args {
  let stack: string | null = null;
  let configFile: string | null = null;
  let stateDir: string | null = null;
  let keep = false;
  let destroyOnly = false;
  let verbose = false;
  let timeoutSec = 900;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === "--stack") stack = value();
    else if (a === "--config") configFile = value();
    else if (a === "--state") stateDir = value();
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
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`stack name "${stack}" may hold only letters, digits and _.-`);
  if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) throw new Error(`--timeout must be a positive number of seconds`);
  return {
    stack,
    configFile,
    keep,
    destroyOnly,
    verbose,
    timeoutSec,
    stateDir: path.resolve(stateDir ?? path.join(REPO_DIR, ".cache", "e2e", "state")),
  };
}

function say(text: string): void {
  process.stderr.write(`e2e: ${text}\n`);
}

/** The signal that is stopping the run, once one came. */
let stopping: NodeJS.Signals | null = null;
/** Cancels the up under way (one SIGINT to the CLI) when a stopping signal comes. */
let cancelUp: AbortController | null = null;

function onStopSignal(signal: NodeJS.Signals): void {
  // One Ctrl-C often arrives twice: from the terminal, and forwarded by npm. Either way
  // the stop is under way and goes on as announced; the CLI gets a single SIGINT (a
  // second one would terminate it without saving what it was doing).
  if (stopping !== null) return;
  stopping = signal;
  say(`${signal}: stopping: the up is cancelled (nothing new starts), then what was built is destroyed`);
  cancelUp?.abort();
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

/**
 * A folder holding a `pulumi` that starts the pinned CLI in a session of its own
 * (setsid execs it in place, so its PID is the CLI's): a terminal's Ctrl-C then reaches
 * this process and not the CLI, its language host, provider and scripts, and this process
 * cancels the CLI with exactly one SIGINT. Without setsid, the CLI itself.
 */
function sessionBin(realBin: string): string {
  const setsid = ["/usr/bin/setsid", "/bin/setsid"].find((p) => fs.existsSync(p));
  if (setsid === undefined) {
    say("warning: no setsid: a Ctrl-C at the terminal also reaches the Pulumi CLI and may terminate it");
    return realBin;
  }
  const dir = path.join(REPO_DIR, ".cache", "e2e", "bin");
  fs.mkdirSync(dir, { recursive: true });
  const shim = path.join(dir, "pulumi");
  const text = [
    "#!/bin/sh",
    "# Written by bin/e2e.ts: the pinned Pulumi CLI in a session of its own (see sessionBin).",
    `exec ${setsid} ${JSON.stringify(path.join(realBin, "pulumi"))} "$@"`,
    "",
  ].join("\n");
  if (!fs.existsSync(shim) || fs.readFileSync(shim, "utf8") !== text) {
    const tmp = `${shim}.${process.pid}`;
    fs.writeFileSync(tmp, text, { mode: 0o755 });
    fs.renameSync(tmp, shim);
  }
  return dir;
}

/** One e2e stack in the state folder; every CLI run of it shown with --verbose. */
class E2eStack extends PulumiStack {
  constructor(
    readonly name: string,
    readonly args: Args,
    binDir: string,
    realBin: string,
  ) {
    super({
      stack: name,
      binDir,
      programDir: REPO_DIR,
      backendUrl: `file://${args.stateDir}`,
      configFile: path.join(args.stateDir, `Pulumi.${name}.yaml`),
      // The real toolchain folder on PATH too (beside the session shim's).
      env: { PATH: [realBin, process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin"].join(path.delimiter) },
    });
  }

  override run(args: string[], opts: RunOptions = {}): Promise<CliResult> {
    return super.run(args, { ...opts, onOutput: this.args.verbose ? (_stream, text) => process.stderr.write(text) : opts.onOutput });
  }

  /** Its state file (the file backend's checkpoint), if it has one. */
  checkpoint(): string {
    return path.join(this.args.stateDir, ".pulumi", "stacks", projectName(REPO_DIR), `${this.name}.json`);
  }

  exists(): boolean {
    return fs.existsSync(this.checkpoint());
  }

  /**
   * After `stack rm`: what the file backend keeps of a removed stack (the last checkpoint
   * as .bak, backups, history, its lock folder) and the CLI's log files of this stack's runs.
   */
  forget(): void {
    const project = projectName(REPO_DIR);
    const meta = path.join(this.args.stateDir, ".pulumi");
    for (const p of [
      path.join(meta, "backups", project, this.name),
      path.join(meta, "history", project, this.name),
      path.join(meta, "locks", "organization", project, this.name),
    ]) {
      fs.rmSync(p, { recursive: true, force: true });
    }
    const stacks = path.join(meta, "stacks", project);
    for (const f of safeList(stacks)) if (f.startsWith(`${this.name}.json`)) fs.rmSync(path.join(stacks, f), { force: true });
    fs.rmSync(this.configFile, { force: true });
    this.removeCliLogs();
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The engine's errors of a failed run, else the end of what the CLI printed. */
function failureText(r: CliResult): string {
  if (r.errors.length > 0) return r.errors.map((e) => e.split("\n").slice(0, 12).join("\n    ")).join("\n  ");
  const tail = `${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-20);
  return `pulumi exited ${r.code ?? r.signal}:\n  ${tail.join("\n  ")}`;
}

/** `12 resources: create 10, same 2`. */
function stepSummary(r: CliResult): string {
  const counts = new Map<string, number>();
  for (const s of r.steps) counts.set(s.op, (counts.get(s.op) ?? 0) + 1);
  return `${r.steps.length} resources${counts.size > 0 ? `: ${[...counts].map(([op, n]) => `${op} ${n}`).join(", ")}` : ""}`;
}

/** Destroy what the stack holds, check that nothing of the lab is left, remove the stack. */
async function destroyAndCheck(s: E2eStack, footprint: LabFootprint): Promise<boolean> {
  let ok = true;
  if (s.exists()) {
    say(`destroy of stack ${s.name} (lab ${footprint.labName})`);
    const d = await s.destroy();
    if (d.code !== 0) {
      say(`FAILED: destroy:\n  ${failureText(d)}`);
      ok = false;
    } else {
      say(`destroy done in ${(d.durationMs / 1000).toFixed(1)}s (${stepSummary(d)})`);
    }
  }
  // The run's own files may carry the lab's name; they are not the lab's.
  const own = [s.args.stateDir, ...(s.args.configFile ? [path.resolve(s.args.configFile)] : [])];
  const left = describeLeftovers(labLeftovers(footprint, own));
  if (left.length > 0) {
    say(`FAILED: the lab left behind:\n  ${left.join("\n  ")}`);
    ok = false;
  } else {
    say(`nothing of lab ${footprint.labName} is left`);
  }
  if (!ok) {
    say(`stack ${s.name} stays in ${s.args.stateDir}: npm run e2e -- --stack ${s.args.stack} --state ${s.args.stateDir} --destroy`);
    return false;
  }
  if (s.exists()) {
    const rm = await s.rm();
    if (rm.code !== 0) {
      say(`FAILED: stack rm ${s.name}:\n  ${failureText(rm)}`);
      return false;
    }
  }
  s.forget();
  say(`stack ${s.name} removed`);
  return true;
}

/** An up that stops at --timeout or a stopping signal (one SIGINT to the CLI either way). */
async function upWithin(s: E2eStack): Promise<CliResult> {
  cancelUp = new AbortController();
  const controller = cancelUp;
  const timer = setTimeout(() => {
    say(`the up did not finish within ${s.args.timeoutSec}s: cancelling it`);
    controller.abort();
  }, s.args.timeoutSec * 1000);
  try {
    return await s.up([], { signal: controller.signal });
  } finally {
    clearTimeout(timer);
    cancelUp = null;
  }
}

/** The stacks --destroy takes down: e2e-<stack>, and e2e-<stack>-<hex> left by killed runs. */
function leftStacks(args: Args): string[] {
  const dir = path.join(args.stateDir, ".pulumi", "stacks", projectName(REPO_DIR));
  const pattern = new RegExp(`^e2e-${args.stack.replace(/[.]/g, "\\.")}(-[0-9a-f]{4})?\\.json$`);
  return safeList(dir)
    .filter((f) => pattern.test(f))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}

async function main(): Promise<number> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    say("warning: not running as root; the netns backend needs root (ip netns)");
  }
  const args = parseArgs(process.argv.slice(2));
  const base = netnsStackConfig(args.stack, readExtraConfig(args.configFile));
  const labName = labNameFor(base, args.stack);
  // The lab keeps the shipped stack's name (calico-<stack>), whatever this run's stack is called.
  const config: Record<string, unknown> = { ...base, [`${projectName(REPO_DIR)}:labName`]: labName };
  if (fs.existsSync(args.stateDir) && !fs.statSync(args.stateDir).isDirectory()) {
    throw new Error(`--state ${args.stateDir} is a file: --state names the Pulumi state folder now (the executing harness's state files are gone)`);
  }
  fs.mkdirSync(args.stateDir, { recursive: true });
  const realBin = toolchainDir();
  const binDir = sessionBin(realBin);
  const stackOf = (name: string): E2eStack => new E2eStack(name, args, binDir, realBin);

  if (args.destroyOnly) {
    const names = leftStacks(args);
    if (names.length === 0) say(`no stack e2e-${args.stack} or e2e-${args.stack}-* in ${args.stateDir}`);
    let ok = true;
    for (const name of names) {
      const s = stackOf(name);
      if (!fs.existsSync(s.configFile)) s.writeConfig(config);
      const outputs = await s.outputs();
      const footprint = labFootprint(labNameOf(outputs) ?? labName, outputs);
      if (!(await destroyAndCheck(s, footprint))) ok = false;
    }
    if (names.length === 0) ok = describeLeftovers(labLeftovers(labFootprint(labName, null), [args.stateDir])).length === 0;
    return ok ? 0 : 1;
  }

  const name = args.keep ? `e2e-${args.stack}` : `e2e-${args.stack}-${crypto.randomBytes(2).toString("hex")}`;
  const s = stackOf(name);
  say(`up of stack ${name} (config of ${args.stack}) on the netns backend: lab ${labName}, state ${args.stateDir}`);
  let up: CliResult | null = null;
  let outputs: Record<string, unknown> | null = null;
  let ok = true;
  if (stopping === null) {
    const init = await s.init(config);
    if (init.code !== 0) {
      say(`FAILED: pulumi stack select --create ${name}:\n  ${failureText(init)}`);
      return 1;
    }
  }
  if (stopping === null) {
    up = await upWithin(s);
    if (up.code === 0) outputs = await s.outputs();
  }
  if (outputs !== null) process.stdout.write(`${JSON.stringify(outputs, null, 2)}\n`);
  const footprint = labFootprint(labNameOf(outputs) ?? labName, outputs);

  if (stopping !== null) {
    say(`up stopped by ${stopping}: ${up === null ? "it had not started" : up.code === 0 ? "it had finished" : `the up was cancelled (pulumi exited ${up.code ?? up.signal})`}`);
    ok = false;
  } else if (up === null || up.code !== 0) {
    say(`FAILED: up:\n  ${up === null ? "it did not run" : failureText(up)}`);
    ok = false;
  } else {
    say(`up done in ${(up.durationMs / 1000).toFixed(1)}s (${stepSummary(up)})`);
    const verdict = outputs?.verdict;
    if (verdict !== "pass") {
      say(`FAILED: verdict is ${JSON.stringify(verdict)}, not "pass"`);
      const captures = outputs?.captures;
      if (Array.isArray(captures)) {
        for (const c of captures as Record<string, unknown>[]) {
          if (c !== null && typeof c === "object" && c.pass !== true) {
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
    say(`--keep: the lab stays up in stack ${name}; destroy it with: npm run e2e -- --stack ${args.stack} --state ${args.stateDir} --destroy`);
    return ok ? 0 : 1;
  }
  const clean = await destroyAndCheck(s, footprint);
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
    process.exit(stopping !== null ? signalExitCode(stopping) : 2);
  },
);
