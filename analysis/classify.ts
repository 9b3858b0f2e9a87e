/**
 * Per-packet classification (ipip / vxlan / none) and flow accounting.
 *
 * Hot path: called once per packet with the reader's reusable buffer, so it allocates
 * nothing — it reads bytes by index, keeps IPv4 addresses as unsigned 32-bit numbers and
 * counts into a typed-array hash table. Strings are made only when the flows are listed.
 */
import type { Encapsulation } from "../lab/spec";
import type { Flow, Skipped } from "./types";

/** Link types (LINKTYPE_* values as written in pcap/pcapng files) the classifier decodes. */
export const LinkType = {
  ETHERNET: 1,
  /** DLT_RAW as some systems write it (12 on most BSDs, 14 on OpenBSD). */
  RAW_12: 12,
  RAW_14: 14,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  LINUX_SLL2: 276,
} as const;

export const SUPPORTED_LINK_TYPES: readonly number[] = Object.values(LinkType);

/** UDP destination port of VXLAN (IANA). */
export const VXLAN_PORT = 4789;

/**
 * The classifier never looks past this many bytes of a frame. Every header it needs fits
 * well inside; the bound makes the result independent of how the reader chunks the file
 * (a record bigger than the read buffer is classified from its first bytes).
 */
export const HEAD_LIMIT = 2048;

/** Encapsulation codes used inside the flow table. */
const ENC_NONE = 0;
const ENC_IPIP = 1;
const ENC_VXLAN = 2;
const ENC_NAMES: readonly Encapsulation[] = ["none", "ipip", "vxlan"];

/** Negative results of the header walkers. */
const TRUNCATED = -1;
const NON_IPV4 = -2;
const MALFORMED = -3;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_VLAN = 0x8100; // 802.1Q
const ETHERTYPE_QINQ = 0x88a8; // 802.1ad service tag
const ETHERTYPE_QINQ_OLD = 0x9100; // pre-standard stacked tag, still seen

/** Receives each packet record; `b` is only valid during the call. */
export interface PacketSink {
  packet(b: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number): void;
}

