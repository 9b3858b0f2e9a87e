/**
 * netns backend: how long up.sh, routes.sh and down.sh take for the seed lab and for
 * 16 nodes over 4 subnets and 64 nodes over 8 subnets, run directly (no Pulumi). Prints
 * seconds, the cost per node and the ratios between sizes (linear build: the 64-node lab
 * should cost about 4x the 16-node one). Needs root; every lab is removed afterwards.
 */
import { buildLabSpec } from "../lab/config";
import { RawSubnet } from "../lab/config";
import { DirectLab, runScript } from "../components/netns/direct";
import { NETNS_SCRIPTS } from "../components/netns/plan";
import { ipipOnly } from "../lab/expect";

interface Size {
  label: string;
  subnets: number;
  nodes: number;
}

interface Timing {
  size: Size;
  up: number;
  routes: number;
  down: number;
  dataplane: string;
}

const SIZES: Size[] = [
  { label: "seed", subnets: 2, nodes: 4 },
  { label: "16 nodes / 4 subnets", subnets: 4, nodes: 16 },
  { label: "64 nodes / 8 subnets", subnets: 8, nodes: 64 },
];

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
    const routes = await lab.routes(ipipOnly("Always"));
    const down = await lab.down();
    return { size, up: up.wall, routes: routes.wall, down: down.wall, dataplane: up.dataplane };
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
    console.log(
      `${size.label.padEnd(22)} up ${f(t.up)} s (${f((t.up / size.nodes) * 1000, 0)} ms/node)  ` +
        `routes ${f(t.routes)} s  down ${f(t.down)} s (${f((t.down / size.nodes) * 1000, 0)} ms/node)  [${t.dataplane}]`,
    );
  }
  const [seed, mid, big] = timings;
  console.log(`goals: seed up < 3 s: ${seed.up < 3 ? "met" : "MISSED"}; seed down < 1 s: ${seed.down < 1 ? "met" : "MISSED"}; 64 nodes up < 30 s: ${big.up < 30 ? "met" : "MISSED"}`);
  console.log(
    `ratios 64/16 nodes (4x the nodes): up ${f(big.up / mid.up)}x, routes ${f(big.routes / mid.routes)}x (routes grow with nodes squared), down ${f(big.down / mid.down)}x`,
  );
}
