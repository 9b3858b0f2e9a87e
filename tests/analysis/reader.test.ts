import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { analyzeFile, FileAnalysis, Flow, LinkType } from "../../analysis/index";
import {
  arp,
  ETHERTYPE,
  ethernet,
  frame,
  icmpEcho,
  ipv4,
  ipv6,
  NgBlock,
  PacketRecord,
  pcapFile,
  pcapngFile,
  tcp,
  udp,
  VlanTag,
  vxlanPayload,
} from "../pcap/pcapWriter";

let dir = "";
let n = 0;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "cil-an-unit-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function analyzeBytes(bytes: Uint8Array, chunkSize?: number): Promise<FileAnalysis> {
  const file = path.join(dir, `f${n++}.cap`);
  fs.writeFileSync(file, bytes);
  return analyzeFile(file, chunkSize ? { chunkSize } : {});
}

// The three kinds of packet the lab cares about, built byte by byte.
const innerIcmp = ipv4({ src: "10.244.0.1", dst: "10.244.2.1", protocol: 1, payload: icmpEcho() });
const ipipPacket = ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, payload: innerIcmp });
const innerTcp = ipv4({ src: "10.244.0.1", dst: "10.244.1.1", protocol: 6, payload: tcp(40000, 80, 10) });
const vxlanPacket = ipv4({
  src: "10.1.5.10",
  dst: "10.1.5.11",
  protocol: 17,
  payload: udp(51234, 4789, vxlanPayload(42, ethernet(ETHERTYPE.IPV4, innerTcp))),
});
const plainPacket = ipv4({ src: "10.244.0.1", dst: "10.244.1.1", protocol: 1, payload: icmpEcho() });

const ipipFlow = (packets = 1, bytes = ipipPacket.length): Flow => ({
  encapsulation: "ipip",
  outerSrc: "10.1.5.10",
  outerDst: "10.1.8.10",
  innerSrc: "10.244.0.1",
  innerDst: "10.244.2.1",
  innerProtocol: 1,
  packets,
  bytes,
});
/** The VXLAN flow of vxlanPacket: source port 51234, port 4789, VNI 42 (or `udp`'s). */
const vxlanFlow = (packets = 1, bytes = vxlanPacket.length, udp: Pick<Flow, "outerSrcPort" | "outerDstPort" | "vni"> = { outerSrcPort: 51234, outerDstPort: 4789, vni: 42 }): Flow => ({
  encapsulation: "vxlan",
  outerSrc: "10.1.5.10",
  outerDst: "10.1.5.11",
  ...udp,
  innerSrc: "10.244.0.1",
  innerDst: "10.244.1.1",
  innerProtocol: 6,
  packets,
  bytes,
});
const plainFlow = (packets = 1, bytes = plainPacket.length): Flow => ({
  encapsulation: "none",
  outerSrc: null,
  outerDst: null,
  innerSrc: "10.244.0.1",
  innerDst: "10.244.1.1",
  innerProtocol: 1,
  packets,
  bytes,
});

