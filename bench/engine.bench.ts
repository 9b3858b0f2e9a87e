/**
 * The real Pulumi engine on the seed lab (netns backend): where the time of a warm
 * `pulumi up` goes, split into the lab's own work (its Commands) and the engine's overhead.
 *
 * - The toolchain: its warm reuse (`bash toolchain/toolchain.sh`, as `npm run lab` calls it
 *   on every run) and the disk its cache takes, plus Go's module and build caches.
 * - One stack of the seed lab (Pulumi.ipip.yaml, IPIP Always, backend netns) with its own
 *   state folder, config file, lab name and capture folder, driven through PulumiStack:
 *   a preview of the create, the create `up`, a second `up` that changes nothing, a
 *   preview that changes nothing, and `destroy`. Each run gets `--logtostderr -v=7`: the
 *   engine's own log stamps every pass, the program's run and each provider call
 *   (Create/Update/Delete) to the microsecond, so the lab's work is the union of its
 *   Commands' calls and the overhead is the rest of the whole process's time.
 * - `npm run lab -- up ipip --netns` and `npm run lab -- destroy ipip`, the commands a user
 *   types, timed whole: in a copy of this tree (node_modules linked, never written) with
 *   its own state folder, so the user's stacks and Pulumi.<stack>.yaml stay untouched.
 *
 * CPU times are the whole process tree's (getrusage of reaped children, from
 * /proc/self/stat), which other load on the host disturbs less than wall times; the load
 * average is printed with them. Figures and ratios only: nothing here asserts a time.
 *
 * `npm run bench -- toolchain-cold` (only when named) builds the toolchain from nothing:
 * empty GOMODCACHE, GOCACHE and toolchain cache in a temp folder, removed afterwards
 * (about 6 minutes on 2 cores).
 *
 * The lab parts need root and bird2; every lab, state folder and copy is removed at the end.
 */
import { spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { REPO_DIR, toolchainDir, TOOLCHAIN_DIR_ENV } from "../toolchain";
import { CliResult, PulumiStack } from "../toolchain/stack";
import { labNamespaces } from "../leftovers/leftovers";
import { buildLabSpec } from "../model/config";
import { DirectLab, runScript } from "../tests/netns/direct";
import { NETNS_SCRIPTS } from "../components/netns/names";

/** The engine's log level that stamps passes, the program's run and provider calls. */
const ENGINE_LOG = ["--logtostderr", "-v=7"];
/** The stack whose config the bench's lab takes. */
const SEED_STACK = "ipip";
/** How often the toolchain's warm reuse is timed. */
const TOOLCHAIN_RUNS = 3;
/** The goal for a warm `npm run lab -- up ipip --netns`, whole process. */
const LAB_UP_GOAL_SEC = 10;

// ---------------------------------------------------------------------------------------
// Measuring

/** CPU seconds of this process's reaped children (and theirs): utime + stime from /proc. */
function childrenCpuSeconds(): number {
  try {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
    const ticks = Number(fields[13]) + Number(fields[14]);
    return ticks / CLK_TCK;
  } catch {
    return NaN;
  }
}

const CLK_TCK = ((): number => {
  const r = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const n = Number((r.stdout ?? "").trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

interface Timed<T> {
  value: T;
  wall: number;
  cpu: number;
  /** Wall-clock milliseconds (Date.now()) when it started. */
  startedAt: number;
}

async function timed<T>(f: () => Promise<T>): Promise<Timed<T>> {
  const cpu0 = childrenCpuSeconds();
  const startedAt = Date.now();
  const t0 = process.hrtime.bigint();
  const value = await f();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return { value, wall, cpu: childrenCpuSeconds() - cpu0, startedAt };
}

/** `cmd args` to completion, its output collected; stderr echoed when `echo` is set. */
function runProcess(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; echo?: boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => {
      err.push(c);
      if (opts.echo) process.stderr.write(c);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
  });
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
}

/** Bytes under `dir` (du), or null when it is not there. */
function diskBytes(dir: string): number | null {
  if (!fs.existsSync(dir)) return null;
  const r = spawnSync("du", ["-sb", dir], { encoding: "utf8" });
  const n = Number((r.stdout ?? "").split("\t")[0]);
  return r.status === 0 && Number.isFinite(n) ? n : null;
}

const s = (n: number | undefined, digits = 2): string => (n === undefined || !Number.isFinite(n) ? "–" : n.toFixed(digits));
const mb = (n: number | null): string => (n === null ? "absent" : n < 1e6 ? `${(n / 1e3).toFixed(0)} kB` : `${(n / 1e6).toFixed(0)} MB`);
const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(0)}%` : "–");
const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length === 0 ? NaN : v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

// ---------------------------------------------------------------------------------------
// The engine's log (--logtostderr -v=7): one JSON object per line with `time` and `msg`

/** One pass of the engine: a preview or an update (or destroy) of the deployment. */
export interface EnginePass {
  /** e.g. `Update(preview=true)`. */
  name: string;
  start: number;
  end?: number;
  /** The language host starts running the program. */
  runStart?: number;
  /** The program's stack resource registered: node and the Pulumi SDK are up. */
  stackRegistered?: number;
  /** The program's first resource after the stack: its modules are loaded. */
  programRegistered?: number;
  /** The first call the engine makes to the provider: it is started. */
  providerReady?: number;
  /** The program's run returned. */
  runEnd?: number;
}

/** One Create/Update/Delete/Read the engine asked the provider for: a Command's own work. */
export interface ProviderCall {
  op: string;
  resource: string;
  start: number;
  end: number;
  failed: boolean;
}

export interface EngineTimeline {
  passes: EnginePass[];
  calls: ProviderCall[];
}

/** Milliseconds since the epoch of an RFC 3339 time with up to nanoseconds. */
function logTime(text: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return NaN;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  return whole + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/** Passes and provider calls out of the engine's log lines in a CLI's stderr. */
export function engineTimeline(stderr: string): EngineTimeline {
  const passes: EnginePass[] = [];
  const calls: ProviderCall[] = [];
  const open = new Map<string, number>();
  let pass: EnginePass | undefined;
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    let entry: { time?: unknown; msg?: unknown };
    try {
      entry = JSON.parse(line) as { time?: unknown; msg?: unknown };
    } catch {
      continue;
    }
    if (typeof entry.time !== "string" || typeof entry.msg !== "string") continue;
    const t = logTime(entry.time);
    const msg = entry.msg;
    const starting = /^\*\*\* Starting (\S+) \*\*\*/.exec(msg);
    if (starting) {
      pass = { name: starting[1], start: t };
      passes.push(pass);
      continue;
    }
    if (!pass) continue;
    if (/^\*\*\* \S+ complete \*\*\*/.test(msg)) pass.end = t;
    else if (msg.startsWith("langhost[nodejs].Run(")) {
      if (/ executing/.test(msg)) pass.runStart ??= t;
      else if (/ (success|failed)/.test(msg)) pass.runEnd = t;
    } else if (msg.startsWith("ResourceMonitor.RegisterResource received: t=")) {
      if (msg.startsWith("ResourceMonitor.RegisterResource received: t=pulumi:pulumi:Stack,")) pass.stackRegistered ??= t;
      else pass.programRegistered ??= t;
    } else if (msg.startsWith("Provider[")) {
      pass.providerReady ??= t;
      const call = /^Provider\[[^\]]*\]\.(Create|Update|Delete|Read)\((urn:[^,)\s]+)[^)]*\)[:\s]+(executing|success|failed)/.exec(msg);
      if (call) {
        const key = `${call[1]} ${call[2]}`;
        if (call[3] === "executing") open.set(key, t);
        else {
          const started = open.get(key);
          open.delete(key);
          if (started !== undefined) calls.push({ op: call[1], resource: call[2].split("::").pop() ?? call[2], start: started, end: t, failed: call[3] === "failed" });
        }
      }
    }
  }
  return { passes, calls };
}

/** Seconds covered by the union of the calls' intervals (calls may overlap). */
export function busySeconds(calls: readonly ProviderCall[]): number {
  let total = 0;
  let reach = -Infinity;
  for (const c of [...calls].sort((a, b) => a.start - b.start)) {
    if (c.end <= reach) continue;
    total += c.end - Math.max(c.start, reach);
    reach = c.end;
  }
  return total / 1000;
}

/** One pass's steps, in seconds (undefined where a marker is missing), in the order they happen. */
export function passSegments(p: EnginePass, calls: readonly ProviderCall[]): { label: string; seconds: number | undefined }[] {
  const gap = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && b !== undefined ? (b - a) / 1000 : undefined);
  const inPass = calls.filter((c) => c.start >= p.start && (p.end === undefined || c.end <= p.end));
  const work = busySeconds(inPass);
  if (p.runStart !== undefined) {
    const loaded = p.programRegistered ?? p.runEnd;
    const ready = p.providerReady !== undefined && loaded !== undefined && p.providerReady > loaded ? p.providerReady : loaded;
    const running = gap(ready, p.runEnd);
    return [
      { label: "language host", seconds: gap(p.start, p.runStart) },
      { label: "node + SDK", seconds: gap(p.runStart, p.stackRegistered) },
      { label: "program's modules", seconds: gap(p.stackRegistered, loaded) },
      { label: "provider start", seconds: gap(loaded, ready) },
      { label: "registrations", seconds: running === undefined ? undefined : running - work },
      { label: "Commands", seconds: work },
      { label: "shutdown", seconds: gap(p.runEnd, p.end) },
    ];
  }
  const lastCall = inPass.length > 0 ? Math.max(...inPass.map((c) => c.end)) : p.providerReady;
  const steps = gap(p.providerReady, lastCall);
  return [
    { label: "provider start", seconds: gap(p.start, p.providerReady) },
    { label: "registrations", seconds: steps === undefined ? undefined : steps - work },
    { label: "Commands", seconds: work },
    { label: "shutdown", seconds: gap(lastCall, p.end) },
  ];
}

function describePass(p: EnginePass, calls: readonly ProviderCall[]): string {
  const total = p.end !== undefined ? (p.end - p.start) / 1000 : undefined;
  return `${p.name.padEnd(22)} ${s(total)} s: ${passSegments(p, calls)
    .map((g) => `${g.label} ${s(g.seconds)}`)
    .join(", ")}`;
}

/** Where a whole run's time went: each step summed over the passes, then what is outside them. */
function breakdown(r: EngineRun): string {
  const { passes, calls } = r.timeline;
  if (passes.length === 0) return "";
  const sums = new Map<string, number>();
  for (const p of passes) for (const g of passSegments(p, calls)) sums.set(g.label, (sums.get(g.label) ?? 0) + (g.seconds ?? 0));
  const cliStart = (passes[0].start - r.startedAt) / 1000;
  const between = passes.slice(1).reduce((t, p, i) => t + (p.start - (passes[i].end ?? p.start)) / 1000, 0);
  const after = (r.startedAt + r.wall * 1000 - (passes[passes.length - 1].end ?? NaN)) / 1000;
  const parts = [["CLI start", cliStart] as const, ...[...sums.entries()], ["between passes and exit", between + after] as const];
  return parts.map(([label, v]) => `${label} ${s(v)} (${pct(v, r.wall)})`).join(" | ");
}

interface EngineRun {
  label: string;
  wall: number;
  cpu: number;
  code: number | null;
  /** Seconds of the lab's own work: the union of its Commands' provider calls. */
  commands: number;
  timeline: EngineTimeline;
  startedAt: number;
}

async function engineRun(label: string, f: () => Promise<CliResult>): Promise<EngineRun> {
  const r = await timed(f);
  const timeline = engineTimeline(r.value.stderr);
  const run: EngineRun = { label, wall: r.wall, cpu: r.cpu, code: r.value.code, commands: busySeconds(timeline.calls), timeline, startedAt: r.startedAt };
  printEngineRun(run, r.value);
  return run;
}

function printEngineRun(r: EngineRun, cli: CliResult): void {
  const overhead = r.wall - r.commands;
  console.log(
    `${r.label.padEnd(24)} ${s(r.wall)} s wall, ${s(r.cpu)} s CPU: lab's Commands ${s(r.commands)} s (${pct(r.commands, r.wall)}), engine overhead ${s(overhead)} s (${pct(overhead, r.wall)})${r.code === 0 ? "" : `  [exit ${r.code}]`}`,
  );
  const { passes, calls } = r.timeline;
  if (passes.length > 0) {
    for (const p of passes) console.log(`${"".padEnd(4)}${describePass(p, calls)}`);
    console.log(`${"".padEnd(4)}summed: ${breakdown(r)}`);
  }
  if (calls.length > 0) console.log(`${"".padEnd(4)}Commands: ${calls.map((c) => `${c.op} ${c.resource} ${s((c.end - c.start) / 1000)}${c.failed ? " FAILED" : ""}`).join(", ")}`);
  if (r.code !== 0) console.log(`${"".padEnd(4)}${(cli.errors.join("; ") || cli.stdout.slice(-1500)).replace(/\n/g, "\n    ")}`);
}

