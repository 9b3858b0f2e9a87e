/**
 * Shared by the e2e suites: a lab under test driven through the real Pulumi CLI
 * (toolchain/stack.ts) — its own lab and stack name, its own temp folder holding the
 * state backend, the stack's config file and the captures, cleanup that survives
 * failures — and the checks of the stack outputs against the LabOutputs contract
 * (model/spec.ts) and the expected-encapsulation rule.
 *
 * The suites need root (network namespaces) and the netns backend; without them they are
 * skipped, saying why in the suite's title. The Pulumi toolchain (npm run toolchain) must
 * be there: $CALICO_IPIP_LAB_PULUMI_DIR or the per-user cache toolchain.sh fills.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { toolchainDir } from "../../toolchain";
import { CliResult, describeFailure, PulumiStack, StackOptions, Step } from "../../toolchain/stack";
import { Json, LabFootprint, labLeftovers, netnsStackConfig, REPO_DIR, segmentsOf } from "../../leftovers/e2eStack";
import { describeLeftovers, labNamespaceInodes, labNamespaces, removeLeftovers } from "../../leftovers/leftovers";
import { RUN_ROOT } from "../../components/netns/names";
import { expectedEncapsulation } from "../../model/expect";
import { CaptureResult, Encapsulation, LabOutputs, PoolModes } from "../../model/spec";

/** The program under test (override to try the suites on a copy of the tree). */
export const PROGRAM_DIR = process.env.E2E_PROGRAM_DIR ? path.resolve(process.env.E2E_PROGRAM_DIR) : REPO_DIR;

/** The Command resources' type token (@pulumi/command 1.2.1). */
export const COMMAND = "command:local:Command";

function skipReason(): string | null {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "needs root for network namespaces";
  if (!fs.existsSync(path.join(PROGRAM_DIR, "index.ts"))) return `no program at ${PROGRAM_DIR}/index.ts`;
  if (!fs.existsSync(path.join(PROGRAM_DIR, "components", "netns", "index.ts"))) return "the netns backend (components/netns) is not there yet";
  return null;
}

export const SKIP_REASON = skipReason();

/** `describe`, or `describe.skip` with the reason in its title when the e2e cannot run here. */
export function e2eSuite(name: string, body: () => void): void {
  if (SKIP_REASON === null) {
    describe(name, body);
  } else {
    // eslint-disable-next-line no-console
    console.warn(`e2e suite "${name}" skipped: ${SKIP_REASON}`);
    describe.skip(`${name} [skipped: ${SKIP_REASON}]`, body);
  }
}

/** A resource the stack's state holds (`pulumi stack export`). */
export interface StoredResource {
  name: string;
  type: string;
  urn: string;
}

interface ExportedState {
  deployment?: { resources?: { urn: string; type: string }[]; pending_operations?: unknown[] };
}

export interface UpOptions {
  /** Extra CLI arguments (`--expect-no-changes`). */
  args?: string[];
  /**
   * Let `pulumi up` preview first, as it does for users (it runs the program twice). By
   * default the suites pass `--skip-preview`: `pulumi preview` is proven on its own, and
   * each program run costs seconds of CPU on this 2-core machine.
   */
  withPreview?: boolean;
  /** Environment laid over this process's for this run only (a stand-in first on PATH). */
  env?: NodeJS.ProcessEnv;
  /** Aborting sends the CLI SIGINT. */
  signal?: AbortSignal;
}

/**
 * One lab under test: a shipped stack's config under a unique lab and stack name
 * (`e2e-<tag>-<random>`), a temp folder with the state backend (`file://<dir>/state`),
 * the stack's config file and the captures.
 */
export class TestLab {
  /** The lab's name, also the stack's. */
  readonly name: string;
  readonly stackName: string;
  readonly dir: string;
  readonly stateDir: string;
  readonly configFile: string;
  readonly captureDir: string;
  /** The lab's run folder (/run/calico-ipip-lab/<lab>). */
  readonly runDir: string;
  private extra: Record<string, unknown>;
  private readonly footprints: LabFootprint[] = [];
  private readonly pids: number[] = [];
  private cli: PulumiStack | null = null;
  private created = false;
  private removed = false;

