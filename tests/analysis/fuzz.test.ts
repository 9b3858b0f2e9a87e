/**
 * Property tests of the reader and classifier: generated captures are read exactly as
 * modelled; cut or corrupted ones end in a clean result or error, never a throw or a hang,
 * and every packet read is accounted for exactly once.
 */
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { analyzeFile, FileAnalysis } from "../../analysis/index";
import { ETHERTYPE, ethernet, frame, icmpEcho, ipv4, NgBlock, pcapFile, pcapngFile, tcp, udp, VlanTag, vxlanPayload } from "../pcap/pcapWriter";

let dir = "";
let n = 0;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cil-an-fuzz-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function analyzeBytes(bytes: Uint8Array, chunkSize?: number): Promise<FileAnalysis> {
  const file = path.join(dir, `f${n++ % 8}.cap`);
  fs.writeFileSync(file, bytes);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`analysis of ${bytes.length} bytes did not finish in 5 s`)), 5000);
  });
  try {
    return await Promise.race([analyzeFile(file, chunkSize ? { chunkSize } : {}), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every packet read lands in exactly one flow or one skipped counter. */
function accounted(a: FileAnalysis): number {
  const s = a.skipped;
  return a.flows.reduce((t, f) => t + f.packets, 0) + s.truncated + s.fragments + s.nonIPv4 + s.malformed;
}

const addr = fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 255 })).map(([a, b]) => `10.${a}.${b}.1`);

type Kind = "ipip" | "vxlan" | "none";
interface Pkt {
  kind: Kind;
  ip: Buffer;
  outer: [string, string] | null;
  /** VXLAN's source port, destination port and VNI. */
  udp: [number, number, number] | null;
  inner: [string, string, number];
}

const packetArb: fc.Arbitrary<Pkt> = fc
  .record({
    kind: fc.constantFrom<Kind>("ipip", "vxlan", "none"),
    os: addr,
    od: addr,
    is: addr,
    id: addr,
    proto: fc.constantFrom(1, 6, 17, 47),
    pay: fc.integer({ min: 0, max: 300 }),
    opts: fc.integer({ min: 0, max: 10 }),
    vlan: fc.boolean(),
    // Calico's port, and Linux's default that the classifier must still recognise.
    sport: fc.integer({ min: 1, max: 65535 }),
    dport: fc.constantFrom(4789, 8472),
    vni: fc.integer({ min: 0, max: 0xffffff }),
  })
  .map((r) => {
    const options = Buffer.alloc(r.opts * 4, 1);
    const innerPayload = r.proto === 1 ? icmpEcho(1, 1, r.pay) : r.proto === 6 ? tcp(1, 2, r.pay) : r.proto === 17 ? udp(53, 53, Buffer.alloc(r.pay)) : Buffer.alloc(r.pay);
    const inner = ipv4({ src: r.is, dst: r.id, protocol: r.proto, payload: innerPayload, options });
    const vlans: VlanTag[] = r.vlan ? [{ tpid: 0x8100, vid: 5 }] : [];
    if (r.kind === "none") return { kind: r.kind, ip: inner, outer: null, udp: null, inner: [r.is, r.id, r.proto] };
    const payload = r.kind === "ipip" ? inner : udp(r.sport, r.dport, vxlanPayload(r.vni, ethernet(ETHERTYPE.IPV4, inner, vlans)));
    const ip = ipv4({ src: r.os, dst: r.od, protocol: r.kind === "ipip" ? 4 : 17, payload, options });
    return { kind: r.kind, ip, outer: [r.os, r.od], udp: r.kind === "vxlan" ? [r.sport, r.dport, r.vni] : null, inner: [r.is, r.id, r.proto] };
  });

interface Capture {
  bytes: Buffer;
  packets: Pkt[];
  frames: number[];
}

const linkTypeArb = fc.constantFrom(1, 12, 14, 101, 113, 228, 276);

