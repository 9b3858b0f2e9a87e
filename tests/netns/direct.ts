/**
 * Runs the netns backend's scripts directly, without Pulumi: what the tests and the bench
 * use, and a way to poke at a lab by hand. Each run waits for the script's output pipes
 * to close, as the Command provider does, so a helper that kept them open would show up
 * here as a timeout (pulumi-command issue #201).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { CaptureScriptResult } from "../../components/backend";
import { LabSpec, NodeSpec, PoolModes } from "../../model/spec";
import { allNamespaces, NETNS_SCRIPTS, netnsNames, runDir } from "../../components/netns/names";
import { parseUpOutput, TopologyInvocation, topologyInvocation, TopologyOptions, UpResult } from "../../components/netns/topology";
import { controlPlaneInvocation, controlPlanePlan, ControlPlanePlan, ControlPlaneResult, gatewayPlan, parseControlPlaneOutput } from "../../components/netns/controlPlane";
import { netnsCaptureTargets } from "../../components/netns/capture";
import { captureEnvironment } from "../../components/capture/result";
import { withModes } from "../../model/config";
import { expectedEncapsulation } from "../../model/expect";
import { lastJsonLine } from "../../components/scriptOutput";

export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run `bash <script>` with `env` added to this process's environment. */
export function runScript(script: string, env: Record<string, string>, options: { stdin?: string; timeoutMs?: number } = {}): Promise<ScriptRun> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [script], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${path.basename(script)} did not finish (or left its output pipes open) within ${options.timeoutMs ?? 120000} ms; stderr: ${stderr.slice(-2000)}`));
    }, options.timeoutMs ?? 120000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // "close" (not "exit"): fires only once every holder of the pipes has let go.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    });
    child.stdin.end(options.stdin ?? "");
  });
}

function lastJson<T>(run: ScriptRun, script: string): T {
  if (run.code !== 0) throw new Error(`${path.basename(script)} exited ${run.code ?? run.signal}: ${run.stderr.trim().slice(-3000)}`);
  return lastJsonLine(run.stdout, path.basename(script)).value as T;
}

export interface CaptureRunResult extends CaptureScriptResult {
  packets: number;
  ping: string;
  http: number;
}

/** A lab driven through its scripts: up, routes, capture, down. */
export class DirectLab {
  /** up.sh's environment and stdin; down.sh needs only the environment (`topologyEnv`). */
  readonly topology: TopologyInvocation;
  readonly topologyEnv: Record<string, string>;
  readonly runDir: string;

  constructor(
    readonly spec: LabSpec,
    options: TopologyOptions = {},
  ) {
    this.runDir = options.runDir ?? runDir(spec);
    this.topology = topologyInvocation(spec, { ...options, runDir: this.runDir });
    this.topologyEnv = this.topology.environment;
  }

  /** Every namespace of the lab. */
  namespaces(): string[] {
    return allNamespaces(netnsNames(this.spec));
  }

  async up(): Promise<UpResult & { wall: number }> {
    const run = await runScript(NETNS_SCRIPTS.up, this.topologyEnv, { stdin: this.topology.stdin });
    if (run.code !== 0) throw new Error(`up.sh exited ${run.code ?? run.signal}: ${run.stderr.trim().slice(-3000)}`);
    return { ...parseUpOutput(run.stdout), wall: run.seconds };
  }

  /** controlplane.sh for the nodes in `modes` (or for a given plan, e.g. a deliberately wrong one). */
  async controlPlane(modes: PoolModes, plan: ControlPlanePlan = controlPlanePlan(this.spec, modes)): Promise<ControlPlaneResult & { wall: number }> {
    return this.runControlPlane(plan);
  }

  /** controlplane.sh for the gateway in `modes`. */
  async gateway(modes: PoolModes): Promise<ControlPlaneResult & { wall: number }> {
    return this.runControlPlane(gatewayPlan(this.spec, modes));
  }

  /** The gateway, then the nodes (which wait for both), as the component orders them. */
  async converge(modes: PoolModes): Promise<ControlPlaneResult & { wall: number }> {
    const gateway = await this.gateway(modes);
    const nodes = await this.controlPlane(modes);
    return { ...nodes, wall: nodes.wall + gateway.wall };
  }

  private async runControlPlane(plan: ControlPlanePlan): Promise<ControlPlaneResult & { wall: number }> {
    const inv = controlPlaneInvocation(this.spec, plan, { runDir: this.runDir });
    // The script's own bounded wait decides; this timeout only catches a script that hangs past it.
    const run = await runScript(NETNS_SCRIPTS.controlPlane, inv.environment, { stdin: inv.stdin, timeoutMs: Math.max(120, plan.timeoutSeconds + 60) * 1000 });
    if (run.code !== 0) throw new Error(`controlplane.sh exited ${run.code ?? run.signal}: ${run.stderr.trim().slice(-4000)}`);
    return { ...parseControlPlaneOutput(run.stdout), wall: run.seconds };
  }

  /**
   * One capture between two nodes' pods into `pcap` (in a folder that exists), with the
   * environment the capture component gives it in `modes`.
   */
  async capture(client: NodeSpec, server: NodeSpec, pcap: string, modes: PoolModes): Promise<CaptureRunResult> {
    const lab = withModes({ ...this.spec, capture: { ...this.spec.capture, dir: path.dirname(pcap), made: [] } }, modes);
    const scenario = { name: path.basename(pcap, ".pcap"), client: client.index, server: server.index, expected: expectedEncapsulation(modes, client, server) };
    const env = captureEnvironment(lab, scenario, client, server, netnsCaptureTargets(lab, client, server, { runDir: this.runDir }));
    return lastJson<CaptureRunResult>(await runScript(NETNS_SCRIPTS.capture, env), NETNS_SCRIPTS.capture);
  }

  async down(): Promise<{ lab: string; removedNamespaces: number; seconds: number; wall: number }> {
    const run = await runScript(NETNS_SCRIPTS.down, this.topologyEnv);
    return { ...lastJson<{ lab: string; removedNamespaces: number; seconds: number }>(run, NETNS_SCRIPTS.down), wall: run.seconds };
  }

  /** What of the lab exists: its namespaces, its run dir, processes whose command line names the run dir. */
  leftovers(): { namespaces: string[]; runDir: boolean; processes: number[] } {
    const namespaces = this.namespaces().filter((n) => fs.existsSync(path.join("/var/run/netns", n)));
    return { namespaces, runDir: fs.existsSync(this.runDir), processes: processesMentioning(this.runDir + "/") };
  }
}

/** PIDs whose command line contains `text` (inspection only: nothing is signalled). */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "latin1").includes(text)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}
