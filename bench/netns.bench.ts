/**
 * netns backend, run directly (no Pulumi): the BGP mesh against 2 route reflectors side by
 * side at 16, 64 and 256 nodes. Per size and mode: up.sh's time, the time from up's start
 * until every node's routes of IPIP Always are in place (the control plane's convergence),
 * the BGP sessions, the RSS of every BIRD and tunl0 helper, then on the mesh lab the live
 * switch to reflectors, and down.sh's time. The seed lab's mode switches are the optional
 * part `netns-modes`. Needs root and bird2; every lab is removed afterwards.
 */
import * as fs from "fs";
import * as path from "path";
import { buildLabSpec, RawSubnet } from "../model/config";
import { DirectLab, runScript } from "../tests/netns/direct";
import { NETNS_SCRIPTS } from "../components/netns/names";
import { controlPlanePlan, ControlPlaneResult } from "../components/netns/controlPlane";
import { describeModes, ipipOnly } from "../model/expect";
import { LabSpec, PoolModes } from "../model/spec";

interface Size {
  subnets: number;
  nodes: number;
}

type Bgp = "mesh" | "reflectors";

export interface Row {
  size: Size;
  bgp: Bgp;
  up: number;
  /** From up's start until the routes of IPIP Always are in place everywhere. */
  converged: number;
  sessions: number;
  /** kB, every BIRD and tunl0 helper together. */
  rss: number;
  /** Connections dropped at a full BIRD listen queue, all nodes together, until the routes were in place. */
  listenDrops: number;
  /** The mesh lab's live switch to reflectors (seconds), and the sessions after it. */
  toReflectors?: { seconds: number; sessions: number };
  down: number;
  dataplane: string;
}

const SIZES: Size[] = [
  { subnets: 4, nodes: 16 },
  { subnets: 8, nodes: 64 },
  { subnets: 8, nodes: 256 },
];

const ALWAYS = ipipOnly("Always");

/** `subnets` /24s of equal share, nodes from .10 (a /24 holds up to 245 of them). */
export function benchTopology(size: Size): RawSubnet[] {
  const per = size.nodes / size.subnets;
  if (!Number.isInteger(per) || per > 245) throw new Error(`${size.nodes} nodes do not split into ${size.subnets} /24s`);
  return Array.from({ length: size.subnets }, (_, s) => ({
    cidr: `10.${s + 1}.0.0/24`,
    gateway: `10.${s + 1}.0.1`,
    nodes: Array.from({ length: per }, (_, k) => `10.${s + 1}.0.${k + 10}`),
  }));
}

/** The 2 reflectors: the first node of the first two subnets (reflectors in different racks). */
export function benchReflectors(size: Size): number[] {
  return [1, size.nodes / size.subnets + 1];
}

function benchSpec(labName: string, size: Size, bgp: Bgp): LabSpec {
  return buildLabSpec(
    { backend: "netns", labName, topology: { subnets: benchTopology(size) }, ...(bgp === "reflectors" ? { bgp: { routeReflectors: benchReflectors(size) } } : {}) },
    { stack: "bench", cwd: process.cwd() },
  );
}

/** Sessions of the lab: each node lists its own, each session has two ends. */
export function sessionCount(result: { nodes: Pick<ControlPlaneResult["nodes"][number], "bgpPeers">[] }): number {
  return result.nodes.reduce((n, node) => n + node.bgpPeers.length, 0) / 2;
}

/** VmRSS in kB from a /proc/PID/status text (0 when absent: a kernel thread or a zombie). */
export function vmRssKb(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m === null ? 0 : Number(m[1]);
}

/** The PIDs the run dir's pid files name: BIRDs (bird/*.pid), and the tunl0 helper unless `birdsOnly`. */
function runDirPids(runDir: string, birdsOnly = false): string[] {
  const dirs = birdsOnly ? [path.join(runDir, "bird")] : [runDir, path.join(runDir, "bird")];
  return dirs.flatMap((d) =>
    fs.existsSync(d)
      ? fs
          .readdirSync(d)
          .filter((f) => f.endsWith(".pid"))
          .map((f) => fs.readFileSync(path.join(d, f), "utf8").trim())
      : [],
  );
}

