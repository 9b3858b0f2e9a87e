/**
 * Flow accounting: every packet the decoder (decode.ts) takes apart is counted into a
 * flow (ipip / vxlan / none, outer and inner addresses), or as skipped and why.
 *
 * Hot path: called once per packet with the reader's reusable buffer, so it allocates
 * nothing — it keeps IPv4 addresses as unsigned 32-bit numbers and counts into a
 * typed-array hash table. Strings are made only when the flows are listed.
 */
import type { Flow, Skipped } from "./types";
import { decodeFrame, ENC_NONE, ENC_VXLAN, ENC_NAMES, FRAGMENT, Frame, ipToString, NON_IPV4, readU32, TRUNCATED, vxlanVni } from "./decode";

/** Receives each packet record; `b` is only valid during the call. */
export interface PacketSink {
  packet(b: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number): void;
}

/** Key words per slot: outerSrc, outerDst, innerSrc, innerDst, meta (0 = empty), ports, VNI. */
const W = 7;

/** Open-addressing hash table of flows, keyed by seven numbers, in typed arrays. */
export class FlowTable {
  private cap = 0;
  private mask = 0;
  /** Per slot: W words (see W); ports and VNI are 0 except for VXLAN. */
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
    this.keys = new Uint32Array(cap * W);
    this.pkts = new Float64Array(cap);
    this.byts = new Float64Array(cap);
    this.last = -1;
  }

  /**
   * meta = 0x10000 | encapsulation << 8 | inner protocol: never 0, so 0 marks an empty
   * slot. `ports` = outer UDP source port << 16 | destination port.
   */
  add(enc: number, oSrc: number, oDst: number, iSrc: number, iDst: number, proto: number, ports: number, vni: number, bytes: number): void {
    const meta = 0x10000 | (enc << 8) | proto;
    const k = this.keys;
    // Consecutive packets mostly belong to the same flow: try the last slot first.
    let i = this.last;
    if (i >= 0) {
      const o = i * W;
      if (k[o + 4] === meta && k[o + 2] === iSrc && k[o + 3] === iDst && k[o] === oSrc && k[o + 1] === oDst && k[o + 5] === ports && k[o + 6] === vni) {
        this.pkts[i] += 1;
        this.byts[i] += bytes;
        return;
      }
    }
    let h = Math.imul(iSrc ^ Math.imul(iDst, 0x85ebca77), 0x9e3779b1) ^ Math.imul(oSrc ^ meta, 0xc2b2ae3d) ^ Math.imul(oDst ^ ports, 0x27d4eb2f) ^ vni;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    i = h & this.mask;
    for (;;) {
      const o = i * W;
      const m = k[o + 4];
      if (m === 0) {
        k[o] = oSrc;
        k[o + 1] = oDst;
        k[o + 2] = iSrc;
        k[o + 3] = iDst;
        k[o + 4] = meta;
        k[o + 5] = ports;
        k[o + 6] = vni;
        this.pkts[i] = 1;
        this.byts[i] = bytes;
        this.size++;
        if (this.size * 2 > this.cap) this.grow();
        else this.last = i;
        return;
      }
      if (m === meta && k[o + 2] === iSrc && k[o + 3] === iDst && k[o] === oSrc && k[o + 1] === oDst && k[o + 5] === ports && k[o + 6] === vni) {
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
      const o = i * W;
      const meta = keys[o + 4];
      if (meta === 0) continue;
      this.add((meta >>> 8) & 0xff, keys[o], keys[o + 1], keys[o + 2], keys[o + 3], meta & 0xff, keys[o + 5], keys[o + 6], byts[i]);
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
      const o = i * W;
      const meta = k[o + 4];
      if (meta === 0) continue;
      const enc = (meta >>> 8) & 0xff;
      const encapsulated = enc !== ENC_NONE;
      const udp = enc === ENC_VXLAN ? { outerSrcPort: k[o + 5] >>> 16, outerDstPort: k[o + 5] & 0xffff, vni: k[o + 6] } : {};
      out.push({
        flow: {
          encapsulation: ENC_NAMES[enc],
          outerSrc: encapsulated ? ipToString(k[o]) : null,
          outerDst: encapsulated ? ipToString(k[o + 1]) : null,
          ...udp,
          innerSrc: ipToString(k[o + 2]),
          innerDst: ipToString(k[o + 3]),
          innerProtocol: meta & 0xff,
          packets: this.pkts[i],
          bytes: this.byts[i],
        },
        key: [enc, k[o], k[o + 1], k[o + 2], k[o + 3], meta & 0xff, k[o + 5], k[o + 6]].map((n) => n.toString(16).padStart(8, "0")).join(""),
      });
    }
    out.sort((a, b) => b.flow.packets - a.flow.packets || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out.map((x) => x.flow);
  }
}

/** Classifies every packet it is given into the flow table, or counts why it could not. */
export class Classifier implements PacketSink {
  readonly flows = new FlowTable();
  packets = 0;
  truncated = 0;
  fragments = 0;
  nonIPv4 = 0;
  malformed = 0;
  private readonly frame = new Frame();

  skipped(): Skipped {
    return { truncated: this.truncated, fragments: this.fragments, nonIPv4: this.nonIPv4, malformed: this.malformed };
  }

  packet(b: Uint8Array, off: number, caplen: number, wirelen: number, linkType: number): void {
    this.packets++;
    const code = decodeFrame(b, off, caplen, linkType, this.frame);
    if (code === TRUNCATED) this.truncated++;
    else if (code === FRAGMENT) this.fragments++;
    else if (code === NON_IPV4) this.nonIPv4++;
    else if (code < 0) this.malformed++;
    else {
      const { ip, inner, udp, encapsulation } = this.frame;
      const src = encapsulation === ENC_NONE ? 0 : readU32(b, ip + 12);
      const dst = encapsulation === ENC_NONE ? 0 : readU32(b, ip + 16);
      const vxlan = encapsulation === ENC_VXLAN;
      // The VNI lies inside the bytes the decoder found captured (the inner headers follow it).
      this.flows.add(encapsulation, src, dst, readU32(b, inner + 12), readU32(b, inner + 16), b[inner + 9], vxlan ? readU32(b, udp) : 0, vxlan ? vxlanVni(b, udp) : 0, wirelen);
    }
  }
}
