/**
 * Per-packet header details for the report's header-stack pictures: for each flow
 * between two pods, one packet (the one carrying the most payload) taken apart into
 * [outer] Ethernet | outer IPv4 | [UDP | VXLAN | inner Ethernet] | inner IPv4 | L4 |
 * payload, with every length read from the packet itself; and, over all its packets,
 * the bytes on the wire and the bytes the tunnel added.
 *
 * Built on the analysis' streaming reader and its decoder (`readCapture`, `decodeFrame`):
 * the classifier counts flows, this sink measures the headers the decoder located.
 */
import { promises as fsp } from "fs";
import { decodeFrame, DECODED, ENC_IPIP, ENC_VXLAN, Frame, LinkType, ipToString, readCapture, readU16, readU32, vxlanVni } from "../analysis";
import type { PacketSink } from "../analysis";
import type { Encapsulation } from "../model/spec";

export type LayerKind = "link" | "outer-ipv4" | "outer-udp" | "vxlan" | "inner-ethernet" | "ipv4" | "l4" | "payload";

export interface HeaderLayer {
  kind: LayerKind;
  /** Short name shown in the picture: "outer IPv4", "TCP", "payload". */
  name: string;
  bytes: number;
}

export interface PacketHeaders {
  /** 1-based position of the packet in the file. */
  index: number;
  encapsulation: Encapsulation;
  /** Bytes of link-layer framing before the first IPv4 header (Ethernet 14, VLAN tags, cooked headers). */
  linkHeader: number;
  /** The outer datagram (null when not encapsulated). */
  outer: { src: string; dst: string; protocol: number; headerLength: number; totalLength: number } | null;
  /** VXLAN only: the outer UDP ports and the network identifier. */
  vxlan?: { srcPort: number; dstPort: number; vni: number };
  /** The pod-to-pod datagram (for "none", the packet itself). */
  inner: { src: string; dst: string; protocol: number; headerLength: number; totalLength: number };
  /** L4 name (TCP, UDP, ICMP or `IP proto N`) and header length (0 when unknown). */
  l4: { name: string; headerLength: number };
  payload: number;
  /** Original length on the wire, link header included. */
  wireLength: number;
  /**
   * The frame's layers in order, from the link header (when the capture has one) to the
   * end of the outermost datagram: bytes add up to the link header plus the outermost
   * IPv4 total length (the wire length, less any Ethernet padding).
   */
  layers: HeaderLayer[];
}

/**
 * What the tunnel added to a packet: its layers between the link header and the pod's
 * IPv4 header (IPIP: the outer IPv4 header; VXLAN: outer IPv4, UDP, VXLAN and the inner
 * Ethernet header). The outer frame's Ethernet header is not counted: a plain packet has
 * one too, so on the wire and against the MTU the cost is the same.
 */
export function tunnelOverhead(layers: readonly HeaderLayer[]): number {
  const inner = layers.findIndex((l) => l.kind === "ipv4");
  return layers.slice(0, inner < 0 ? 0 : inner).reduce((n, l) => (l.kind === "link" ? n : n + l.bytes), 0);
}

export interface FlowSample {
  encapsulation: Encapsulation;
  outerSrc: string | null;
  outerDst: string | null;
  innerSrc: string;
  innerDst: string;
  protocol: number;
  packets: number;
  /** All its packets' lengths on the wire. */
  bytes: number;
  /** All its packets' tunnel overhead (tunnelOverhead of each). */
  overheadBytes: number;
  /** The flow's packet with the largest payload (the first of equals). */
  sample: PacketHeaders;
}

export interface PcapSamples {
  file: string;
  /** False when there is no file at `file` (the capture ran elsewhere, or it was removed). */
  exists: boolean;
  /** Packet records read. */
  packets: number;
  /** Flows between the two addresses asked for (all IPv4 flows when none were given), busiest first. */
  flows: FlowSample[];
  /** Why the file could not be read to its end, if it could not. */
  error?: string;
}

const L4_NAMES: Record<number, string> = { 1: "ICMP", 6: "TCP", 17: "UDP" };

export function protocolName(protocol: number): string {
  return L4_NAMES[protocol] ?? `IP proto ${protocol}`;
}

interface Ipv4Header {
  src: string;
  dst: string;
  protocol: number;
  headerLength: number;
  totalLength: number;
}

/** The fields of the IPv4 header the decoder found at p; `room` measures the datagram when its total length is 0 (offload). */
function ipv4At(b: Uint8Array, p: number, room: number): Ipv4Header {
  const total = readU16(b, p + 2);
  return { src: ipToString(readU32(b, p + 12)), dst: ipToString(readU32(b, p + 16)), protocol: b[p + 9], headerLength: (b[p] & 15) * 4, totalLength: total === 0 ? room : total };
}

function l4HeaderLength(b: Uint8Array, p: number, end: number, protocol: number, room: number): number {
  switch (protocol) {
    case 6: {
      const off = p + 12 < end ? (b[p + 12] >> 4) * 4 : 20;
      return Math.min(Math.max(off, 20), room);
    }
    case 1:
    case 17:
      return Math.min(8, room);
    default:
      return 0;
  }
}

/**
 * Takes one captured frame apart, as the analysis' decoder reads it (so the pictures
 * show the packets the verdicts counted); null when the decoder counts it as skipped.
 */