function sortFlows(flows: Flow[]): Flow[] {
  return [...flows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const ALL_LINK_TYPES = [LinkType.ETHERNET, LinkType.RAW, LinkType.RAW_12, LinkType.RAW_14, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.IPV4];
const hasEthertype = (lt: number): boolean => lt === 1 || lt === 113 || lt === 276;

/** The three IPv4 packets, plus ARP/IPv6 where the link type can carry them. */
function mixedFrames(lt: number): { frames: Buffer[]; nonIPv4: number } {
  const frames = [ipipPacket, vxlanPacket, plainPacket, ipipPacket].map((p) => frame(lt, ETHERTYPE.IPV4, p));
  let nonIPv4 = 0;
  if (hasEthertype(lt)) {
    frames.push(frame(lt, ETHERTYPE.ARP, arp()), frame(lt, ETHERTYPE.IPV6, ipv6()));
    nonIPv4 = 2;
  } else {
    frames.push(frame(lt, ETHERTYPE.IPV6, ipv6()));
    nonIPv4 = 1;
  }
  return { frames, nonIPv4 };
}

/** Bytes count whole frames as on the wire, link-layer header included. */
const len = (lt: number, p: Buffer, vlans: VlanTag[] = []): number => frame(lt, ETHERTYPE.IPV4, p, vlans).length;

function expectMixed(a: FileAnalysis, lt: number, nonIPv4: number, total: number): void {
  expect(a.error).toBeUndefined();
  expect(a.linkTypes).toEqual([lt]);
  expect(a.packets).toBe(total);
  expect(sortFlows(a.flows)).toEqual(sortFlows([ipipFlow(2, 2 * len(lt, ipipPacket)), vxlanFlow(1, len(lt, vxlanPacket)), plainFlow(1, len(lt, plainPacket))]));
  expect(a.skipped).toEqual({ truncated: 0, fragments: 0, nonIPv4, malformed: 0 });
}

describe("classic pcap", () => {
  for (const littleEndian of [true, false])
    for (const nanosecond of [false, true])
      for (const lt of ALL_LINK_TYPES)
        test(`${littleEndian ? "LE" : "BE"} ${nanosecond ? "ns" : "µs"} link type ${lt}`, async () => {
          const { frames, nonIPv4 } = mixedFrames(lt);
          const a = await analyzeBytes(pcapFile({ littleEndian, nanosecond, linkType: lt }, frames.map((data) => ({ data }))));
          expect(a.format).toBe("pcap");
          expectMixed(a, lt, nonIPv4, frames.length);
        });

  test("bytes are wire lengths, not captured lengths (snap length cut after the inner header)", async () => {
    const data = ethernet(ETHERTYPE.IPV4, ipipPacket).subarray(0, 14 + 20 + 20);
    const a = await analyzeBytes(pcapFile({ linkType: 1, snaplen: 54 }, [{ data, wirelen: 1514 }, { data, wirelen: 1000 }]));
    expect(a.flows).toEqual([ipipFlow(2, 2514)]);
  });

  test("flows are listed most packets first", async () => {
    const recs = [plainPacket, ipipPacket, ipipPacket, vxlanPacket, ipipPacket, vxlanPacket].map((data) => ({ data }));
    const a = await analyzeBytes(pcapFile({ linkType: 101 }, recs));
    expect(a.flows.map((f) => [f.encapsulation, f.packets])).toEqual([
      ["ipip", 3],
      ["vxlan", 2],
      ["none", 1],
    ]);
  });
});

describe("pcapng", () => {
  for (const littleEndian of [true, false])
    for (const lt of ALL_LINK_TYPES)
      test(`${littleEndian ? "LE" : "BE"} link type ${lt} (EPB)`, async () => {
        const { frames, nonIPv4 } = mixedFrames(lt);
        const blocks: NgBlock[] = [{ kind: "shb", littleEndian }, { kind: "idb", linkType: lt, name: "eth0" }];
        for (const data of frames) blocks.push({ kind: "epb", iface: 0, data, comment: "hello" });
        const a = await analyzeBytes(pcapngFile(blocks));
        expect(a.format).toBe("pcapng");
        expectMixed(a, lt, nonIPv4, frames.length);
      });

  test("several interfaces with different link types in one section", async () => {
    const vlans: VlanTag[] = [{ tpid: 0x8100, vid: 100 }];
    const a = await analyzeBytes(
      pcapngFile([
        { kind: "shb" },
        { kind: "idb", linkType: 1 },
        { kind: "idb", linkType: 101 },
        { kind: "idb", linkType: 276 },
        { kind: "epb", iface: 0, data: ethernet(ETHERTYPE.IPV4, ipipPacket, vlans) },
        { kind: "epb", iface: 1, data: plainPacket },
        { kind: "epb", iface: 2, data: frame(276, ETHERTYPE.IPV4, vxlanPacket) },
        { kind: "epb", iface: 1, data: ipv6() },
        { kind: "epb", iface: 0, data: ethernet(ETHERTYPE.ARP, arp()) },
      ]),
    );
    expect(a.error).toBeUndefined();
    expect(a.linkTypes).toEqual([1, 101, 276]);
    expect(sortFlows(a.flows)).toEqual(sortFlows([ipipFlow(1, len(1, ipipPacket, vlans)), plainFlow(), vxlanFlow(1, len(276, vxlanPacket))]));
    expect(a.skipped.nonIPv4).toBe(2);
  });

  test("several sections with different byte orders; interfaces restart per section", async () => {
    const a = await analyzeBytes(
      pcapngFile([
        { kind: "shb", littleEndian: true },
        { kind: "idb", linkType: 1 },
        { kind: "epb", iface: 0, data: ethernet(ETHERTYPE.IPV4, ipipPacket) },
        { kind: "shb", littleEndian: false },
        { kind: "idb", linkType: 228 },
        { kind: "epb", iface: 0, data: vxlanPacket },
        { kind: "spb", data: plainPacket },
      ]),
    );
    expect(a.error).toBeUndefined();
    expect(a.linkTypes).toEqual([1, 228]);
    expect(sortFlows(a.flows)).toEqual(sortFlows([ipipFlow(1, len(1, ipipPacket)), vxlanFlow(), plainFlow()]));
  });

  test("simple packet blocks use interface 0 and its snap length; obsolete packet blocks are read", async () => {
    for (const littleEndian of [true, false]) {
      const a = await analyzeBytes(
        pcapngFile([
          { kind: "shb", littleEndian },
          { kind: "idb", linkType: 101, snaplen: 40 },
          { kind: "idb", linkType: 1 },
          { kind: "spb", data: ipipPacket }, // cut to 40 bytes: outer + inner header
          { kind: "spb", data: vxlanPacket }, // cut to 40 bytes: VXLAN not visible → truncated
          { kind: "pb", iface: 1, data: ethernet(ETHERTYPE.IPV4, plainPacket) },
        ]),
      );
      expect(a.error).toBeUndefined();
      expect(sortFlows(a.flows)).toEqual(sortFlows([ipipFlow(), plainFlow(1, len(1, plainPacket))]));
      expect(a.skipped.truncated).toBe(1);
    }
  });

  test("unknown, statistics and name-resolution blocks are skipped", async () => {
    const a = await analyzeBytes(
      pcapngFile([
        { kind: "shb" },
        { kind: "raw", type: 0x0bad, body: Buffer.from("custom stuff") },
        { kind: "idb", linkType: 101 },
        { kind: "raw", type: 4, body: Buffer.alloc(20) }, // NRB
        { kind: "epb", iface: 0, data: ipipPacket },
        { kind: "raw", type: 5, body: Buffer.alloc(12) }, // ISB
        { kind: "raw", type: 0x40000bad, body: Buffer.alloc(1000, 7) },
      ]),
    );
    expect(a.error).toBeUndefined();
    expect(a.flows).toEqual([ipipFlow()]);
  });
});

describe("headers", () => {
  const one = async (data: Uint8Array, lt = 1, wirelen?: number): Promise<FileAnalysis> =>
    analyzeBytes(pcapFile({ linkType: lt }, [{ data, wirelen }]));

  test("802.1Q, 802.1ad QinQ and 0x9100 stacks, on Ethernet and cooked headers", async () => {
    const stacks: VlanTag[][] = [
      [{ tpid: 0x8100, vid: 100 }],
      [
        { tpid: 0x88a8, vid: 200 },
        { tpid: 0x8100, vid: 300 },
      ],
      [
        { tpid: 0x9100, vid: 1 },
        { tpid: 0x88a8, vid: 2 },
        { tpid: 0x8100, vid: 3 },
      ],
    ];
    for (const lt of [1, 113, 276])
      for (const vlans of stacks) {
        const a = await one(frame(lt, ETHERTYPE.IPV4, ipipPacket, vlans), lt);
        expect(a.flows).toEqual([ipipFlow(1, len(lt, ipipPacket, vlans))]);
        const b = await one(frame(lt, ETHERTYPE.ARP, arp(), vlans), lt);
        expect(b.skipped.nonIPv4).toBe(1);
      }
  });

  test("a VLAN-tagged frame inside VXLAN", async () => {
    const inner = ethernet(ETHERTYPE.IPV4, innerTcp, [{ tpid: 0x8100, vid: 7 }]);
    const pkt = ipv4({ src: "10.1.5.10", dst: "10.1.5.11", protocol: 17, payload: udp(1, 4789, vxlanPayload(1, inner)) });
    const a = await one(ethernet(ETHERTYPE.IPV4, pkt));
    expect(a.flows).toEqual([vxlanFlow(1, pkt.length + 14, { outerSrcPort: 1, outerDstPort: 4789, vni: 1 })]);
  });

  test("IP options on the outer and the inner header (IHL honoured)", async () => {
    const opts = Buffer.from([0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00]); // router alert, NOPs
    const inner = ipv4({ src: "10.244.0.1", dst: "10.244.2.1", protocol: 1, options: opts, payload: icmpEcho() });
    const outer = ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, options: opts, payload: inner });
    expect(outer[0]).toBe(0x47);
    const a = await one(ethernet(ETHERTYPE.IPV4, outer));
    expect(a.flows).toEqual([ipipFlow(1, outer.length + 14)]);
    const v = ipv4({ src: "10.1.5.10", dst: "10.1.5.11", protocol: 17, options: Buffer.alloc(40, 1), payload: udp(1, 4789, vxlanPayload(1, ethernet(ETHERTYPE.IPV4, innerTcp))) });
    expect(v[0]).toBe(0x4f);
    expect((await one(ethernet(ETHERTYPE.IPV4, v))).flows).toEqual([vxlanFlow(1, v.length + 14, { outerSrcPort: 1, outerDstPort: 4789, vni: 1 })]);
    const plain = ipv4({ src: "10.244.0.1", dst: "10.244.1.1", protocol: 1, options: opts, payload: icmpEcho() });
    expect((await one(plain, 101)).flows).toEqual([plainFlow(1, plain.length)]);
  });

  test("UDP not to port 4789 is plain; UDP from port 4789 is plain", async () => {
    const p1 = ipv4({ src: "10.244.0.1", dst: "10.244.1.1", protocol: 17, payload: udp(4789, 53, Buffer.alloc(40)) });
    const a = await one(p1, 101);
    expect(a.flows[0].encapsulation).toBe("none");
    expect(a.flows[0].innerProtocol).toBe(17);
  });

  test("VXLAN flows are told apart by outer ports and VNI, and report them", async () => {
    const wrap = (sport: number, vni: number): Buffer =>
      ipv4({ src: "10.1.5.10", dst: "10.1.5.11", protocol: 17, payload: udp(sport, 4789, vxlanPayload(vni, ethernet(ETHERTYPE.IPV4, innerTcp))) });
    const pkts = [wrap(51234, 42), wrap(51234, 42), wrap(40000, 42), wrap(51234, 0xabcdef)];
    const a = await analyzeBytes(pcapFile({ linkType: 101 }, pkts.map((data) => ({ data }))));
    const size = pkts[0].length;
    expect(sortFlows(a.flows)).toEqual(
      sortFlows([
        vxlanFlow(2, 2 * size),
        vxlanFlow(1, size, { outerSrcPort: 40000, outerDstPort: 4789, vni: 42 }),
        vxlanFlow(1, size, { outerSrcPort: 51234, outerDstPort: 4789, vni: 0xabcdef }),
      ]),
    );
  });

  describe("VXLAN on a port other than 4789", () => {
    const vxlanTo = (port: number, payload: Buffer = vxlanPayload(4096, ethernet(ETHERTYPE.IPV4, innerTcp))): Buffer =>
      ipv4({ src: "10.1.5.10", dst: "10.1.5.11", protocol: 17, payload: udp(33333, port, payload) });
    const on8472 = { outerSrcPort: 33333, outerDstPort: 8472, vni: 4096 };

    test("is recognised when it cannot be anything else, with its port and VNI", async () => {
      const pkt = vxlanTo(8472);
      expect((await one(pkt, 101)).flows).toEqual([vxlanFlow(1, pkt.length, on8472)]);
      const tagged = vxlanTo(8472, vxlanPayload(4096, ethernet(ETHERTYPE.IPV4, innerTcp, [{ tpid: 0x8100, vid: 9 }])));
      expect((await one(tagged, 101)).flows).toEqual([vxlanFlow(1, tagged.length, on8472)]);
    });

    test("an inner frame padded to Ethernet's 60-byte minimum still fits", async () => {
      const small = ipv4({ src: "10.244.0.1", dst: "10.244.1.1", protocol: 6, payload: Buffer.alloc(0) });
      const padded = Buffer.concat([ethernet(ETHERTYPE.IPV4, small), Buffer.alloc(60 - 14 - small.length)]);
      const pkt = vxlanTo(8472, vxlanPayload(4096, padded));
      expect((await one(pkt, 101)).flows).toEqual([{ ...vxlanFlow(1, pkt.length, on8472) }]);
    });

    test("anything short of unmistakable stays plain UDP", async () => {
      const good = vxlanPayload(4096, ethernet(ETHERTYPE.IPV4, innerTcp));
      const variant = (change: (b: Buffer) => void): Buffer => {
        const b = Buffer.from(good);
        change(b);
        return b;
      };
      const payloads: [string, Buffer][] = [
        ["flags other than I", variant((b) => (b[0] = 0x0c))],
        ["a reserved byte set", variant((b) => (b[2] = 1))],
        ["the last reserved byte set", variant((b) => (b[7] = 1))],
        ["inner IPv4 shorter than the datagram", Buffer.concat([good, Buffer.alloc(4)])],
        ["inner frame not IPv4", vxlanPayload(4096, ethernet(ETHERTYPE.ARP, arp()))],
        ["zeros", Buffer.alloc(good.length)],
      ];
      for (const [what, payload] of payloads) {
        const a = await one(vxlanTo(8472, payload), 101);
        expect([what, a.flows.map((f) => [f.encapsulation, f.innerProtocol])]).toEqual([what, [["none", 17]]]);
      }
      // UDP length that does not match the IPv4 datagram
      const lying = vxlanTo(8472);
      lying.writeUInt16BE(lying.readUInt16BE(24) - 1, 24);
      expect((await one(lying, 101)).flows.map((f) => f.encapsulation)).toEqual(["none"]);
      // cut by the snap length before the inner header: cannot be told, so plain
      const pkt = vxlanTo(8472);
      expect((await one(pkt.subarray(0, 20 + 8 + 8 + 14 + 10), 101, pkt.length)).flows.map((f) => f.encapsulation)).toEqual(["none"]);
    });
  });

  test("VXLAN carrying ARP or IPv6 is not IPv4", async () => {
    for (const [type, body] of [
      [ETHERTYPE.ARP, arp()],
      [ETHERTYPE.IPV6, ipv6()],
    ] as const) {
      const pkt = ipv4({ src: "10.1.5.10", dst: "10.1.5.11", protocol: 17, payload: udp(1, 4789, vxlanPayload(1, ethernet(type, body))) });
      const a = await one(pkt, 101);
      expect(a.flows).toEqual([]);
      expect(a.skipped.nonIPv4).toBe(1);
    }
  });

  test("truncation at every cut point never invents an inner header", async () => {
    for (const [pkt, flow, lt] of [
      [ethernet(ETHERTYPE.IPV4, ipipPacket, [{ tpid: 0x88a8, vid: 1 }, { tpid: 0x8100, vid: 2 }]), ipipFlow, 1],
      [ethernet(ETHERTYPE.IPV4, vxlanPacket), vxlanFlow, 1],
      [frame(276, ETHERTYPE.IPV4, ipipPacket), ipipFlow, 276],
      [frame(113, ETHERTYPE.IPV4, vxlanPacket), vxlanFlow, 113],
      [ipipPacket, ipipFlow, 101],
    ] as const) {
      // The smallest prefix that still shows the whole inner IPv4 header (20 bytes).
      const innerEnd = flow === ipipFlow ? pkt.length - innerIcmp.length + 20 : pkt.length - innerTcp.length + 20;
      const recs: PacketRecord[] = [];
      for (let cut = 0; cut <= pkt.length; cut++) recs.push({ data: pkt.subarray(0, cut), wirelen: pkt.length });
      const a = await analyzeBytes(pcapFile({ linkType: lt }, recs));
      expect(a.error).toBeUndefined();
      expect(a.packets).toBe(pkt.length + 1);
      const full = pkt.length + 1 - innerEnd;
      expect(a.skipped).toEqual({ truncated: innerEnd, fragments: 0, nonIPv4: 0, malformed: 0 });
      const expected = flow === ipipFlow ? ipipFlow(full, full * pkt.length) : vxlanFlow(full, full * pkt.length);
      expect(a.flows).toEqual([expected]);
    }
  });

  test("fragments (MF set, or offset ≠ 0) are counted, never classified", async () => {
    const frags = [
      ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, mf: true, payload: innerIcmp }),
      ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, fragmentOffset: 185, payload: Buffer.alloc(40) }),
      ipv4({ src: "10.1.5.10", dst: "10.1.5.11", protocol: 17, mf: true, payload: udp(1, 4789, vxlanPayload(1, ethernet(ETHERTYPE.IPV4, innerTcp))) }),
      ipv4({ src: "10.244.0.1", dst: "10.244.1.1", protocol: 1, fragmentOffset: 1, payload: Buffer.alloc(8) }),
    ];
    const dfOnly = ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, df: true, payload: innerIcmp });
    const a = await analyzeBytes(pcapFile({ linkType: 101 }, [...frags, dfOnly].map((data) => ({ data }))));
    expect(a.skipped.fragments).toBe(4);
    expect(a.flows).toEqual([ipipFlow(1, dfOnly.length)]);
  });

  test("malformed IPv4 headers are counted, not classified", async () => {
    const bad = [
      ipv4({ src: "1.1.1.1", dst: "2.2.2.2", protocol: 1, ihl: 4, payload: icmpEcho() }),
      ipv4({ src: "1.1.1.1", dst: "2.2.2.2", protocol: 1, totalLength: 19, payload: icmpEcho() }),
      ipv4({ src: "1.1.1.1", dst: "2.2.2.2", protocol: 4, payload: ipv6() }), // protocol 4 but IPv6 inside
      ipv4({ src: "1.1.1.1", dst: "2.2.2.2", protocol: 4, totalLength: 30, payload: innerIcmp }), // datagram too short for the inner header
    ];
    const a = await analyzeBytes(pcapFile({ linkType: 1 }, bad.map((p) => ({ data: ethernet(ETHERTYPE.IPV4, p) }))));
    expect(a.skipped).toEqual({ truncated: 0, fragments: 0, nonIPv4: 0, malformed: 4 });
    const v = await analyzeBytes(pcapFile({ linkType: 228 }, [{ data: ipv6() }, { data: ipv4({ src: "1.1.1.1", dst: "2.2.2.2", protocol: 1, version: 5 }) }]));
    expect(v.skipped).toEqual({ truncated: 0, fragments: 0, nonIPv4: 1, malformed: 1 });
  });

  test("Ethernet padding after a short datagram does not count as inner bytes", async () => {
    // 20-byte outer + 8 bytes: too short for an inner header even though padding follows.
    const short = ipv4({ src: "1.1.1.1", dst: "2.2.2.2", protocol: 4, payload: Buffer.alloc(8) });
    const padded = Buffer.concat([ethernet(ETHERTYPE.IPV4, short), Buffer.from(innerIcmp)]);
    const a = await one(padded);
    expect(a.flows).toEqual([]);
    expect(a.skipped.malformed).toBe(1);
  });

  test("total length 0 (segmentation offload) uses the captured bytes", async () => {
    const tso = ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, totalLength: 0, payload: innerIcmp });
    expect((await one(ethernet(ETHERTYPE.IPV4, tso))).flows).toEqual([ipipFlow(1, tso.length + 14)]);
  });

  test("unsupported link types count as non-IPv4", async () => {
    const a = await one(ipipPacket, 147);
    expect(a.linkTypes).toEqual([147]);
    expect(a.skipped.nonIPv4).toBe(1);
  });
});

