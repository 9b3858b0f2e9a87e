/**
 * Analyzer throughput and memory against tshark, on a large generated capture.
 *
 * Builds a classic pcap of ≥ 1M packets (> 200 MB; a mix of IP-in-IP, VXLAN and plain
 * frames of varied sizes) in a temp dir, then runs, each as its own process:
 *   - the analyzer (analysis/ transpiled to plain JS, run by `node`): wall time, its own
 *     timing of analyzeFile, and peak RSS;
 *   - the same through `npm run analyze`'s ts-node, for the cost of the TypeScript loader;
 *   - `tshark -r F -T fields -e ip.proto` to /dev/null.
 * Peak RSS of a child comes from getrusage(RUSAGE_CHILDREN) in a tiny python3 wrapper, the
 * same way for every program. The file is removed at the end.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { ETHERTYPE, ethernet, ipv4, pcapHeader, pcapRecord, udp, vxlanPayload } from "../tests/pcap/pcapWriter";

/** Packets in the generated capture (CIL_BENCH_PACKETS overrides, for a quick look). */
const PACKETS = Number(process.env.CIL_BENCH_PACKETS) || 1_200_000;
const GOAL_MBPS = 300;
const GOAL_RATIO = 20;
const GOAL_RSS_MB = 100;

/**
 * A block of records cycling through flows, encapsulations and sizes. The inner packets
 * are UDP: the block repeats, and repeated TCP sequence numbers or ICMP echo ids make
 * tshark's request/retransmission tracking superlinear (hundreds of seconds), which would
 * flatter the ratio. UDP costs tshark the least per packet, so the ratio is conservative.
 */
function recordBlock(): { block: Buffer; count: number } {
  const records: Buffer[] = [];
  const sizes = [64, 80, 96, 128, 200, 240, 260, 300, 64, 90, 400, 576];
  let i = 0;
  for (let pair = 0; pair < 8; pair++)
    for (const kind of ["ipip", "plain", "vxlan"] as const)
      for (const size of sizes) {
        const src = `10.244.${pair}.${1 + (i % 3)}`;
        const dst = `10.244.${(pair + 1) % 8}.7`;
        const inner = ipv4({ src, dst, protocol: 17, payload: udp(40000 + pair, 9, Buffer.alloc(Math.max(0, size - 28))) });
        const outerSrc = `10.1.5.${10 + (pair % 2)}`;
        const outerDst = `10.1.8.${10 + (pair % 2)}`;
        const ip =
          kind === "ipip"
            ? ipv4({ src: outerSrc, dst: outerDst, protocol: 4, payload: inner })
            : kind === "vxlan"
              ? ipv4({ src: outerSrc, dst: outerDst, protocol: 17, payload: udp(50000 + i, 4789, vxlanPayload(42, ethernet(ETHERTYPE.IPV4, inner))) })
              : inner;
        records.push(pcapRecord({ data: ethernet(ETHERTYPE.IPV4, ip) }));
        i++;
      }
  return { block: Buffer.concat(records), count: records.length };
}