// ---------------------------------------------------------------------------------------
// The parts

function toolchainCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CALICO_IPIP_LAB_TOOLCHAIN_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "calico-ipip-lab", "toolchain");
}

function goCaches(): { modcache: string; buildcache: string } | null {
  const r = spawnSync("go", ["env", "GOMODCACHE", "GOCACHE"], { encoding: "utf8" });
  if (r.status !== 0) return null;
  const [modcache, buildcache] = r.stdout.trim().split("\n");
  return { modcache, buildcache };
}

/** The environment without the toolchain folder the bench's own toolchainDir() call set. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env[TOOLCHAIN_DIR_ENV];
  return env;
}

async function toolchainWarm(binDir: string): Promise<number> {
  const script = path.join(REPO_DIR, "toolchain", "toolchain.sh");
  const runs: Timed<number | null>[] = [];
  for (let i = 0; i < TOOLCHAIN_RUNS; i++) runs.push(await timed(async () => (await runProcess("bash", [script], { env: userEnv() })).code));
  const walls = runs.map((r) => r.wall);
  console.log(
    `toolchain warm reuse (bash toolchain/toolchain.sh, ${TOOLCHAIN_RUNS} runs): median ${s(median(walls))} s wall, ${s(median(runs.map((r) => r.cpu)))} s CPU ` +
      `(${walls.map((w) => s(w)).join(", ")})${runs.some((r) => r.value !== 0) ? "  [a run failed]" : ""}`,
  );
  const root = toolchainCacheRoot();
  const go = goCaches();
  console.log(
    `toolchain disk: ${binDir.startsWith(root) ? `cache ${root} ${mb(diskBytes(root))} (this toolchain ${mb(diskBytes(binDir))})` : `pulumi from ${binDir} (no cache of the project's)`}; ` +
      `command provider .cache/provider ${mb(diskBytes(path.join(REPO_DIR, ".cache", "provider")))}` +
      (go ? `; Go's own caches (shared with any Go work): modules ${go.modcache} ${mb(diskBytes(go.modcache))}, build ${go.buildcache} ${mb(diskBytes(go.buildcache))}` : ""),
  );
  return median(walls);
}

/** Why the lab parts cannot run here, or null. */
function labSkipReason(): string | null {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "needs root (network namespaces)";
  if (spawnSync("bash", ["-c", "command -v bird"]).status !== 0) return "needs bird2 (apt-get install bird2)";
  return null;
}