describe("bad files", () => {
  const good = pcapFile({ linkType: 101 }, [ipipPacket, plainPacket, vxlanPacket].map((data) => ({ data })));

  test("missing file", async () => {
    const a = await analyzeFile(path.join(dir, "does-not-exist.pcap"));
    expect(a.format).toBe("unknown");
    expect(a.error?.offset).toBe(0);
    expect(a.error?.message).toMatch(/cannot open: no such file or directory/);
  });

  test("a directory", async () => {
    const a = await analyzeFile(dir);
    expect(a.error?.message).toMatch(/cannot read: illegal operation on a directory/);
  });

  test("empty, too short, unknown magic", async () => {
    expect((await analyzeBytes(Buffer.alloc(0))).error).toEqual({ offset: 0, message: "the file is empty" });
    expect((await analyzeBytes(Buffer.from([0xd4, 0xc3]))).error?.message).toMatch(/2 bytes long/);
    const u = await analyzeBytes(Buffer.from("hello world, not a capture"));
    expect(u.format).toBe("unknown");
    expect(u.error?.message).toBe("not a pcap or pcapng file: it starts with bytes 68 65 6c 6c");
  });

  test("truncated pcap header, record header, record", async () => {
    const h = await analyzeBytes(good.subarray(0, 20));
    expect(h.format).toBe("pcap");
    expect(h.error).toEqual({ offset: 0, message: "the file ends inside the pcap file header (20 of 24 bytes)" });
    const rec2 = 24 + 16 + ipipPacket.length;
    const r = await analyzeBytes(good.subarray(0, rec2 + 10));
    expect(r.packets).toBe(1);
    expect(r.flows).toEqual([ipipFlow()]);
    expect(r.error).toEqual({ offset: rec2, message: "the file ends inside a packet record header (10 of 16 bytes)" });
    const d = await analyzeBytes(good.subarray(0, rec2 + 20));
    expect(d.error).toEqual({ offset: rec2, message: `the file ends inside a packet record: it holds ${plainPacket.length} captured bytes but only 4 follow` });
  });

  test("an implausible captured length is reported as corruption, with what came before", async () => {
    const bad = Buffer.from(good);
    const rec2 = 24 + 16 + ipipPacket.length;
    bad.writeUInt32LE(0x7fffffff, rec2 + 8);
    const a = await analyzeBytes(bad);
    expect(a.packets).toBe(1);
    expect(a.error?.offset).toBe(rec2);
    expect(a.error?.message).toMatch(/corrupt packet record: captured length 2147483647 exceeds/);
  });

  test("pcapng corruption: bad length, trailer mismatch, undefined interface, bad byte-order magic, version", async () => {
    const blocks: NgBlock[] = [{ kind: "shb" }, { kind: "idb", linkType: 101 }, { kind: "epb", iface: 0, data: ipipPacket }];
    const f = pcapngFile(blocks);
    const epbAt = 28 + 20;
    const lenBad = Buffer.from(f);
    lenBad.writeUInt32LE(13, epbAt + 4);
    expect((await analyzeBytes(lenBad)).error).toEqual({ offset: epbAt + 4, message: "corrupt block: total length 13 is not a multiple of 4 of at least 12" });
    const trailer = Buffer.from(f);
    trailer.writeUInt32LE(999, f.length - 4);
    const t = await analyzeBytes(trailer);
    expect(t.error).toEqual({ offset: f.length - 4, message: `corrupt block: trailing length 999 differs from the leading ${f.length - epbAt}` });
    expect(t.packets).toBe(0);
    const iface = pcapngFile([...blocks, { kind: "epb", iface: 3, data: plainPacket }]);
    const i = await analyzeBytes(iface);
    expect(i.packets).toBe(1);
    expect(i.error).toEqual({ offset: f.length, message: "corrupt enhanced packet block: interface 3 is not defined (the section has 1)" });
    const bom = Buffer.from(f);
    bom.writeUInt32LE(0x12345678, 8);
    expect((await analyzeBytes(bom)).error?.message).toBe("corrupt section header block: byte-order magic 78 56 34 12");
    const v2 = await analyzeBytes(pcapngFile([{ kind: "shb", major: 2 }, ...blocks.slice(1)]));
    expect(v2.error).toEqual({ offset: 12, message: "unsupported pcapng version 2.0 (only 1.x is defined)" });
    const cut = await analyzeBytes(f.subarray(0, f.length - 3));
    expect(cut.error?.offset).toBe(epbAt);
    expect(cut.error?.message).toMatch(/the file ends inside a block of type 6/);
    const capTooBig = Buffer.from(f);
    capTooBig.writeUInt32LE(1000, epbAt + 20);
    expect((await analyzeBytes(capTooBig)).error?.message).toMatch(/captured length 1000 does not fit in a block/);
  });
});

