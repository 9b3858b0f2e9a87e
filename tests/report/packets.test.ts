import * as fc from "fast-check";
import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { ETHERTYPE, ethernet, icmpEcho, ipv4, pcapFile, pcapngFile, sll2, tcp, udp, vxlanPayload } from "../pcap/pcapWriter";
import { analyzeFile, Classifier } from "../../analysis";
import { parsePacket, samplePcap, tunnelOverhead } from "../../report/packets";
import { scenarioPackets, writeScenarioPcap } from "./fixtures";

const inner = (payload: Buffer, protocol = 1): Buffer => ipv4({ src: "10.244.0.1", dst: "10.244.0.129", protocol, payload });
const ipip = (pkt: Buffer, options?: Uint8Array): Buffer => ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, payload: pkt, options });
const parse = (frame: Buffer, linkType = 1, caplen = frame.length) => parsePacket(frame, 0, caplen, frame.length, linkType);

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "report-packets-"));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("parsePacket", () => {
  it("takes an IPIP ping apart: outer Ethernet 14 | outer IPv4 20 | inner IPv4 20 | ICMP 8 | payload 56", () => {
    const h = parse(ethernet(ETHERTYPE.IPV4, ipip(inner(icmpEcho(1, 1, 56)))))!;
    expect(h.encapsulation).toBe("ipip");
    expect(h.linkHeader).toBe(14);
    expect(h.outer).toEqual({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4, headerLength: 20, totalLength: 104 });
    expect(h.inner).toMatchObject({ src: "10.244.0.1", dst: "10.244.0.129", protocol: 1, headerLength: 20, totalLength: 84 });
    expect(h.l4).toEqual({ name: "ICMP", headerLength: 8 });
    expect(h.payload).toBe(56);
    expect(h.layers.map((l) => [l.kind, l.name, l.bytes])).toEqual([
      ["link", "outer Ethernet", 14],
      ["outer-ipv4", "outer IPv4", 20],
      ["ipv4", "inner IPv4", 20],
      ["l4", "ICMP", 8],
      ["payload", "payload", 56],
    ]);
    expect(h.wireLength).toBe(118);
  });

  it("reads header lengths from the packet: outer IP options, TCP options", () => {
    // A TCP header with data offset 8 words (32 bytes: 12 bytes of options) and 100 bytes of data.
    const seg = Buffer.alloc(32 + 100);
    tcp(40000, 80, 0).copy(seg, 0);
    seg[12] = 8 << 4;
    const h = parse(ethernet(ETHERTYPE.IPV4, ipip(inner(seg, 6), new Uint8Array([1, 1, 1, 0]))))!;
    expect(h.outer!.headerLength).toBe(24);
    expect(h.l4).toEqual({ name: "TCP", headerLength: 32 });
    expect(h.payload).toBe(100);
    expect(h.layers.map((l) => l.bytes)).toEqual([14, 24, 20, 32, 100]);
    expect(tunnelOverhead(h.layers)).toBe(24);
  });

  it("takes a plain packet apart (no outer header)", () => {
    const h = parse(ethernet(ETHERTYPE.IPV4, inner(tcp(80, 40000, 853), 6)))!;
    expect(h.encapsulation).toBe("none");
    expect(h.outer).toBeNull();
    expect(h.layers.map((l) => [l.name, l.bytes])).toEqual([
      ["Ethernet", 14],
      ["IPv4", 20],
      ["TCP", 20],
      ["payload", 853],
    ]);
  });

  it("takes VXLAN apart: outer Ethernet 14 | outer IPv4 20 | UDP 8 | VXLAN 8 | inner Ethernet 14 | inner IPv4, with its ports and VNI", () => {
    const frame = ethernet(ETHERTYPE.IPV4, inner(icmpEcho(1, 1, 56)));
    const outer = ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 17, payload: udp(5555, 4789, vxlanPayload(4096, frame)) });
    const h = parse(ethernet(ETHERTYPE.IPV4, outer))!;
    expect(h.encapsulation).toBe("vxlan");
    expect(h.vxlan).toEqual({ srcPort: 5555, dstPort: 4789, vni: 4096 });
    expect(tunnelOverhead(h.layers)).toBe(50);
    expect(h.layers.map((l) => [l.kind, l.bytes])).toEqual([
      ["link", 14],
      ["outer-ipv4", 20],
      ["outer-udp", 8],
      ["vxlan", 8],
      ["inner-ethernet", 14],
      ["ipv4", 20],
      ["l4", 8],
      ["payload", 56],
    ]);
  });

  it("handles VLAN tags, cooked (SLL2) and raw link types; the link header is never tunnel overhead", () => {
    const pkt = ipip(inner(icmpEcho(1, 1, 56)));
    const tagged = parse(ethernet(ETHERTYPE.IPV4, pkt, [{ tpid: 0x8100, vid: 5 }]))!;
    expect(tagged.linkHeader).toBe(18);
    expect(tagged.layers[0]).toEqual({ kind: "link", name: "outer Ethernet", bytes: 18 });
    const cooked = parse(sll2(0x0800, pkt), 276)!;
    expect([cooked.linkHeader, cooked.layers[0].name]).toEqual([20, "outer Linux cooked"]);
    const raw = parse(Buffer.from(pkt), 101)!;
    expect(raw.linkHeader).toBe(0);
    expect(raw.layers[0].kind).toBe("outer-ipv4");
    expect(raw.payload).toBe(56);
    for (const h of [tagged, cooked, raw]) expect(tunnelOverhead(h.layers)).toBe(20);
  });

  it("takes lengths from the headers when the capture was cut short (snap length)", () => {
    const frame = ethernet(ETHERTYPE.IPV4, ipip(inner(icmpEcho(1, 1, 1000))));
    const h = parse(frame, 1, 14 + 20 + 20 + 8)!;
    expect(h.payload).toBe(1000);
    expect(h.inner.totalLength).toBe(1028);
  });

  it("measures offloaded super-packets (total length 0) by their wire length", () => {
    const pkt = inner(tcp(80, 40000, 3000), 6);
    pkt.writeUInt16BE(0, 2);
    const h = parse(ethernet(ETHERTYPE.IPV4, pkt))!;
    expect(h.payload).toBe(3000);
  });

  it("returns null for what is not a complete IPv4 packet", () => {
    expect(parse(ethernet(ETHERTYPE.ARP, Buffer.alloc(28)))).toBeNull();
    expect(parse(ethernet(ETHERTYPE.IPV4, inner(icmpEcho()).subarray(0, 10)))).toBeNull();
    expect(parse(ethernet(ETHERTYPE.IPV4, ipv4({ src: "1.1.1.1", dst: "2.2.2.2", protocol: 1, mf: true, payload: icmpEcho() })))).toBeNull();
    expect(parse(Buffer.from(inner(icmpEcho())), 999)).toBeNull();
    expect(parse(ethernet(ETHERTYPE.IPV4, Buffer.alloc(10)), 1, 5)).toBeNull();
  });
});