/** Writes the capture with large buffered writes; returns packets and bytes. */
function writeCapture(file: string): { packets: number; bytes: number } {
  const { block, count } = recordBlock();
  const perWrite = Math.max(1, Math.floor((8 << 20) / block.length));
  const big = Buffer.concat(Array.from({ length: perWrite }, () => block));
  const fd = fs.openSync(file, "w");
  let packets = 0;
  try {
    fs.writeSync(fd, pcapHeader({ linkType: 1 }));
    while (packets < PACKETS) {
      fs.writeSync(fd, big);
      packets += perWrite * count;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { packets, bytes: fs.statSync(file).size };
}

/** analysis/ transpiled to CommonJS, plus a child script that times analyzeFile. */
function buildChild(dir: string): string {
  const src = path.join(__dirname, "..", "analysis");
  const out = path.join(dir, "analysis");
  fs.mkdirSync(out);
  for (const f of ["index.ts", "classify.ts", "decode.ts", "reader.ts", "judge.ts", "types.ts"]) {
    const js = ts.transpileModule(fs.readFileSync(path.join(src, f), "utf8"), {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    fs.writeFileSync(path.join(out, f.replace(/\.ts$/, ".js")), js);
  }
  const child = path.join(dir, "child.js");
  fs.writeFileSync(
    child,
    `const { analyzeFile } = require("./analysis/index.js");
(async () => {
  const t0 = process.hrtime.bigint();
  const a = await analyzeFile(process.argv[2]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ms, packets: a.packets, flows: a.flows.length, error: a.error ?? null, maxRssKB: process.resourceUsage().maxRSS }) + "\\n");
})();
`,
  );
  return child;
}

interface Measured {
  seconds: number;
  maxRssMB: number;
  stdout: string;
  status: number;
}

const WRAPPER = `
import json, resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[2:], stdout=subprocess.PIPE if sys.argv[1] == "keep" else subprocess.DEVNULL, stderr=subprocess.DEVNULL)
e = time.monotonic() - t
out = r.stdout.decode() if r.stdout else ""
print(json.dumps({"seconds": e, "maxRssMB": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "status": r.returncode, "stdout": out}))
`;

function measure(cmd: string[], keepStdout: boolean): Measured {
  const r = spawnSync("python3", ["-c", WRAPPER, keepStdout ? "keep" : "drop", ...cmd], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`measuring ${cmd.join(" ")} failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout) as Measured;
}

function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

const f1 = (n: number): string => n.toFixed(1);
/** Packets per second, readable at any magnitude. */
const pps = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);

export async function run(): Promise<void> {
  if (!which("python3")) {
    console.log("skipped: python3 (used to measure child processes' peak memory) is not installed");
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cil-an-bench-"));
  // An interrupted bench still removes its (large) capture.
  const onSignal = (sig: NodeJS.Signals): void => {
    fs.rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, sig);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const file = path.join(dir, "bench.pcap");
    const t0 = Date.now();
    const { packets, bytes } = writeCapture(file);
    const mb = bytes / 1e6;
    console.log(`capture: ${packets.toLocaleString("en")} packets, ${f1(mb)} MB (EN10MB; ipip/plain/vxlan in equal parts, UDP inside, 64-576 byte packets), written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const child = buildChild(dir);
    measure([process.execPath, child, file], true); // warm-up (page cache, JIT of node itself)
    const runs = [0, 1, 2].map(() => {
      const m = measure([process.execPath, child, file], true);
      return { m, inner: JSON.parse(m.stdout) as { ms: number; packets: number; flows: number; error: unknown; maxRssKB: number } };
    });
    const best = runs.reduce((a, b) => (b.inner.ms < a.inner.ms ? b : a));
    if (best.inner.packets !== packets || best.inner.error) throw new Error(`the analyzer read ${best.inner.packets} packets (error ${JSON.stringify(best.inner.error)})`);
    const inSec = best.inner.ms / 1000;
    const peak = Math.max(...runs.map((r) => r.m.maxRssMB));
    console.log(`analyzer (node, best of 3):`);
    console.log(`  analyzeFile:    ${inSec.toFixed(2)} s  ${f1(mb / inSec)} MB/s  ${pps(packets / inSec)} packets/s  (${best.inner.flows} flows)`);
    console.log(`  whole process:  ${best.m.seconds.toFixed(2)} s  ${f1(mb / best.m.seconds)} MB/s  ${pps(packets / best.m.seconds)} packets/s`);
    console.log(`  peak RSS:       ${f1(peak)} MB`);

    // `npm run analyze` compiles the tools once (tsconfig.cli.json), then runs them on node.
    const repo = path.join(__dirname, "..");
    const built = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(repo, "tsconfig.cli.json")], { cwd: repo, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`tsc -p tsconfig.cli.json failed: ${built.stdout}${built.stderr}`);
    const viaCli: Measured = measure([process.execPath, path.join(repo, ".cache", "cli", "bin", "analyze.js"), file], false);
    console.log(`npm run analyze (the compiled CLI, JSON output included): ${viaCli.seconds.toFixed(2)} s, peak RSS ${f1(viaCli.maxRssMB)} MB, exit ${viaCli.status}`);

    let ratio = NaN;
    if (which("tshark")) {
      const t = measure(["tshark", "-r", file, "-T", "fields", "-e", "ip.proto"], false);
      ratio = t.seconds / inSec;
      console.log(`tshark -T fields -e ip.proto: ${t.seconds.toFixed(2)} s  ${f1(mb / t.seconds)} MB/s  ${pps(packets / t.seconds)} packets/s  peak RSS ${f1(t.maxRssMB)} MB  (exit ${t.status})`);
      console.log(`ratio: the analyzer is ${f1(ratio)}× faster than tshark (${f1(t.seconds / best.m.seconds)}× counting the analyzer's process start-up)`);
    } else {
      console.log("tshark: not installed, no comparison");
    }
    const verdict = (ok: boolean): string => (ok ? "met" : "NOT met");
    console.log(
      `goals: ≥${GOAL_MBPS} MB/s ${verdict(mb / inSec >= GOAL_MBPS)}; ≥${GOAL_RATIO}× tshark ${Number.isNaN(ratio) ? "not measured" : verdict(ratio >= GOAL_RATIO)}; peak RSS <${GOAL_RSS_MB} MB ${verdict(peak < GOAL_RSS_MB)} for the analyzer process` +
        ` (${verdict(viaCli.maxRssMB < GOAL_RSS_MB)} through npm run analyze)`,
    );
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