export function parsePacket(b: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number, index = 1): PacketHeaders | null {
  const f = new Frame();
  if (decodeFrame(b, off, caplen, linkType, f) !== DECODED) return null;
  const { ip, end } = f;
  const linkHeader = ip - off;
  const first = ipv4At(b, ip, Math.max(0, wirelen - linkHeader));
  const base = { index, linkHeader, wireLength: wirelen };
  const linkName = linkType === LinkType.LINUX_SLL || linkType === LinkType.LINUX_SLL2 ? "Linux cooked" : "Ethernet";
  const link = (encapsulated: boolean): HeaderLayer[] => (linkHeader > 0 ? [{ kind: "link", name: encapsulated ? `outer ${linkName}` : linkName, bytes: linkHeader }] : []);

  if (f.encapsulation === ENC_IPIP) {
    const inner = ipv4At(b, f.inner, first.totalLength - first.headerLength);
    return finish({ ...base, encapsulation: "ipip", outer: first }, [...link(true), { kind: "outer-ipv4", name: "outer IPv4", bytes: first.headerLength }], b, f.inner, end, inner);
  }
  if (f.encapsulation === ENC_VXLAN) {
    const { udp, inner: q } = f;
    const eth = udp + 16;
    const inner = ipv4At(b, q, first.totalLength - (q - ip));
    const layers: HeaderLayer[] = [
      ...link(true),
      { kind: "outer-ipv4", name: "outer IPv4", bytes: first.headerLength },
      { kind: "outer-udp", name: "UDP", bytes: 8 },
      { kind: "vxlan", name: "VXLAN", bytes: 8 },
      { kind: "inner-ethernet", name: "inner Ethernet", bytes: q - eth },
    ];
    const vxlan = { srcPort: readU16(b, udp), dstPort: readU16(b, udp + 2), vni: vxlanVni(b, udp) };
    return finish({ ...base, encapsulation: "vxlan", outer: first, vxlan }, layers, b, q, end, inner);
  }
  return finish({ ...base, encapsulation: "none", outer: null }, link(false), b, ip, end, first);
}

function finish(
  head: Pick<PacketHeaders, "index" | "linkHeader" | "wireLength" | "encapsulation" | "outer" | "vxlan">,
  layers: HeaderLayer[],
  b: Uint8Array,
  p: number,
  end: number,
  inner: Ipv4Header,
): PacketHeaders {
  const room = Math.max(0, inner.totalLength - inner.headerLength);
  const l4len = l4HeaderLength(b, p + inner.headerLength, end, inner.protocol, room);
  const payload = Math.max(0, room - l4len);
  const l4 = { name: protocolName(inner.protocol), headerLength: l4len };
  const all: HeaderLayer[] = [...layers, { kind: "ipv4", name: head.encapsulation === "none" ? "IPv4" : "inner IPv4", bytes: inner.headerLength }];
  if (l4len > 0) all.push({ kind: "l4", name: l4.name, bytes: l4len });
  all.push({ kind: "payload", name: "payload", bytes: payload });
  return { ...head, inner, l4, payload, layers: all };
}

/** Collects one sample per flow; with `between` set, only flows between those two addresses. */
export class HeaderSampler implements PacketSink {
  packets = 0;
  private readonly flows = new Map<string, FlowSample>();

  constructor(private readonly between?: readonly [string, string]) {}

  packet(b: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number): void {
    this.packets++;
    const h = parsePacket(b, off, caplen, wirelen, linkType, this.packets);
    if (!h) return;
    if (this.between) {
      const [x, y] = this.between;
      const { src, dst } = h.inner;
      if (!((src === x && dst === y) || (src === y && dst === x))) return;
    }
    const key = [h.encapsulation, h.outer?.src ?? "", h.outer?.dst ?? "", h.inner.src, h.inner.dst, h.inner.protocol].join("|");
    const overhead = tunnelOverhead(h.layers);
    const flow = this.flows.get(key);
    if (!flow) {
      this.flows.set(key, {
        encapsulation: h.encapsulation,
        outerSrc: h.outer?.src ?? null,
        outerDst: h.outer?.dst ?? null,
        innerSrc: h.inner.src,
        innerDst: h.inner.dst,
        protocol: h.inner.protocol,
        packets: 1,
        bytes: wirelen,
        overheadBytes: overhead,
        sample: h,
      });
      return;
    }
    flow.packets++;
    flow.bytes += wirelen;
    flow.overheadBytes += overhead;
    if (h.payload > flow.sample.payload) flow.sample = h;
  }

  /** Busiest first; ties keep the order of first appearance. */
  list(): FlowSample[] {
    return [...this.flows.values()].map((f, i) => ({ f, i })).sort((a, b) => b.f.packets - a.f.packets || a.i - b.i).map((x) => x.f);
  }
}

/**
 * Samples the capture at `file`. Never throws: a missing file gives `exists: false`, an
 * unreadable or damaged one what could be read plus `error`.
 */
export async function samplePcap(file: string, between?: readonly [string, string]): Promise<PcapSamples> {
  try {
    await fsp.access(file);
  } catch {
    return { file, exists: false, packets: 0, flows: [] };
  }
  const sampler = new HeaderSampler(between);
  const read = await readCapture(file, sampler);
  const result: PcapSamples = { file, exists: true, packets: sampler.packets, flows: sampler.list() };
  if (read.error) result.error = `${read.error.message} (at byte ${read.error.offset})`;
  return result;
}