  /**
   * `tag` (a few letters) goes into the name; `shipped` is the Pulumi.<shipped>.yaml whose
   * config the stack starts from; `extra` is laid over it (keys bare or namespaced).
   */
  constructor(
    tag: string,
    readonly shipped: string,
    extra: Record<string, unknown> = {},
  ) {
    // The random part is the name's last word: it also names the lab's bridges (br-<word><n>).
    this.name = `e2e-${tag}-${crypto.randomBytes(2).toString("hex")}${String(process.pid % 10)}`;
    this.stackName = this.name;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-run-"));
    this.stateDir = path.join(this.dir, "state");
    fs.mkdirSync(this.stateDir);
    this.configFile = path.join(this.dir, `Pulumi.${this.stackName}.yaml`);
    this.captureDir = path.join(this.dir, "captures");
    this.runDir = path.join(RUN_ROOT, this.name);
    this.extra = extra;
  }

  /** The stack config: the shipped stack's, this lab's name and capture folder, netns, then `extra`. */
  config(extra: Record<string, unknown> = this.extra): Record<string, Json> {
    return netnsStackConfig(this.shipped, { labName: this.name, capture: { dir: this.captureDir }, ...extra }, PROGRAM_DIR);
  }

  /** Rewrite the stack's config file with `extra` in place of the last overrides (a live config change). */
  configure(extra: Record<string, unknown>): void {
    this.extra = extra;
    this.stack().writeConfig(this.config());
  }

  private options(env?: NodeJS.ProcessEnv): StackOptions {
    return { stack: this.stackName, binDir: toolchainDir(), programDir: PROGRAM_DIR, backendUrl: `file://${this.stateDir}`, configFile: this.configFile, env, pids: this.pids };
  }

  private stack(): PulumiStack {
    this.cli ??= new PulumiStack(this.options());
    return this.cli;
  }

  /** The stack, created on first use (`pulumi stack select --create`) with its config written. */
  private async ready(env?: NodeJS.ProcessEnv): Promise<PulumiStack> {
    if (!this.created) {
      const r = await this.stack().init(this.config());
      if (r.code !== 0) throw new Error(`stack ${this.stackName} could not be created:\n${describeFailure(r)}`);
      this.created = true;
    }
    return env === undefined ? this.stack() : new PulumiStack(this.options(env));
  }

  /** `pulumi up`; the lab's namespaces are remembered for the leftover check. */
  async up(opts: UpOptions = {}): Promise<CliResult> {
    const s = await this.ready(opts.env);
    try {
      return await s.up([...(opts.withPreview === true ? [] : ["--skip-preview"]), ...(opts.args ?? [])], { signal: opts.signal });
    } finally {
      this.remember();
    }
  }

  /** `pulumi up`, which must succeed, then `pulumi stack output --json`. */
  async upOk(opts: UpOptions = {}): Promise<{ run: CliResult; outputs: LabOutputs }> {
    const run = await this.up(opts);
    expectOk(run, `up of ${this.stackName}`);
    return { run, outputs: await this.outputs() };
  }

  async preview(): Promise<CliResult> {
    return (await this.ready()).preview();
  }

  async destroy(): Promise<CliResult> {
    return (await this.ready()).destroy();
  }

  /** `pulumi stack rm` (the state must hold no resource). */
  async stackRm(): Promise<CliResult> {
    const r = await (await this.ready()).rm();
    if (r.code === 0) this.removed = true;
    return r;
  }

  /** `pulumi stack output --json`; throws when the stack has none. */
  async outputs(): Promise<LabOutputs> {
    const o = await (await this.ready()).outputs();
    if (o === null) throw new Error(`stack ${this.stackName} has no outputs`);
    this.footprints.push({ labName: this.name, netnsInodes: [], segments: segmentsOf(o) });
    return o as unknown as LabOutputs;
  }