export function ipToString(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

function rd32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/**
 * Walks 802.1Q / 802.1ad tags (any depth) from `p`, where `ethertype` is the type field
 * just read. Returns the offset of the IPv4 header, or TRUNCATED / NON_IPV4 / MALFORMED.
 * `capEnd` is where the captured bytes end; `hardEnd` where the enclosing datagram ends
 * (running out of the datagram is malformed, running out of the capture is truncation).
 */
function etherPayload(b: Uint8Array, p: number, ethertype: number, capEnd: number, hardEnd: number): number {
  while (ethertype === ETHERTYPE_VLAN || ethertype === ETHERTYPE_QINQ || ethertype === ETHERTYPE_QINQ_OLD) {
    if (p + 4 > hardEnd) return MALFORMED;
    if (p + 4 > capEnd) return TRUNCATED;
    ethertype = (b[p + 2] << 8) | b[p + 3];
    p += 4;
  }
  return ethertype === ETHERTYPE_IPV4 ? p : NON_IPV4;
}

/** Open-addressing hash table of flows, keyed by five numbers, in typed arrays. */
export class FlowTable {
  private cap = 0;
  private mask = 0;
  /** Per slot: outerSrc, outerDst, innerSrc, innerDst, meta (0 = empty). */
  private keys = new Uint32Array(0);
  private pkts = new Float64Array(0);
  private byts = new Float64Array(0);
  private last = -1;
  size = 0;

  constructor(initialCapacity = 256) {
    this.alloc(initialCapacity);
  }

  private alloc(cap: number): void {
    this.cap = cap;
    this.mask = cap - 1;
    this.keys = new Uint32Array(cap * 5);
    this.pkts = new Float64Array(cap);
    this.byts = new Float64Array(cap);
    this.last = -1;
  }

  /** meta = 0x10000 | encapsulation << 8 | inner protocol: never 0, so 0 marks an empty slot. */
  add(enc: number, oSrc: number, oDst: number, iSrc: number, iDst: number, proto: number, bytes: number): void {
    const meta = 0x10000 | (enc << 8) | proto;
    const k = this.keys;
    // Consecutive packets mostly belong to the same flow: try the last slot first.
    let i = this.last;
    if (i >= 0) {
      const o = i * 5;
      if (k[o + 4] === meta && k[o + 2] === iSrc && k[o + 3] === iDst && k[o] === oSrc && k[o + 1] === oDst) {
        this.pkts[i] += 1;
        this.byts[i] += bytes;
        return;
      }
    }
    let h = Math.imul(iSrc ^ Math.imul(iDst, 0x85ebca77), 0x9e3779b1) ^ Math.imul(oSrc ^ meta, 0xc2b2ae3d) ^ Math.imul(oDst, 0x27d4eb2f);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    i = h & this.mask;
    for (;;) {
      const o = i * 5;
      const m = k[o + 4];
      if (m === 0) {
        k[o] = oSrc;
        k[o + 1] = oDst;
        k[o + 2] = iSrc;
        k[o + 3] = iDst;
        k[o + 4] = meta;
        this.pkts[i] = 1;
        this.byts[i] = bytes;
        this.size++;
        if (this.size * 2 > this.cap) this.grow();
        else this.last = i;
        return;
      }
      if (m === meta && k[o + 2] === iSrc && k[o + 3] === iDst && k[o] === oSrc && k[o + 1] === oDst) {
        this.pkts[i] += 1;
        this.byts[i] += bytes;
        this.last = i;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const { keys, pkts, byts, cap } = this;
    this.alloc(cap * 2);
    this.size = 0;
    for (let i = 0; i < cap; i++) {
      const o = i * 5;
      const meta = keys[o + 4];
      if (meta === 0) continue;
      this.add((meta >>> 8) & 0xff, keys[o], keys[o + 1], keys[o + 2], keys[o + 3], meta & 0xff, byts[i]);
      // add() counted one packet; restore the real count.
      this.pkts[this.last] = pkts[i];
    }
    this.last = -1;
  }

  /** The flows, most packets first (ties in a stable, address order). */
  list(): Flow[] {
    const out: { flow: Flow; key: string }[] = [];
    const k = this.keys;
    for (let i = 0; i < this.cap; i++) {
      const o = i * 5;
      const meta = k[o + 4];
      if (meta === 0) continue;
      const enc = (meta >>> 8) & 0xff;
      const encapsulated = enc !== ENC_NONE;
      out.push({
        flow: {
          encapsulation: ENC_NAMES[enc],
          outerSrc: encapsulated ? ipToString(k[o]) : null,
          outerDst: encapsulated ? ipToString(k[o + 1]) : null,
          innerSrc: ipToString(k[o + 2]),
          innerDst: ipToString(k[o + 3]),
          innerProtocol: meta & 0xff,
          packets: this.pkts[i],
          bytes: this.byts[i],
        },
        key: [enc, k[o], k[o + 1], k[o + 2], k[o + 3], meta & 0xff].map((n) => n.toString(16).padStart(8, "0")).join(""),
      });
    }
    out.sort((a, b) => b.flow.packets - a.flow.packets || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out.map((x) => x.flow);
  }
}

/**
 * Classifies every packet it is given into the flow table, or counts why it could not.
 * An inner header is only ever read from bytes that were captured and that lie inside
 * the outer datagram; fragments are never looked into.
 */
export class Classifier implements PacketSink {
  readonly flows = new FlowTable();
  packets = 0;
  truncated = 0;
  fragments = 0;
  nonIPv4 = 0;
  malformed = 0;

  skipped(): Skipped {
    return { truncated: this.truncated, fragments: this.fragments, nonIPv4: this.nonIPv4, malformed: this.malformed };
  }

  private skip(code: number): void {
    if (code === TRUNCATED) this.truncated++;
    else if (code === NON_IPV4) this.nonIPv4++;
    else this.malformed++;
  }

  packet(b: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number): void {
    this.packets++;
    const end = off + (caplen < HEAD_LIMIT ? caplen : HEAD_LIMIT);
    let ip: number;
    switch (linkType) {
      case LinkType.ETHERNET:
        if (end - off < 14) {
          this.truncated++;
          return;
        }
        ip = etherPayload(b, off + 14, (b[off + 12] << 8) | b[off + 13], end, 0x7fffffff);
        break;
      case LinkType.RAW:
      case LinkType.RAW_12:
      case LinkType.RAW_14:
        if (end - off < 1) {
          this.truncated++;
          return;
        }
        ip = b[off] >> 4 === 4 ? off : NON_IPV4;
        break;
      case LinkType.IPV4: // IPv4 only by definition; an IPv6 packet here is still IPv6, as tshark reads it
        if (end - off < 1) {
          this.truncated++;
          return;
        }
        ip = b[off] >> 4 === 6 ? NON_IPV4 : off;
        break;
      case LinkType.LINUX_SLL: // 16-byte cooked header, protocol (ethertype) last
        if (end - off < 16) {
          this.truncated++;
          return;
        }
        ip = etherPayload(b, off + 16, (b[off + 14] << 8) | b[off + 15], end, 0x7fffffff);
        break;
      case LinkType.LINUX_SLL2: // 20-byte cooked header, protocol (ethertype) first
        if (end - off < 20) {
          this.truncated++;
          return;
        }
        ip = etherPayload(b, off + 20, (b[off] << 8) | b[off + 1], end, 0x7fffffff);
        break;
      default:
        ip = NON_IPV4;
    }
    if (ip < 0) {
      this.skip(ip);
      return;
    }
    this.ipv4(b, ip, end, wirelen);
  }

  private ipv4(b: Uint8Array, p: number, end: number, wirelen: number): void {
    if (end - p < 20) {
      this.truncated++;
      return;
    }
    const v = b[p];
    const ihl = (v & 15) << 2;
    if (v >> 4 !== 4 || ihl < 20) {
      this.malformed++;
      return;
    }
    if (end - p < ihl) {
      this.truncated++;
      return;
    }
    const totalLength = (b[p + 2] << 8) | b[p + 3];
    if (totalLength !== 0 && totalLength < ihl) {
      this.malformed++;
      return;
    }
    if ((((b[p + 6] << 8) | b[p + 7]) & 0x3fff) !== 0) {
      this.fragments++;
      return;
    }
    // Total length 0 is what segmentation offload leaves in captured super-packets: the
    // capture is then the only measure of the datagram.
    const dgEnd = totalLength === 0 ? 0x7fffffff : p + totalLength;
    const proto = b[p + 9];
    const src = rd32(b, p + 12);
    const dst = rd32(b, p + 16);
    const pl = p + ihl;
    if (proto === 4) {
      if (pl + 20 > dgEnd) return this.skip(MALFORMED);
      if (pl + 20 > end) return this.skip(TRUNCATED);
      const iv = b[pl];
      if (iv >> 4 !== 4 || (iv & 15) < 5) return this.skip(MALFORMED);
      this.flows.add(ENC_IPIP, src, dst, rd32(b, pl + 12), rd32(b, pl + 16), b[pl + 9], wirelen);
      return;
    }
    if (proto === 17) {
      if (pl + 8 > dgEnd) return this.skip(MALFORMED);
      if (pl + 8 > end) return this.skip(TRUNCATED);
      if (((b[pl + 2] << 8) | b[pl + 3]) === VXLAN_PORT) {
        // UDP header (8), VXLAN header (8), inner Ethernet (14 + tags), inner IPv4 (20).
        const eth = pl + 16;
        if (eth + 14 > dgEnd) return this.skip(MALFORMED);
        if (eth + 14 > end) return this.skip(TRUNCATED);
        const q = etherPayload(b, eth + 14, (b[eth + 12] << 8) | b[eth + 13], end, dgEnd);
        if (q < 0) return this.skip(q);
        if (q + 20 > dgEnd) return this.skip(MALFORMED);
        if (q + 20 > end) return this.skip(TRUNCATED);
        const iv = b[q];
        if (iv >> 4 !== 4 || (iv & 15) < 5) return this.skip(MALFORMED);
        this.flows.add(ENC_VXLAN, src, dst, rd32(b, q + 12), rd32(b, q + 16), b[q + 9], wirelen);
        return;
      }
    }
    this.flows.add(ENC_NONE, 0, 0, src, dst, proto, wirelen);
  }
}