/** The seed stack's config with this lab's name and capture folder, on the netns backend. */
function seedConfig(programDir: string, labName: string, captureDir: string): Record<string, unknown> {
  const project = (yaml.load(fs.readFileSync(path.join(programDir, "Pulumi.yaml"), "utf8")) as { name: string }).name;
  const file = path.join(programDir, `Pulumi.${SEED_STACK}.yaml`);
  const shipped = fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {}) : {};
  return { ...shipped, [`${project}:backend`]: "netns", [`${project}:labName`]: labName, [`${project}:capture`]: { dir: captureDir } };
}

/** Whatever of the lab is still on the host after its destroy: said, then removed by its own down.sh. */
async function forceAway(labName: string): Promise<void> {
  const left = labNamespaces(labName);
  if (left.length === 0) return;
  console.log(`    lab ${labName} left ${left.length} namespaces (${left.join(", ")}): removing them with down.sh`);
  const spec = buildLabSpec({ backend: "netns", labName }, { stack: SEED_STACK, cwd: REPO_DIR });
  await runScript(NETNS_SCRIPTS.down, new DirectLab(spec).topologyEnv).catch(() => undefined);
}

interface StackFigures {
  preview: EngineRun;
  up: EngineRun;
  again: EngineRun;
  previewSame: EngineRun;
  destroy: EngineRun;
}