  /** The resources of the stack's state (`pulumi stack export`). */
  async stored(): Promise<StoredResource[]> {
    const r = await (await this.ready()).run(["stack", "export"]);
    expectOk(r, `stack export of ${this.stackName}`);
    const state = JSON.parse(r.stdout) as ExportedState;
    expect(state.deployment?.pending_operations ?? []).toEqual([]);
    return (state.deployment?.resources ?? []).map((x) => ({ name: x.urn.split("::").pop() ?? x.urn, type: x.type, urn: x.urn }));
  }

  /** The Command names in the stored state. */
  async storedCommands(): Promise<string[]> {
    return (await this.stored()).filter((r) => r.type === COMMAND).map((r) => r.name);
  }

  /** `npm run verify -- --outputs FILE` on these outputs (the CLI compiled once, see verifyCli). */
  verify(outputs: LabOutputs): { code: number | null; stdout: string; stderr: string } {
    const file = path.join(this.dir, "outputs.json");
    fs.writeFileSync(file, JSON.stringify(outputs));
    const r = spawnSync(process.execPath, [verifyCli(), "--outputs", file], { cwd: PROGRAM_DIR, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Remember the lab's namespaces as they are now (they must all be gone after destroy). */
  remember(): void {
    this.footprints.push({ labName: this.name, netnsInodes: labNamespaceInodes(this.name), segments: [] });
  }

  /** Namespaces of this lab on the host now. */
  namespaces(): string[] {
    return labNamespaces(this.name);
  }

  private merged(): LabFootprint {
    return {
      labName: this.name,
      netnsInodes: [...new Set(this.footprints.flatMap((f) => f.netnsInodes))],
      segments: [...new Set(this.footprints.flatMap((f) => f.segments))],
    };
  }

  /** What the lab left on the host (every namespace and segment it ever had), and a stray stack file. */
  leftovers(): string[] {
    const left = describeLeftovers(labLeftovers(this.merged(), [this.dir]));
    const stray = strayStackFile(this.stackName);
    return stray === null ? left : [...left, `stack file ${stray} beside the program`];
  }

  /**
   * afterAll: destroy and `stack rm` whatever is left, force away what destroy did not
   * remove, remove the CLI's log files of this lab's runs and the temp folder; fails when
   * a Pulumi.<stack>.yaml was left beside the program.
   */
  async cleanup(): Promise<void> {
    const problems: string[] = [];
    if (this.created && !this.removed) {
      const d = await this.destroy();
      if (d.code !== 0) problems.push(`destroy in cleanup failed:\n${describeFailure(d)}`);
      const rm = await this.stackRm();
      if (rm.code !== 0) problems.push(`stack rm in cleanup failed:\n${describeFailure(rm)}`);
    }
    const left = labLeftovers(this.merged(), [this.dir]);
    if (describeLeftovers(left).length > 0) {
      // eslint-disable-next-line no-console
      console.warn(`cleanup of ${this.name}: ${removeLeftovers(left).join("; ")}`);
    }
    const stray = strayStackFile(this.stackName);
    if (stray !== null) {
      fs.rmSync(stray, { force: true });
      problems.push(`${stray} was left beside the program`);
    }
    this.stack().removeCliLogs();
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (problems.length > 0) throw new Error(`cleanup of ${this.name}:\n${problems.join("\n")}`);
  }
}

/** Pulumi.<stack>.yaml beside the program, if a run left one there. */
function strayStackFile(stack: string): string | null {
  const f = path.join(PROGRAM_DIR, `Pulumi.${stack}.yaml`);
  return fs.existsSync(f) ? f : null;
}

let verifyJs: string | null = null;

/**
 * The compiled verify CLI (`npx tsc -p tsconfig.cli.json`, as `npm run verify` does), built
 * once per test file.
 */
export function verifyCli(): string {
  if (verifyJs !== null) return verifyJs;
  const tsc = require.resolve("typescript/bin/tsc", { paths: [PROGRAM_DIR] });
  const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.cli.json"], { cwd: PROGRAM_DIR, encoding: "utf8" });
  const js = path.join(PROGRAM_DIR, ".cache", "cli", "bin", "verify.js");
  if (!fs.existsSync(js)) throw new Error(`tsc -p tsconfig.cli.json exited ${r.status ?? r.signal} without ${js}:\n${r.stdout}${r.stderr}`);
  if (r.status !== 0) {
    // eslint-disable-next-line no-console
    console.warn(`tsc -p tsconfig.cli.json exited ${r.status ?? r.signal} (it still emitted verify.js):\n${r.stdout}${r.stderr}`);
  }
  verifyJs = js;
  return js;
}

/** Fail with the CLI's errors and output when a run did not succeed. */
export function expectOk(r: CliResult, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed:\n${describeFailure(r)}`);
}

/** The steps of a run on Command resources. */
export function commandSteps(r: CliResult): Step[] {
  return r.steps.filter((s) => s.type === COMMAND);
}

/** Names of the Commands a run ran a script of (created, updated, replaced or deleted). */
export function commandsThatRan(r: CliResult): string[] {
  return [...new Set(commandSteps(r).filter((s) => !["same", "read", "refresh"].includes(s.op)).map((s) => s.name))].sort();
}

/** The steps that changed something, as `name op`, for messages. */
export function changes(r: CliResult): string[] {
  return r.steps.filter((s) => s.op !== "same").map((s) => `${s.name} ${s.op}${s.failed ? " (failed)" : ""}`);
}

/** The lines a run printed that say Error, whatever the case. */
export function errorLines(r: CliResult): string[] {
  return `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => /error/i.test(l));
}

export const ALWAYS: PoolModes = { ipipMode: "Always", vxlanMode: "Never" };
export const CROSS: PoolModes = { ipipMode: "CrossSubnet", vxlanMode: "Never" };
export const NEVER: PoolModes = { ipipMode: "Never", vxlanMode: "Never" };
export const VXLAN: PoolModes = { ipipMode: "Never", vxlanMode: "Always" };
export const VXLAN_CROSS: PoolModes = { ipipMode: "Never", vxlanMode: "CrossSubnet" };

export const SEED_ALWAYS: Record<string, Encapsulation> = { "same-subnet": "ipip", "cross-subnet": "ipip" };
export const SEED_CROSS: Record<string, Encapsulation> = { "same-subnet": "none", "cross-subnet": "ipip" };

export interface LabExpectation {
  labName: string;
  modes: PoolModes;
  nodeCount: number;
  captureDir: string;
  /** Scenario name → encapsulation the packets must show (checked besides the general rule). */
  scenarios: Record<string, Encapsulation>;
  /** The route reflectors' node numbers (from 1); absent: the full mesh. */
  reflectors?: number[];
}

/** Check the stack outputs against the contract, the mode's rule and the explicit expectations. */
export function checkLab(outputs: LabOutputs, e: LabExpectation): void {
  expect(outputs.lab).toMatchObject({ name: e.labName, backend: "netns", ...e.modes, controlPlane: "bird" });
  expect(["kernel-ipip", "userspace-ipip"]).toContain(outputs.lab.dataplane);
  expect(outputs.nodes).toHaveLength(e.nodeCount);
  // BIRD's full mesh, or with reflectors each client peering with exactly the reflectors
  // and each reflector with every other node (and the gateway in mode Never): every
  // session Established; the pool routes read back from each node, its blackhole among them.
  const viaGateway = e.modes.ipipMode === "Never" && e.modes.vxlanMode === "Never";
  const reflectors = (e.reflectors ?? []).map((k) => outputs.nodes[k - 1].ip);
  for (const n of outputs.nodes) {
    const nodes = reflectors.length === 0 || reflectors.includes(n.ip) ? outputs.nodes.filter((o) => o !== n).map((o) => o.ip) : reflectors;
    const router = viaGateway ? [outputs.router.interfaces.find((f) => f.subnet === n.subnet)?.ip ?? `no router interface on ${n.subnet}`] : [];
    expect({ node: n.name, peers: n.bgpPeers.map((p) => p.peer).sort(), established: n.bgpPeers.every((p) => p.state === "Established") }).toEqual({
      node: n.name,
      peers: [...nodes, ...router].sort(),
      established: true,
    });
    expect(n.routes.some((r) => r.startsWith("blackhole ") && r.endsWith(" proto bird"))).toBe(true);
  }
  expect(outputs.pods).toHaveLength(e.nodeCount);
  const byName = new Map(outputs.nodes.map((n) => [n.name, n]));
  for (const p of outputs.pods) expect(byName.has(p.node)).toBe(true);

  expect(outputs.captures.map((c) => c.scenario).sort()).toEqual(Object.keys(e.scenarios).sort());
  for (const c of outputs.captures) checkCapture(c, e, byName);
  expect(outputs.verdict).toBe("pass");
}

function checkCapture(c: CaptureResult, e: LabExpectation, nodes: Map<string, LabOutputs["nodes"][number]>): void {
  const client = nodes.get(c.client.node);
  const server = nodes.get(c.server.node);
  if (!client || !server) throw new Error(`${c.scenario}: client ${c.client.node} or server ${c.server.node} is not among the nodes`);
  const ruled = expectedEncapsulation(e.modes, client, server);
  const wanted = e.scenarios[c.scenario];
  const where = `${c.scenario} (${c.client.node} → ${c.server.node})`;
  expect({ where, expected: c.expected }).toEqual({ where, expected: ruled });
  expect({ where, observed: c.observed, pass: c.pass, reason: c.reason }).toEqual({ where, observed: wanted, pass: true, reason: "" });
  expect(c.client.nodeIp).toBe(client.ip);
  expect(c.server.nodeIp).toBe(server.ip);
  if (wanted === "ipip") {
    expect({ where, outer: c.outer }).toEqual({ where, outer: { src: client.ip, dst: server.ip, protocol: 4 } });
  } else if (wanted === "vxlan") {
    expect({ where, outer: c.outer }).toMatchObject({ where, outer: { src: client.ip, dst: server.ip, protocol: 17 } });
  } else {
    expect({ where, outer: c.outer }).toEqual({ where, outer: null });
  }
  expect(path.isAbsolute(c.pcap)).toBe(true);
  expect(c.pcap.startsWith(e.captureDir + path.sep)).toBe(true);
  expect(fs.existsSync(c.pcap)).toBe(true);
  expect(c.packets).toBeGreaterThan(0);
}

/** Nothing of a lab that never ran: no namespace, no run folder, no capture folder, an empty state. */
export async function expectNothingBuilt(lab: TestLab): Promise<void> {
  expect(lab.namespaces()).toEqual([]);
  expect(fs.existsSync(lab.runDir)).toBe(false);
  expect(fs.existsSync(lab.captureDir)).toBe(false);
  expect(await lab.stored()).toEqual([]);
  expect(lab.leftovers()).toEqual([]);
}

/** Run `f` for every item at once; once all have ended, fail with the first failure. */
export async function together<T>(items: T[], f: (item: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map(f));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Run one step of a story (a concurrent test of several steps); a failure says which step. */
export async function step<T>(name: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof Error) e.message = `${name}: ${e.message}`;
    throw e;
  }
}

/** destroy: nothing left; `pulumi stack rm`; no stack file beside the program. Returns the destroy's run. */
export async function destroyAndRemove(lab: TestLab): Promise<CliResult> {
  const r = await lab.destroy();
  expectOk(r, `destroy of ${lab.stackName}`);
  expect(r.steps.filter((s) => s.op !== "delete" || s.failed)).toEqual([]);
  expect(await lab.stored()).toEqual([]);
  expect(lab.leftovers()).toEqual([]);
  expectOk(await lab.stackRm(), `stack rm of ${lab.stackName}`);
  expect(lab.leftovers()).toEqual([]);
  return r;
}
