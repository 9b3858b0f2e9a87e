/**
 * Shared by the e2e suites: a lab under test (unique name, its own temp folder, state file
 * and capture folder, cleanup that survives failures) and the checks of the stack outputs
 * against the LabOutputs contract (lab/spec.ts) and the expected-encapsulation rule.
 *
 * The suites need root (network namespaces) and the netns backend; without them they are
 * skipped, saying why in the suite's title.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readState, runDestroy, runPreview, runUp } from "../../harness";
import { RunResult } from "../../harness/types";
import { LabFootprint, labFootprint, labLeftovers, netnsStackConfig, REPO_DIR } from "../../leftovers/lab";
import { describeLeftovers, removeLeftovers } from "../../leftovers/leftovers";
import { expectedEncapsulation } from "../../lab/expect";
import { CaptureResult, Encapsulation, LabOutputs, PoolModes } from "../../lab/spec";

/** The program under test (override to try the suites on a copy of the tree). */
export const PROGRAM_DIR = process.env.E2E_PROGRAM_DIR ? path.resolve(process.env.E2E_PROGRAM_DIR) : REPO_DIR;

/** Seconds a single command may take before the harness reports it hung. */
export const COMMAND_TIMEOUT_SEC = 120;
/** Seconds a whole harness run may take. */
export const RUN_TIMEOUT_SEC = 300;

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

/** One lab under test: unique name, own temp folder, state file and capture folder. */
export class TestLab {
  readonly name: string;
  readonly dir: string;
  readonly stateFile: string;
  readonly captureDir: string;
  private readonly footprints: LabFootprint[] = [];

  /** `tag` (a few letters) goes into the lab name: `e2e-<tag>-<random>`. */
  constructor(tag: string) {
    // The random part is the name's last word: it also names the lab's bridges (br-<word><n>).
    this.name = `e2e-${tag}-${crypto.randomBytes(2).toString("hex")}${String(process.pid % 10)}`;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-run-"));
    this.stateFile = path.join(this.dir, "state.json");
    this.captureDir = path.join(this.dir, "captures");
  }

  /** A shipped stack's config with this lab's name and capture folder, on the netns backend. */
  config(stack: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return netnsStackConfig(stack, { labName: this.name, capture: { dir: this.captureDir }, ...extra }, PROGRAM_DIR);
  }

  async up(stack: string, extra: Record<string, unknown> = {}, failAt?: string): Promise<RunResult> {
    const r = await runUp({
      programDir: PROGRAM_DIR,
      stack,
      config: this.config(stack, extra),
      stateFile: this.stateFile,
      failAt,
      commandTimeoutSec: COMMAND_TIMEOUT_SEC,
      runTimeoutSec: RUN_TIMEOUT_SEC,
    });
    this.footprints.push(labFootprint(this.name, r.outputs));
    return r;
  }

  preview(stack: string, extra: Record<string, unknown> = {}): Promise<RunResult> {
    return runPreview({
      programDir: PROGRAM_DIR,
      stack,
      config: this.config(stack, extra),
      stateFile: this.stateFile,
      runTimeoutSec: RUN_TIMEOUT_SEC,
    });
  }

  destroy(): Promise<RunResult> {
    return runDestroy({ stateFile: this.stateFile, commandTimeoutSec: COMMAND_TIMEOUT_SEC, runTimeoutSec: RUN_TIMEOUT_SEC });
  }

  /** What the lab left on the host (every namespace and segment it ever had). */
  leftovers(): string[] {
    const merged: LabFootprint = {
      labName: this.name,
      netnsInodes: [...new Set(this.footprints.flatMap((f) => f.netnsInodes))],
      segments: [...new Set(this.footprints.flatMap((f) => f.segments))],
    };
    return describeLeftovers(labLeftovers(merged, [this.dir]));
  }

  /** The Command names in the stored state. */
  storedCommands(): string[] {
    return (readState(this.stateFile)?.resources ?? []).filter((r) => r.type === "command:local:Command").map((r) => r.name);
  }

  /** afterAll: destroy whatever is left, then force away what destroy did not remove. */
  async cleanup(): Promise<void> {
    try {
      await this.destroy();
    } catch {
      // fall through to the forced cleanup
    }
    const merged: LabFootprint = {
      labName: this.name,
      netnsInodes: [...new Set(this.footprints.flatMap((f) => f.netnsInodes))],
      segments: [...new Set(this.footprints.flatMap((f) => f.segments))],
    };
    const left = labLeftovers(merged, [this.dir]);
    if (describeLeftovers(left).length > 0) {
      // eslint-disable-next-line no-console
      console.warn(`cleanup of ${this.name}: ${removeLeftovers(left).join("; ")}`);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Fail with the run's error and the program's stderr, so a failing e2e says why. */
export function expectUp(r: RunResult): LabOutputs {
  if (!r.ok || r.outputs === null) {
    const failed = r.operations.filter((o) => !o.ok).map((o) => `${o.name} ${o.op}: ${o.error}`);
    throw new Error(`up failed: ${r.error}\n${failed.join("\n")}\n${r.programStderr.slice(-3000)}`);
  }
  return r.outputs as unknown as LabOutputs;
}

export function expectOk(r: RunResult, what: string): void {
  if (!r.ok) throw new Error(`${what} failed: ${r.error}\n${r.programStderr.slice(-3000)}`);
}

/** Names of the Commands that ran a script in a run. */
export function commandsThatRan(r: RunResult): string[] {
  return [...new Set(r.operations.filter((o) => o.script !== null && !o.planned).map((o) => o.name))].sort();
}

export const ALWAYS: PoolModes = { ipipMode: "Always", vxlanMode: "Never" };
export const CROSS: PoolModes = { ipipMode: "CrossSubnet", vxlanMode: "Never" };
export const NEVER: PoolModes = { ipipMode: "Never", vxlanMode: "Never" };
export const VXLAN: PoolModes = { ipipMode: "Never", vxlanMode: "Always" };
export const VXLAN_CROSS: PoolModes = { ipipMode: "Never", vxlanMode: "CrossSubnet" };

export interface LabExpectation {
  labName: string;
  modes: PoolModes;
  nodeCount: number;
  captureDir: string;
  /** Scenario name → encapsulation the packets must show (checked besides the general rule). */
  scenarios: Record<string, Encapsulation>;
}

/** Check the stack outputs against the contract, the mode's rule and the explicit expectations. */
export function checkLab(outputs: LabOutputs, e: LabExpectation): void {
  expect(outputs.lab).toMatchObject({ name: e.labName, backend: "netns", ...e.modes, controlPlane: "bird" });
  expect(["kernel-ipip", "userspace-ipip"]).toContain(outputs.lab.dataplane);
  expect(outputs.nodes).toHaveLength(e.nodeCount);
  // BIRD's full mesh (and the gateway in mode Never): every session Established; the pool
  // routes read back from each node, its blackhole among them.
  const gateway = e.modes.ipipMode === "Never" && e.modes.vxlanMode === "Never" ? 1 : 0;
  for (const n of outputs.nodes) {
    expect({ node: n.name, sessions: n.bgpPeers.length, established: n.bgpPeers.every((p) => p.state === "Established") }).toEqual({
      node: n.name,
      sessions: e.nodeCount - 1 + gateway,
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
