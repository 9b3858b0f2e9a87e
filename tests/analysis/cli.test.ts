import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runAnalyze } from "../../analysis/cli";
import { ETHERTYPE, ethernet, icmpEcho, ipv4, pcapFile } from "../pcap/pcapWriter";

let dir = "";
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cil-an-cli-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const pkt = ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, payload: ipv4({ src: "10.244.0.1", dst: "10.244.2.1", protocol: 1, payload: icmpEcho() }) });

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runAnalyze(args, { out: (t) => (out += t + "\n"), err: (t) => (err += t + "\n") });
  return { code, out, err };
}

test("good files → JSON array, exit 0", async () => {
  const f = path.join(dir, "good.pcap");
  fs.writeFileSync(f, pcapFile({ linkType: 1 }, [{ data: ethernet(ETHERTYPE.IPV4, pkt) }, { data: ethernet(ETHERTYPE.ARP, Buffer.alloc(28)) }]));
  const r = await run(["--", f, f]);
  expect(r.code).toBe(0);
  expect(r.err).toBe("");
  const parsed = JSON.parse(r.out);
  expect(parsed).toHaveLength(2);
  expect(Object.keys(parsed[0])).toEqual(["file", "format", "linkTypes", "packets", "flows", "skipped"]);
  expect(parsed[0]).toMatchObject({ file: f, format: "pcap", linkTypes: [1], packets: 2, skipped: { nonIPv4: 1 } });
  expect(parsed[0].flows[0]).toMatchObject({ encapsulation: "ipip", outerSrc: "10.1.5.10", innerDst: "10.244.2.1" });
});

test("no arguments → usage, exit 2", async () => {
  const r = await run([]);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^usage: npm run analyze/);
  expect(r.out).toBe("");
});

test("truncated file → what was read, then the file, offset and problem on stderr, exit 2", async () => {
  const f = path.join(dir, "cut.pcap");
  const full = pcapFile({ linkType: 101 }, [{ data: pkt }, { data: pkt }]);
  fs.writeFileSync(f, full.subarray(0, full.length - 5));
  const r = await run([f]);
  expect(r.code).toBe(2);
  expect(JSON.parse(r.out)[0].packets).toBe(1);
  expect(r.err).toBe(`${f}: at byte ${24 + 16 + pkt.length}: the file ends inside a packet record: it holds ${pkt.length} captured bytes but only ${pkt.length - 5} follow (1 packet read before it)\n`);
});

test("the real command: missing, empty and corrupt files exit 2 without a stack trace", () => {
  const empty = path.join(dir, "empty.pcap");
  fs.writeFileSync(empty, "");
  const corrupt = path.join(dir, "corrupt.pcapng");
  fs.writeFileSync(corrupt, Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8]));
  const r = spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", path.join(__dirname, "..", "..", "bin", "analyze.ts"), path.join(dir, "nope.pcap"), empty, corrupt], {
    encoding: "utf8",
    timeout: 60000,
  });
  expect(r.status).toBe(2);
  expect(JSON.parse(r.stdout)).toHaveLength(3);
  const lines = r.stderr.trim().split("\n");
  expect(lines).toEqual([
    `${path.join(dir, "nope.pcap")}: at byte 0: cannot open: no such file or directory (0 packets read before it)`,
    `${empty}: at byte 0: the file is empty (0 packets read before it)`,
    `${corrupt}: at byte 8: corrupt section header block: byte-order magic 05 06 07 08 (0 packets read before it)`,
  ]);
});