async function stackRuns(binDir: string, tmp: string): Promise<StackFigures | null> {
  const tag = crypto.randomBytes(2).toString("hex");
  const labName = `eb-${tag}`;
  const stack = new PulumiStack({
    stack: `engine-bench-${tag}`,
    binDir,
    backendUrl: `file://${path.join(tmp, "state")}`,
    configFile: path.join(tmp, "Pulumi.engine-bench.yaml"),
  });
  fs.mkdirSync(path.join(tmp, "state"), { recursive: true });
  let created = false;
  try {
    const init = await stack.init(seedConfig(REPO_DIR, labName, path.join(tmp, "captures")));
    if (init.code !== 0) throw new Error(`pulumi stack select --create failed: ${init.stderr.slice(-2000)}`);
    console.log(`seed lab ${labName} on netns (Pulumi.${SEED_STACK}.yaml, stack ${stack.stack}, own state); load average ${loadAverage()}`);
    const preview = await engineRun("preview (create)", () => stack.preview(ENGINE_LOG));
    created = true;
    const up = await engineRun("up (create)", () => stack.up(ENGINE_LOG));
    if (up.code !== 0) throw new Error("the create up failed");
    const again = await engineRun("up (no change)", () => stack.up(ENGINE_LOG));
    const previewSame = await engineRun("preview (no change)", () => stack.preview(ENGINE_LOG));
    const destroy = await engineRun("destroy", () => stack.destroy(ENGINE_LOG));
    created = destroy.code !== 0;
    return { preview, up, again, previewSame, destroy };
  } catch (e) {
    console.log(`engine runs stopped: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  } finally {
    if (created) await stack.destroy();
    await stack.rm();
    stack.removeCliLogs();
    await forceAway(labName);
  }
}

interface LabCommandFigures {
  up: Timed<number | null>;
  destroy: Timed<number | null>;
}

/** A copy of this tree to run `npm run lab` in: node_modules linked, the rest copied (it is small). */
function copyTree(dest: string): void {
  const skip = new Set(["node_modules", ".git", "captures", "reports", "bin-js"]);
  fs.cpSync(REPO_DIR, dest, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(REPO_DIR, src);
      return rel === "" || !skip.has(rel.split(path.sep)[0]);
    },
  });
  fs.symlinkSync(path.join(REPO_DIR, "node_modules"), path.join(dest, "node_modules"));
}

async function labCommands(tmp: string): Promise<LabCommandFigures | null> {
  const tag = crypto.randomBytes(2).toString("hex");
  const labName = `eb-${tag}`;
  const copy = path.join(tmp, "tree");
  copyTree(copy);
  // The copy's Pulumi.ipip.yaml gets this lab's name and capture folder; the stack's state is the bench's own.
  const stackFile = path.join(copy, `Pulumi.${SEED_STACK}.yaml`);
  const doc = (fs.existsSync(stackFile) ? (yaml.load(fs.readFileSync(stackFile, "utf8")) as Record<string, unknown> | null) : null) ?? {};
  const project = (yaml.load(fs.readFileSync(path.join(copy, "Pulumi.yaml"), "utf8")) as { name: string }).name;
  const config = { ...((doc.config as Record<string, unknown> | undefined) ?? {}), [`${project}:labName`]: labName, [`${project}:capture`]: { dir: path.join(tmp, "lab-captures") } };
  fs.writeFileSync(stackFile, yaml.dump({ ...doc, config }));
  fs.mkdirSync(path.join(tmp, "lab-state"), { recursive: true });
  const env = userEnv({ PULUMI_BACKEND_URL: `file://${path.join(tmp, "lab-state")}` });
  const npm = (args: string[]): Promise<Timed<{ code: number | null; stdout: string; stderr: string }>> => timed(() => runProcess("npm", ["run", "--silent", "lab", "--", ...args], { cwd: copy, env }));
  let destroyed = false;
  try {
    const up = await npm(["up", SEED_STACK, "--netns"]);
    const destroy = await npm(["destroy", SEED_STACK]);
    destroyed = destroy.value.code === 0;
    for (const [what, r] of [[`up ${SEED_STACK} --netns`, up], [`destroy ${SEED_STACK}`, destroy]] as const) {
      console.log(`${`npm run lab -- ${what}`.padEnd(34)} ${s(r.wall)} s wall, ${s(r.cpu)} s CPU${r.value.code === 0 ? "" : `  [exit ${r.value.code}]`}`);
      if (r.value.code !== 0) console.log(`    ${(r.value.stderr.slice(-1500) || r.value.stdout.slice(-1500)).replace(/\n/g, "\n    ")}`);
    }
    return { up: { ...up, value: up.value.code }, destroy: { ...destroy, value: destroy.value.code } };
  } catch (e) {
    console.log(`npm run lab stopped: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  } finally {
    if (!destroyed) await runProcess("npm", ["run", "--silent", "lab", "--", "destroy", SEED_STACK], { cwd: copy, env }).catch(() => undefined);
    await forceAway(labName);
  }
}

function printRatios(st: StackFigures | null, lab: LabCommandFigures | null, warm: number): void {
  console.log("ratios and goal:");
  if (st) {
    const programRuns = st.up.timeline.passes.filter((p) => p.runStart !== undefined).length;
    const overhead = st.up.wall - st.up.commands;
    console.log(`  up (create): engine overhead / lab's Commands ${s(overhead / st.up.commands)}x; the program ran ${programRuns} times (preview pass + update pass)`);
    console.log(`  preview (create) / up (create) ${s(st.preview.wall / st.up.wall)}; up (no change) / up (create) ${s(st.again.wall / st.up.wall)}; preview (no change) / up (no change) ${s(st.previewSame.wall / st.again.wall)}`);
    console.log(`  destroy: overhead ${s(st.destroy.wall - st.destroy.commands)} s of ${s(st.destroy.wall)} s (${pct(st.destroy.wall - st.destroy.commands, st.destroy.wall)})`);
  }
  if (lab && st) {
    console.log(`  npm run lab -- up / pulumi up alone ${s(lab.up.wall / st.up.wall)} (toolchain.sh ${s(warm)} s, stack select, config set, stack output and verify around it)`);
  }
  if (lab) {
    const ok = lab.up.value === 0 && lab.up.wall < LAB_UP_GOAL_SEC;
    console.log(`  goal: warm npm run lab -- up ${SEED_STACK} --netns under ${LAB_UP_GOAL_SEC} s: ${ok ? "met" : "MISSED"} (${s(lab.up.wall)} s; load average ${loadAverage()})`);
  }
}

/** The default figures: toolchain reuse and disk, the stack's runs, the lab commands. */
export async function run(): Promise<void> {
  console.log(`load average ${loadAverage()} on ${os.cpus().length} CPUs (other work on the host lengthens wall times)`);
  const binDir = toolchainDir();
  const warm = await toolchainWarm(binDir);
  const why = labSkipReason();
  if (why !== null) {
    console.log(`engine runs on the seed lab skipped: ${why}`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "engine-bench-"));
  try {
    const st = await stackRuns(binDir, tmp);
    const lab = await labCommands(tmp);
    printRatios(st, lab, warm);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** A build of the toolchain from nothing: empty Go caches and toolchain cache, all in a temp folder. */
async function toolchainCold(): Promise<void> {
  if (spawnSync("bash", ["-c", "command -v go"]).status !== 0) {
    console.log("toolchain-cold needs Go: skipped");
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "toolchain-cold-"));
  const dirs = { toolchain: path.join(tmp, "toolchain"), modcache: path.join(tmp, "gomodcache"), buildcache: path.join(tmp, "gocache") };
  // No pulumi on PATH, or toolchain.sh would use it instead of building.
  const pathDirs = (process.env.PATH ?? "").split(path.delimiter).filter((d) => d !== "" && !fs.existsSync(path.join(d, "pulumi")));
  const env = userEnv({ PATH: pathDirs.join(path.delimiter), CALICO_IPIP_LAB_TOOLCHAIN_CACHE: dirs.toolchain, GOMODCACHE: dirs.modcache, GOCACHE: dirs.buildcache });
  console.log(`cold toolchain build in ${tmp} (empty GOMODCACHE, GOCACHE and toolchain cache); load average ${loadAverage()}; its progress follows`);
  try {
    const r = await timed(() => runProcess("bash", [path.join(REPO_DIR, "toolchain", "toolchain.sh")], { env, echo: true }));
    const bin = r.value.stdout.trim().split("\n").pop() ?? "";
    const version = r.value.code === 0 ? spawnSync(path.join(bin, "pulumi"), ["version"], { encoding: "utf8", env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" } }).stdout.trim() : "";
    console.log(
      `toolchain cold build: ${s(r.wall, 1)} s wall (${s(r.wall / 60, 1)} min), ${s(r.cpu, 1)} s CPU on ${os.cpus().length} CPUs${r.value.code === 0 ? `; pulumi ${version}` : `  [exit ${r.value.code}]`}`,
    );
    console.log(`  disk: toolchain ${mb(diskBytes(dirs.toolchain))}, Go modules ${mb(diskBytes(dirs.modcache))}, Go build cache ${mb(diskBytes(dirs.buildcache))}`);
  } finally {
    // The module cache is read-only by design: `go clean -modcache` removes it, chmod covers the rest.
    spawnSync("go", ["clean", "-modcache"], { env, stdio: "ignore" });
    spawnSync("chmod", ["-R", "u+w", tmp], { stdio: "ignore" });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Parts that run only when named: `npm run bench -- toolchain-cold`. */
export const optional: Record<string, () => Promise<void>> = { "toolchain-cold": toolchainCold };
