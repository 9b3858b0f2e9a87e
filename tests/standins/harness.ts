/**
 * Runs the kind backend's scripts for real, with bash, against the stand-in tools of this
 * folder. A StandinHost is a scratch folder holding:
 *   bin/      the PATH the scripts get: the stand-ins plus the few host utilities the
 *             scripts use (bash, cat, mktemp, ...) — never the host's docker, kind,
 *             containerlab, kubectl or ip, whether or not they are installed
 *   calls.log what the stand-ins were asked, one JSON line per call
 *   world.json the modelled host (lib/standin.js)
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LabSpec, PoolModes } from "../../model/spec";
import { K8sObject } from "../../components/kind/calicoManifest";

export const STANDINS_DIR = __dirname;
export const STANDIN_TOOLS = ["docker", "kind", "containerlab", "kubectl", "ip", "curl"] as const;
export type StandinTool = (typeof STANDIN_TOOLS)[number];

/** Host utilities the scripts (and the stand-ins' `#!/usr/bin/env node`) need. */
const HOST_UTILITIES = ["bash", "sh", "env", "cat", "mkdir", "mktemp", "rm", "basename", "dirname", "sleep", "grep", "head", "tail", "sort", "mv", "rmdir", "find", "flock", "jq"];

export interface Call {
  cmd: string;
  argv: string[];
  stdin?: string;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** The part of lib/standin.js's model the tests read and seed. */
export interface World {
  bridges: Record<string, { up: boolean }>;
  clusters: Record<
    string,
    {
      nodes: string[];
      config: string;
      taints: Record<string, string[]>;
      calico: boolean;
      /** calico_backend as applied: `bird`, or `vxlan` (no BIRD). */
      backend: string;
      ippool: PoolModes | null;
      /** The pool before the last patch: its routes are what stale reads show. */
      previousPool: PoolModes | null;
      ippoolAfterGets: number;
      ippoolInitialModes: PoolModes;
      /** The Calico BGPPeers applied (node and peer address). */
      bgpPeers: { node: string; peerIP: string }[];
      /** Off once a BGPConfiguration says nodeToNodeMeshEnabled: false. */
      meshEnabled: boolean;
      /** The BGPPeers that pick nodes by selectors (route reflectors). */
      selectorPeers: { nodeSelector: string; peerSelector: string }[];
      /** Each Kubernetes Node's labels and annotations. */
      nodeMeta: Record<string, { labels: Record<string, string>; annotations: Record<string, string> }>;
      workload: boolean;
      pods: { name: string; ip: string; node: string; phase: string; labels: Record<string, string> }[];
      blocks: Record<string, string>;
      staleRouteReads: number;
      port: number;
    }
  >;
  containers: Record<
    string,
    {
      labels: Record<string, string>;
      netnsOf?: string;
      net?: { links: Record<string, { addrs: string[] }>; defaultRoute: string };
      files: Record<string, string>;
      procs: Record<string, { pid: number; running: boolean; pcap: string }>;
      /** docker's id of the container. */
      id?: string;
      /** A VyOS gateway's config, as `set` commands. */
      vyos?: string[];
    }
  >;
  labs: Record<string, { topology: string; containers: string[] }>;
  urls: Record<string, string>;
  clabVersion: string;
  tcpdumpFails: boolean;
  nextPid: number;
  nextPort: number;
  nextContainer: number;
}

/** A step as the tests run it: components/kind/steps.ts's ScriptStep with plain-text values. */
export interface RunnableStep {
  create: readonly string[];
  delete?: readonly string[];
  environment: Record<string, string>;
  stdin?: string;
}

function which(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const p = path.join(dir, tool);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export class StandinHost {
  readonly bin: string;
  readonly logFile: string;
  readonly stateFile: string;
  readonly tmp: string;

  private constructor(readonly root: string) {
    this.bin = path.join(root, "bin");
    this.logFile = path.join(root, "calls.log");
    this.stateFile = path.join(root, "world.json");
    this.tmp = path.join(root, "tmp");
  }

  /** A fresh host; `hide` leaves stand-ins off PATH (as if not installed). */
  static create(opts: { hide?: StandinTool[] } = {}): StandinHost {
    const host = new StandinHost(fs.mkdtempSync(path.join(os.tmpdir(), "kind-standins-")));
    fs.mkdirSync(host.bin);
    fs.mkdirSync(host.tmp);
    for (const tool of STANDIN_TOOLS) {
      if (!opts.hide?.includes(tool)) fs.symlinkSync(path.join(STANDINS_DIR, tool), path.join(host.bin, tool));
    }
    fs.symlinkSync(process.execPath, path.join(host.bin, "node"));
    for (const util of HOST_UTILITIES) {
      const found = which(util);
      if (found === undefined) throw new Error(`the stand-in tests need ${util} on PATH`);
      fs.symlinkSync(found, path.join(host.bin, util));
    }
    fs.writeFileSync(host.logFile, "");
    // An empty host, from the stand-ins' own model.
    const empty = spawnSync(process.execPath, ["-e", `process.stdout.write(JSON.stringify(require(${JSON.stringify(path.join(STANDINS_DIR, "lib", "standin.js"))}).emptyWorld()))`], { encoding: "utf8" });
    if (empty.status !== 0) throw new Error(`cannot load the stand-ins' model: ${empty.stderr}`);
    fs.writeFileSync(host.stateFile, empty.stdout);
    return host;
  }

  /**
   * A new host in the state this one is in (its model and its files, e.g. a deployed lab's
   * work folder), with an empty call log: one lab brought up once serves many tests.
   */
  clone(): StandinHost {
    const copy = StandinHost.create();
    for (const entry of fs.readdirSync(this.root)) {
      if (["bin", "tmp", "calls.log", "world.json"].includes(entry)) continue;
      fs.cpSync(path.join(this.root, entry), path.join(copy.root, entry), { recursive: true });
    }
    fs.copyFileSync(this.stateFile, copy.stateFile);
    return copy;
  }

  /** The environment a script runs with: only bin/ on PATH, the stand-ins' files, `extra`. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: this.bin, HOME: this.root, TMPDIR: this.tmp, LANG: "C", STANDIN_LOG: this.logFile, STANDIN_STATE: this.stateFile, ...extra };
  }

  /** Runs `bash script args...` with `env` (plus the host's), optionally failing calls matching `fail`. */
  run(script: string, env: Record<string, string>, opts: { stdin?: string; fail?: string; args?: readonly string[] } = {}): RunResult {
    const r = spawnSync(path.join(this.bin, "bash"), [script, ...(opts.args ?? [])], {
      env: this.env({ ...env, ...(opts.fail === undefined ? {} : { STANDIN_FAIL: opts.fail }) }),
      input: opts.stdin ?? "",
      encoding: "utf8",
      cwd: this.root,
      timeout: 60000,
    });
    if (r.error) throw r.error;
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  create(step: RunnableStep, opts: { fail?: string } = {}): RunResult {
    const [script, ...args] = step.create;
    return this.run(script, step.environment, { stdin: step.stdin, fail: opts.fail, args });
  }

  /** A step's delete runs with the create's environment (as @pulumi/command runs it) and no stdin. */
  destroy(step: RunnableStep, opts: { fail?: string } = {}): RunResult {
    if (step.delete === undefined) throw new Error(`${step.create.join(" ")} has no delete script`);
    const [script, ...args] = step.delete;
    return this.run(script, step.environment, { fail: opts.fail, args });
  }

  calls(): Call[] {
    return fs
      .readFileSync(this.logFile, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Call);
  }

  /** The calls as command lines (`kind get clusters`), for exact sequence checks. */
  lines(): string[] {
    return this.calls().map((c) => [c.cmd, ...c.argv].join(" "));
  }

  clearLog(): void {
    fs.writeFileSync(this.logFile, "");
  }

  world(): World {
    return JSON.parse(fs.readFileSync(this.stateFile, "utf8")) as World;
  }

  update(change: (w: World) => void): void {
    const w = this.world();
    change(w);
    fs.writeFileSync(this.stateFile, JSON.stringify(w, null, 1));
  }

  /**
   * What Pulumi's Kubernetes resources do between the scripts (the stand-ins do not apply
   * manifests): the Calico objects exist, calico_backend as the patched manifest sets it
   * (vxlan when VXLAN is on); calico-node creates the default pool with the modes of its
   * CALICO_IPV4POOL_IPIP / _VXLAN after `poolAfterGets` lookups; the BGPPeers exist.
   */
  applyCalico(cluster: string, initial: PoolModes, poolAfterGets = 0, bgpPeers: { node: string; peerIP: string }[] = []): void {
    this.update((w) => {
      const c = w.clusters[cluster];
      c.calico = true;
      const modes = { ipipMode: initial.ipipMode, vxlanMode: initial.vxlanMode };
      c.backend = modes.vxlanMode === "Never" ? "bird" : "vxlan";
      c.ippool = poolAfterGets === 0 ? modes : null;
      c.ippoolAfterGets = poolAfterGets;
      c.ippoolInitialModes = { ...modes };
      c.bgpPeers = bgpPeers;
    });
  }

  /**
   * What Pulumi's CustomResources for Calico's BGP objects do (calicoBgpObjects): the mesh
   * as BGPConfiguration default says, the BGPPeers by node or by selector. An object the
   * model does not know fails the test.
   */
  applyBgp(cluster: string, objects: K8sObject[]): void {
    this.update((w) => {
      const c = w.clusters[cluster];
      c.meshEnabled = true;
      c.bgpPeers = [];
      c.selectorPeers = [];
      for (const o of objects) {
        const spec = o.spec as Record<string, unknown>;
        if (o.kind === "BGPConfiguration" && o.metadata?.name === "default") c.meshEnabled = spec.nodeToNodeMeshEnabled !== false;
        else if (o.kind === "BGPPeer" && typeof spec.node === "string" && typeof spec.peerIP === "string") c.bgpPeers.push({ node: spec.node, peerIP: spec.peerIP });
        else if (o.kind === "BGPPeer" && typeof spec.nodeSelector === "string" && typeof spec.peerSelector === "string") c.selectorPeers.push({ nodeSelector: spec.nodeSelector, peerSelector: spec.peerSelector });
        else throw new Error(`the stand-ins do not model ${JSON.stringify(o)}`);
      }
    });
  }

  /** The StatefulSet runs one pod per node, at the addresses the spec plans, each node owning its block. */
  applyWorkload(spec: LabSpec): void {
    this.update((w) => {
      const c = w.clusters[spec.name];
      c.workload = true;
      c.pods = spec.nodes.map((n) => ({ name: n.pod.name, ip: n.pod.ip, node: n.name, phase: "Running", labels: { app: "nginx" } }));
      c.blocks = Object.fromEntries(spec.nodes.map((n) => [n.name, n.block]));
    });
  }

  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
