/**
 * netns backend: for the seed lab, 16 nodes over 4 subnets and 64 nodes over 8 subnets,
 * run directly (no Pulumi): up.sh, then the time from up's start until BIRD's full mesh
 * (n(n-1)/2 sessions) has installed every node's routes for IPIP Always, then live
 * switches (CrossSubnet, VXLAN Always, back to IPIP Always), then down.sh. Prints seconds,
 * sessions and routes per node, and the ratios between sizes. Needs root and bird2; every
 * lab is removed afterwards.
 */
import { buildLabSpec } from "../model/config";
import { RawSubnet } from "../model/config";
import { DirectLab, runScript } from "../tests/netns/direct";
import { NETNS_SCRIPTS } from "../components/netns/names";
import { describeModes, ipipOnly } from "../model/expect";
import { PoolModes } from "../model/spec";

interface Size {
  label: string;
  subnets: number;
  nodes: number;
}

interface Timing {
  size: Size;
  up: number;
  /** From up's start until the routes of IPIP Always are in place everywhere. */
  converged: number;
  switches: { modes: PoolModes; seconds: number }[];
  down: number;
  sessionsPerNode: number;
  routesPerNode: number;
  dataplane: string;
}

const SIZES: Size[] = [
  { label: "seed", subnets: 2, nodes: 4 },
  { label: "16 nodes / 4 subnets", subnets: 4, nodes: 16 },
  { label: "64 nodes / 8 subnets", subnets: 8, nodes: 64 },
];

const SWITCHES: PoolModes[] = [ipipOnly("CrossSubnet"), { ipipMode: "Never", vxlanMode: "Always" }, { ipipMode: "Never", vxlanMode: "CrossSubnet" }, ipipOnly("Always")];

function topology(size: Size): RawSubnet[] {
  const per = size.nodes / size.subnets;
  return Array.from({ length: size.subnets }, (_, s) => ({
    cidr: `10.${s + 1}.0.0/24`,
    gateway: `10.${s + 1}.0.1`,
    nodes: Array.from({ length: per }, (_, k) => `10.${s + 1}.0.${k + 10}`),
  }));
}

async function measure(size: Size): Promise<Timing> {
  const labName = `bench${process.pid}-${size.nodes}`;
  const spec = buildLabSpec(
    size.label === "seed" ? { backend: "netns", labName } : { backend: "netns", labName, topology: { subnets: topology(size) } },
    { stack: "bench", cwd: process.cwd() },
  );
  const lab = new DirectLab(spec);
  try {
    const up = await lab.up();
    const first = await lab.converge(ipipOnly("Always"));
    const switches: Timing["switches"] = [];
    for (const modes of SWITCHES) switches.push({ modes, seconds: (await lab.converge(modes)).wall });
    const down = await lab.down();
    const node = first.nodes[0];
    return {
      size,
      up: up.wall,
      converged: up.wall + first.wall,
      switches,
      down: down.wall,
      sessionsPerNode: node.bgpPeers.length,
      routesPerNode: node.routes.length,
      dataplane: up.dataplane,
    };
  } finally {
    await runScript(NETNS_SCRIPTS.down, lab.topologyEnv).catch(() => undefined);
  }
}

const f = (n: number, digits = 2): string => n.toFixed(digits);

export async function run(): Promise<void> {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    console.log("netns bench needs root (network namespaces): skipped");
    return;
  }
  const timings: Timing[] = [];
  for (const size of SIZES) {
    const t = await measure(size);
    timings.push(t);
    const sessions = (size.nodes * (size.nodes - 1)) / 2;
    console.log(
      `${size.label.padEnd(22)} up ${f(t.up)} s  routes of IPIP Always in place ${f(t.converged)} s after up's start  down ${f(t.down)} s  [${t.dataplane}]\n` +
        `${"".padEnd(22)} ${sessions} BGP sessions, per node ${t.sessionsPerNode} sessions and ${t.routesPerNode} pool routes; switches: ` +
        t.switches.map((s) => `${describeModes(s.modes)} ${f(s.seconds)} s`).join(", "),
    );
  }
  const [seed, mid, big] = timings;
  console.log(
    `goals: seed converged < 5 s: ${seed.converged < 5 ? "met" : "MISSED"}; 64 nodes converged < 60 s: ${big.converged < 60 ? "met" : "MISSED"}; seed down < 1 s: ${seed.down < 1 ? "met" : "MISSED"}`,
  );
  const ipipSwitch = seed.switches[0].seconds;
  const vxlanSwitch = seed.switches[1].seconds;
  console.log(`seed mode switch: IPIP Always → CrossSubnet ${f(ipipSwitch)} s; → VXLAN Always ${f(vxlanSwitch)} s (${f(vxlanSwitch / ipipSwitch)}x)`);
  console.log(
    `ratios 64/16 nodes (4x the nodes, 16x the sessions): up ${f(big.up / mid.up)}x, converged ${f(big.converged / mid.converged)}x, down ${f(big.down / mid.down)}x`,
  );
}