/** The sum over `pids` of what `read` finds in /proc/PID/`file` (a process that ended meanwhile adds nothing). */
function sumOverProc(pids: string[], file: string, read: (text: string) => number): number {
  return pids.reduce((sum, pid) => {
    try {
      return sum + read(fs.readFileSync(`/proc/${pid}/${file}`, "utf8"));
    } catch {
      return sum;
    }
  }, 0);
}

/** Total VmRSS (kB) of every BIRD and the tunl0 helper. */
function runDirRss(runDir: string): number {
  return sumOverProc(runDirPids(runDir), "status", vmRssKb);
}

/** One counter of a /proc/net/netstat text (`TcpExt`, `ListenDrops`): its lines come in pairs, names then values. */
export function netstatCounter(netstat: string, group: string, name: string): number {
  const lines = netstat.split("\n").filter((l) => l.startsWith(`${group}: `));
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i].split(/\s+/).slice(1);
    const at = names.indexOf(name);
    if (at >= 0) return Number(lines[i + 1].split(/\s+/)[at + 1]);
  }
  return 0;
}

/**
 * Connections the nodes' kernels dropped because a BIRD's listen queue was full (BIRD's
 * own is 8; the control plane widens it where more peers connect): the client's SYN is
 * retransmitted a second later. Each BIRD's /proc/PID/net shows its own node's
 * namespace, so the sum counts each node once.
 */
function listenDrops(runDir: string): number {
  return sumOverProc(runDirPids(runDir, true), "net/netstat", (text) => netstatCounter(text, "TcpExt", "ListenDrops"));
}

/** Busy and total jiffies of all CPUs, from /proc/stat's first line. */
export function cpuJiffies(stat: string): { busy: number; total: number } {
  const fields = stat.split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
}

/**
 * Wait (at most 30 s) until the host's CPUs are 90% idle. A lab's down returns before the
 * kernel has freed its namespaces (a kernel work queue does that), so a row could start
 * while the last one's cleanup still held the CPUs; each row starts on an idle host.
 */
async function settle(): Promise<void> {
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const a = cpuJiffies(fs.readFileSync("/proc/stat", "utf8"));
    await new Promise((r) => setTimeout(r, 500));
    const b = cpuJiffies(fs.readFileSync("/proc/stat", "utf8"));
    if (b.total > a.total && (b.busy - a.busy) / (b.total - a.total) <= 0.1) return;
  }
  console.log("the host stayed busy for 30 s: measuring anyway");
}

async function measure(size: Size, bgp: Bgp): Promise<Row> {
  const labName = `bench${process.pid}-${size.nodes}`;
  const spec = benchSpec(labName, size, bgp);
  const lab = new DirectLab(spec);
  try {
    const up = await lab.up();
    const first = await lab.converge(ALWAYS);
    const row: Row = { size, bgp, up: up.wall, converged: up.wall + first.wall, sessions: sessionCount(first), rss: runDirRss(lab.runDir), listenDrops: listenDrops(lab.runDir), down: 0, dataplane: up.dataplane };
    if (bgp === "mesh") {
      const switched = await lab.controlPlane(ALWAYS, controlPlanePlan(benchSpec(labName, size, "reflectors"), ALWAYS));
      row.toReflectors = { seconds: switched.wall, sessions: sessionCount(switched) };
    }
    row.down = (await lab.down()).wall;
    return row;
  } finally {
    await runScript(NETNS_SCRIPTS.down, lab.topologyEnv).catch(() => undefined);
  }
}

const f = (n: number, digits = 2): string => n.toFixed(digits);