describe("parsePacket and the analysis read a frame alike", () => {
  /** What the analysis' classifier made of one frame: its flow, or null when it skipped it. */
  const classify = (frame: Buffer, caplen: number) => {
    const c = new Classifier();
    c.packet(frame, 0, caplen, frame.length, 1);
    const [f] = c.flows.list();
    return f ? [f.encapsulation, f.outerSrc, f.outerDst, f.innerSrc, f.innerDst, f.innerProtocol] : null;
  };
  const sampled = (frame: Buffer, caplen: number) => {
    const h = parse(frame, 1, caplen);
    return h ? [h.encapsulation, h.outer?.src ?? null, h.outer?.dst ?? null, h.inner.src, h.inner.dst, h.inner.protocol] : null;
  };

  it("samples a packet exactly when the classifier counts it, as the same flow (cut and corrupted frames too)", () => {
    const frames = [
      ethernet(ETHERTYPE.IPV4, ipip(inner(icmpEcho(1, 1, 56)))),
      ethernet(ETHERTYPE.IPV4, ipv4({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 17, payload: udp(5555, 8472, vxlanPayload(1, ethernet(ETHERTYPE.IPV4, inner(icmpEcho(1, 1, 30))))) })),
      ethernet(ETHERTYPE.IPV4, inner(tcp(80, 40000, 100), 6), [{ tpid: 0x8100, vid: 5 }]),
      // An IPIP packet whose inner datagram is a fragment: counted by its inner addresses.
      ethernet(ETHERTYPE.IPV4, ipip(ipv4({ src: "10.244.0.1", dst: "10.244.0.129", protocol: 1, mf: true, payload: icmpEcho() }))),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...frames), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), (base, cut, at, byte) => {
        const frame = Buffer.from(base);
        frame[at % frame.length] = byte;
        const caplen = 1 + (cut % frame.length);
        expect(sampled(frame, caplen)).toEqual(classify(frame, caplen));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("samplePcap", () => {
  it("gives one sample per flow between the two pods, the largest payload, with the analysis' packet counts", async () => {
    const file = path.join(dir, "cross.pcap");
    await writeScenarioPcap(file, "10.244.0.1", "10.244.0.129", { src: "10.1.5.10", dst: "10.1.8.10" });
    const s = await samplePcap(file, ["10.244.0.1", "10.244.0.129"]);
    expect(s.exists).toBe(true);
    expect(s.error).toBeUndefined();
    expect(s.packets).toBe(13);
    expect(s.flows.map((f) => [f.innerSrc, f.innerDst, f.protocol, f.packets, f.sample.payload])).toEqual([
      ["10.244.0.1", "10.244.0.129", 6, 4, 78],
      ["10.244.0.1", "10.244.0.129", 1, 3, 56],
      ["10.244.0.129", "10.244.0.1", 1, 3, 56],
      ["10.244.0.129", "10.244.0.1", 6, 2, 853],
    ]);
    expect(s.flows.every((f) => f.encapsulation === "ipip")).toBe(true);
    expect(s.flows[3]).toMatchObject({ outerSrc: "10.1.8.10", outerDst: "10.1.5.10" });
    // every packet's 20 bytes of outer IPv4, and its length on the wire
    expect(s.flows.map((f) => f.overheadBytes)).toEqual(s.flows.map((f) => 20 * f.packets));
    // Agrees with the analysis' own flow table.
    const a = await analyzeFile(file);
    for (const f of s.flows) {
      const g = a.flows.find((x) => x.innerSrc === f.innerSrc && x.innerDst === f.innerDst && x.innerProtocol === f.protocol)!;
      expect([g.encapsulation, g.outerSrc, g.outerDst, g.packets, g.bytes]).toEqual([f.encapsulation, f.outerSrc, f.outerDst, f.packets, f.bytes]);
    }
  });

  it("leaves out flows between other addresses", async () => {
    const file = path.join(dir, "other.pcap");
    const frames = [...scenarioPackets("10.244.0.1", "10.244.0.65", null), ...scenarioPackets("10.9.0.1", "10.9.0.2", null)];
    await fsp.writeFile(file, pcapFile({ linkType: 1 }, frames.map((data) => ({ data }))));
    const s = await samplePcap(file, ["10.244.0.65", "10.244.0.1"]);
    expect(s.packets).toBe(26);
    expect(s.flows).toHaveLength(4);
    expect((await samplePcap(file)).flows).toHaveLength(8);
  });

  it("reads pcapng too", async () => {
    const file = path.join(dir, "x.pcapng");
    const data = ethernet(ETHERTYPE.IPV4, ipip(inner(icmpEcho(1, 1, 56))));
    await fsp.writeFile(file, pcapngFile([{ kind: "shb" }, { kind: "idb", linkType: 1 }, { kind: "epb", iface: 0, data }]));
    const s = await samplePcap(file);
    expect(s.flows).toHaveLength(1);
    expect(s.flows[0].sample.layers.map((l) => l.bytes)).toEqual([14, 20, 20, 8, 56]);
  });

  it("says when the file is not there, and reports a damaged one with what it could read", async () => {
    expect(await samplePcap(path.join(dir, "nope.pcap"))).toEqual({ file: path.join(dir, "nope.pcap"), exists: false, packets: 0, flows: [] });
    const file = path.join(dir, "cut.pcap");
    const whole = pcapFile({ linkType: 1 }, scenarioPackets("10.244.0.1", "10.244.0.65", null).map((data) => ({ data })));
    await fsp.writeFile(file, whole.subarray(0, whole.length - 10));
    const s = await samplePcap(file);
    expect(s.exists).toBe(true);
    expect(s.error).toMatch(/ends inside a packet record/);
    expect(s.packets).toBe(12);
  });
});