describe("streaming", () => {
  test("records and blocks larger than the read buffer are classified and skipped on disk", async () => {
    const big = ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, payload: ipv4({ src: "10.244.0.1", dst: "10.244.2.1", protocol: 1, payload: Buffer.alloc(60000) }) });
    const recs = [big, plainPacket, big, ipipPacket].map((data) => ({ data }));
    const classic = pcapFile({ linkType: 101 }, recs);
    const ng = pcapngFile([
      { kind: "shb", littleEndian: false },
      { kind: "idb", linkType: 101 },
      { kind: "raw", type: 0x0bad, body: Buffer.alloc(10000) },
      ...recs.map((r): NgBlock => ({ kind: "epb", iface: 0, data: r.data })),
      { kind: "spb", data: big },
    ]);
    for (const bytes of [classic, ng])
      for (const chunkSize of [4096, 5000, 65536, undefined]) {
        const a = await analyzeBytes(bytes, chunkSize);
        expect(a.error).toBeUndefined();
        const bigFlows = a.flows.filter((f) => f.encapsulation === "ipip");
        expect(bigFlows.reduce((s, f) => s + f.packets, 0)).toBe(bytes === ng ? 4 : 3);
        expect(a.flows.find((f) => f.encapsulation === "none")).toEqual(plainFlow());
      }
    // A big record cut short is a truncation error, not a packet.
    const cut = await analyzeBytes(classic.subarray(0, 24 + 16 + 30000), 4096);
    expect(cut.packets).toBe(0);
    expect(cut.error).toEqual({ offset: 24, message: `the file ends inside a packet record: it holds ${big.length} captured bytes but only 30000 follow` });
  });

  test("any chunk size asked for is clamped, never a throw", async () => {
    const f = pcapFile({ linkType: 101 }, [{ data: ipipPacket }]);
    for (const chunkSize of [NaN, -5, 0, 1, Infinity, 1e12]) expect((await analyzeBytes(f, chunkSize || undefined)).flows).toEqual([ipipFlow()]);
    const file = path.join(dir, "clamp.pcap");
    fs.writeFileSync(file, f);
    for (const chunkSize of [NaN, -5, 0, Infinity, 1e12]) expect((await analyzeFile(file, { chunkSize })).flows).toEqual([ipipFlow()]);
  });

  test("the result does not depend on the chunk size", async () => {
    const recs: PacketRecord[] = [];
    for (let i = 0; i < 3000; i++) {
      const p = [ipipPacket, vxlanPacket, plainPacket][i % 3];
      recs.push({ data: ethernet(ETHERTYPE.IPV4, p).subarray(0, 14 + (i % 97) * 3), wirelen: 1500 });
    }
    const f = pcapFile({ linkType: 1, littleEndian: false, nanosecond: true }, recs);
    const ref = await analyzeBytes(f);
    for (const chunkSize of [4096, 4099, 10000, 123457]) {
      const a = await analyzeBytes(f, chunkSize);
      expect({ ...a, file: "" }).toEqual({ ...ref, file: "" });
    }
  });

  test("every buffer boundary position inside records and blocks reads the same", async () => {
    const recs: PacketRecord[] = [];
    for (let i = 0; i < 60; i++) recs.push({ data: ethernet(ETHERTYPE.IPV4, [ipipPacket, vxlanPacket, plainPacket][i % 3]) });
    const files = [
      pcapFile({ linkType: 1 }, recs),
      pcapngFile([{ kind: "shb", littleEndian: false }, { kind: "idb", linkType: 1 }, ...recs.map((r): NgBlock => ({ kind: "epb", iface: 0, data: r.data }))]),
    ];
    for (const f of files) {
      expect(f.length).toBeGreaterThan(4096 + 300);
      const ref = await analyzeBytes(f);
      expect(ref.packets).toBe(60);
      for (let chunkSize = 4096; chunkSize < 4096 + 300; chunkSize++) {
        const a = await analyzeBytes(f, chunkSize);
        expect(a.flows).toEqual(ref.flows);
        expect(a.error).toBeUndefined();
      }
    }
  });

  test("many distinct flows (table growth) are all kept", async () => {
    const recs: PacketRecord[] = [];
    for (let i = 0; i < 5000; i++) {
      const src = `10.${(i >> 8) & 255}.${i & 255}.1`;
      recs.push({ data: ipv4({ src, dst: "10.244.0.1", protocol: 6, payload: tcp(1, 2) }) });
      if (i % 2 === 0) recs.push({ data: ipv4({ src, dst: "10.244.0.1", protocol: 6, payload: tcp(1, 2) }) });
    }
    const a = await analyzeBytes(pcapFile({ linkType: 101 }, recs));
    expect(a.flows.length).toBe(5000);
    expect(a.flows.reduce((s, f) => s + f.packets, 0)).toBe(7500);
    expect(a.flows.filter((f) => f.packets === 2).length).toBe(2500);
    expect(a.flows[0].packets).toBe(2);
  });
});