/** The table as Markdown, one row per size and mode. */
export function benchTable(rows: Row[]): string {
  const head = ["nodes / subnets", "BGP", "up s", "routes in place s", "sessions", "RSS MiB", "listen drops", "switch → reflectors s", "down s"];
  const body = rows.map((r) => [
    `${r.size.nodes} / ${r.size.subnets}`,
    r.bgp,
    f(r.up),
    f(r.converged),
    String(r.sessions),
    f(r.rss / 1024, 1),
    String(r.listenDrops),
    r.toReflectors === undefined ? "" : `${f(r.toReflectors.seconds)} (${r.toReflectors.sessions} sessions)`,
    f(r.down),
  ]);
  return [head, head.map(() => "---"), ...body].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

function isRoot(): boolean {
  if (typeof process.getuid === "function" && process.getuid() === 0) return true;
  console.log("netns bench needs root (network namespaces): skipped");
  return false;
}

/** The runs in order: reflectors before the mesh at each size, so the slowest run, the 256-node mesh, comes last. */
const RUNS: { size: Size; bgp: Bgp }[] = SIZES.flatMap((size) => (["reflectors", "mesh"] as const).map((bgp) => ({ size, bgp })));

export async function run(): Promise<void> {
  if (!isRoot()) return;
  const rows: Row[] = [];
  const failed: string[] = [];
  for (const { size, bgp } of RUNS) {
    try {
      await settle();
      const row = await measure(size, bgp);
      rows.push(row);
      console.log(`${size.nodes} nodes, ${bgp}: up ${f(row.up)} s, routes in place ${f(row.converged)} s, ${row.sessions} sessions, down ${f(row.down)} s [${row.dataplane}]`);
    } catch (e) {
      // One size failing (the 256-node mesh may not converge on a small host) keeps the others' figures.
      failed.push(`${size.nodes} nodes, ${bgp}: ${e instanceof Error ? e.message.slice(0, 1500) : String(e)}`);
      console.log(`${size.nodes} nodes, ${bgp}: FAILED`);
    }
  }
  console.log(`\n${benchTable(rows)}\n`);
  const big = rows.find((r) => r.size.nodes === 256 && r.bgp === "reflectors");
  if (big !== undefined) console.log(`goal: 256 nodes with reflectors in place < 15 s after up's start: ${big.converged < 15 ? "met" : "MISSED"} (${f(big.converged)} s)`);
  const ratio = (n: number, bgp: Bgp, key: "up" | "converged" | "rss" | "down"): string => {
    const a = rows.find((r) => r.size.nodes === n && r.bgp === bgp);
    const b = rows.find((r) => r.size.nodes === n * 4 && r.bgp === bgp);
    return a === undefined || b === undefined ? "-" : `${f(b[key] / a[key])}x`;
  };
  for (const bgp of ["mesh", "reflectors"] as const) {
    console.log(
      `${bgp} ratios per 4x the nodes: ` +
        [16, 64].map((n) => `${n * 4}/${n}: up ${ratio(n, bgp, "up")}, in place ${ratio(n, bgp, "converged")}, RSS ${ratio(n, bgp, "rss")}, down ${ratio(n, bgp, "down")}`).join("; "),
    );
  }
  if (failed.length > 0) throw new Error(`netns bench: ${failed.length} run(s) failed:\n${failed.join("\n")}`);
}

const MODE_SWITCHES: PoolModes[] = [ipipOnly("CrossSubnet"), { ipipMode: "Never", vxlanMode: "Always" }, { ipipMode: "Never", vxlanMode: "CrossSubnet" }, ALWAYS];

/** The seed lab: converged, then live switches through the pool modes, then down. */
async function modes(): Promise<void> {
  if (!isRoot()) return;
  const lab = new DirectLab(buildLabSpec({ backend: "netns", labName: `bench${process.pid}-seed` }, { stack: "bench", cwd: process.cwd() }));
  try {
    const up = await lab.up();
    const first = await lab.converge(ALWAYS);
    const switches: string[] = [];
    for (const m of MODE_SWITCHES) switches.push(`${describeModes(m)} ${f((await lab.converge(m)).wall)} s`);
    const down = await lab.down();
    console.log(`seed: up ${f(up.wall)} s, routes of IPIP Always in place ${f(up.wall + first.wall)} s after up's start, down ${f(down.wall)} s; switches: ${switches.join(", ")}`);
  } finally {
    await runScript(NETNS_SCRIPTS.down, lab.topologyEnv).catch(() => undefined);
  }
}

export const optional = { "netns-modes": modes };