const captureArb: fc.Arbitrary<Capture> = fc
  .record({
    ng: fc.boolean(),
    le: fc.boolean(),
    nano: fc.boolean(),
    lts: fc.array(linkTypeArb, { minLength: 1, maxLength: 3 }),
    pkts: fc.array(fc.tuple(packetArb, fc.nat()), { maxLength: 30 }),
    unknown: fc.boolean(),
  })
  .map((r) => {
    const lts = r.ng ? r.lts : [r.lts[0]];
    const framed = r.pkts.map(([p, i]) => {
      const iface = i % lts.length;
      return { p, iface, data: frame(lts[iface], ETHERTYPE.IPV4, p.ip) };
    });
    let bytes: Buffer;
    if (r.ng) {
      const blocks: NgBlock[] = [{ kind: "shb", littleEndian: r.le }, ...lts.map((linkType): NgBlock => ({ kind: "idb", linkType }))];
      if (r.unknown) blocks.push({ kind: "raw", type: 0x0bad, body: Buffer.alloc(17, 3) });
      for (const f of framed) blocks.push({ kind: "epb", iface: f.iface, data: f.data });
      bytes = pcapngFile(blocks);
    } else {
      bytes = pcapFile({ littleEndian: r.le, nanosecond: r.nano, linkType: lts[0] }, framed.map((f) => ({ data: f.data })));
    }
    return { bytes, packets: framed.map((f) => f.p), frames: framed.map((f) => f.data.length) };
  });

const RUNS = { numRuns: 150 };

describe("reader properties", () => {
  test("generated captures are read exactly as modelled", async () => {
    await fc.assert(
      fc.asyncProperty(captureArb, async (cap) => {
        const a = await analyzeBytes(cap.bytes);
        expect(a.error).toBeUndefined();
        expect(a.packets).toBe(cap.packets.length);
        const want = new Map<string, { packets: number; bytes: number }>();
        cap.packets.forEach((p, i) => {
          const key = JSON.stringify([p.kind, p.outer?.[0] ?? null, p.outer?.[1] ?? null, ...(p.udp ?? [null, null, null]), ...p.inner]);
          const e = want.get(key) ?? { packets: 0, bytes: 0 };
          e.packets++;
          e.bytes += cap.frames[i];
          want.set(key, e);
        });
        const got = new Map(
          a.flows.map((f) => [
            JSON.stringify([f.encapsulation, f.outerSrc, f.outerDst, f.outerSrcPort ?? null, f.outerDstPort ?? null, f.vni ?? null, f.innerSrc, f.innerDst, f.innerProtocol]),
            { packets: f.packets, bytes: f.bytes },
          ]),
        );
        expect(got).toEqual(want);
      }),
      RUNS,
    );
  });

  test("cut and corrupted captures end cleanly, account for every packet, and do not depend on the chunk size", async () => {
    const mutated = fc
      .record({
        cap: captureArb,
        cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
        flips: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      })
      .map(({ cap, cut, flips }) => {
        const b = Buffer.from(cap.bytes);
        for (const [where, value] of flips) if (b.length) b[Math.floor(where * b.length)] = value;
        return cut === undefined ? b : b.subarray(0, Math.floor(cut * b.length));
      });
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => {
        const a = await analyzeBytes(bytes);
        expect(accounted(a)).toBe(a.packets);
        if (a.error) {
          expect(a.error.offset).toBeGreaterThanOrEqual(0);
          expect(a.error.offset).toBeLessThanOrEqual(bytes.length);
          expect(a.error.message.length).toBeGreaterThan(0);
        }
        const small = await analyzeBytes(bytes, 4096 + (bytes.length % 61));
        expect({ ...small, file: "" }).toEqual({ ...a, file: "" });
      }),
      RUNS,
    );
  });

  test("arbitrary bytes after a valid magic never throw", async () => {
    const magics = [
      [0xd4, 0xc3, 0xb2, 0xa1],
      [0xa1, 0xb2, 0xc3, 0xd4],
      [0x4d, 0x3c, 0xb2, 0xa1],
      [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...magics), fc.uint8Array({ maxLength: 2000 }), async (magic, rest) => {
        const a = await analyzeBytes(Buffer.concat([Buffer.from(magic), rest]));
        expect(accounted(a)).toBe(a.packets);
        expect(["pcap", "pcapng"]).toContain(a.format);
      }),
      RUNS,
    );
  });

  test("a generated pcapng with a valid header and random blocks never throws", async () => {
    const block = fc.record({ type: fc.constantFrom(1, 2, 3, 6, 0x0a0d0d0a, 99), body: fc.uint8Array({ maxLength: 120 }) });
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(block, { maxLength: 12 }), async (le, blocks) => {
        const f = pcapngFile([{ kind: "shb", littleEndian: le }, { kind: "idb", linkType: 1 }, ...blocks.map((b): NgBlock => ({ kind: "raw", type: b.type, body: b.body }))]);
        const a = await analyzeBytes(f);
        expect(accounted(a)).toBe(a.packets);
      }),
      RUNS,
    );
  });
});
