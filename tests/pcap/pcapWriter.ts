/**
 * Test and bench helper: builds packets and classic
 * pcap / pcapng files byte by byte, so tests can state exactly what a file holds —
 * either byte order, nanosecond magic, every supported link type, VLAN stacks, IP
 * options, cut records, several pcapng interfaces and sections, unknown blocks.
 */

export function ip4(s: string): number {
  const parts = s.split(".").map(Number);
  if (parts.length !== 4 || parts.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) throw new Error(`bad IPv4 address ${s}`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  payload?: Uint8Array;
  /** IP options (padded with zeros, End of Option List, to a multiple of 4 bytes). */
  options?: Uint8Array;
  /** More Fragments flag. */
  mf?: boolean;
  df?: boolean;
  /** Fragment offset in 8-byte units. */
  fragmentOffset?: number;
  ttl?: number;
  id?: number;
  /** Overrides the total length field (e.g. 0 as segmentation offload leaves it). */
  totalLength?: number;
  /** Overrides the version nibble. */
  version?: number;
  /** Overrides the IHL nibble (header length in 32-bit words). */
  ihl?: number;
}

export function ipv4(o: Ipv4Options): Buffer {
  const opts = o.options ?? new Uint8Array(0);
  const optLen = (opts.length + 3) & ~3;
  const hl = 20 + optLen;
  const payload = o.payload ?? new Uint8Array(0);
  const b = Buffer.alloc(hl + payload.length);
  b[0] = ((o.version ?? 4) << 4) | (o.ihl ?? hl / 4);
  b.writeUInt16BE(o.totalLength ?? b.length, 2);
  b.writeUInt16BE(o.id ?? 0x1234, 4);
  b.writeUInt16BE((o.mf ? 0x2000 : 0) | (o.df ? 0x4000 : 0) | ((o.fragmentOffset ?? 0) & 0x1fff), 6);
  b[8] = o.ttl ?? 64;
  b[9] = o.protocol;
  b.writeUInt32BE(ip4(o.src), 12);
  b.writeUInt32BE(ip4(o.dst), 16);
  b.set(opts, 20);
  b.writeUInt16BE(checksum(b.subarray(0, hl)), 10);
  b.set(payload, hl);
  return b;
}

export function icmpEcho(id = 1, seq = 1, dataLength = 16): Buffer {
  const b = Buffer.alloc(8 + dataLength);
  b[0] = 8;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  for (let i = 0; i < dataLength; i++) b[8 + i] = i & 0xff;
  b.writeUInt16BE(checksum(b), 2);
  return b;
}

export function udp(srcPort: number, dstPort: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b.writeUInt16BE(srcPort, 0);
  b.writeUInt16BE(dstPort, 2);
  b.writeUInt16BE(b.length, 4);
  b.set(payload, 8);
  return b;
}

export function tcp(srcPort: number, dstPort: number, payloadLength = 0): Buffer {
  const b = Buffer.alloc(20 + payloadLength);
  b.writeUInt16BE(srcPort, 0);
  b.writeUInt16BE(dstPort, 2);
  b[12] = 5 << 4;
  b[13] = 0x18;
  return b;
}

export interface VlanTag {
  /** 0x8100 (802.1Q), 0x88a8 (802.1ad) or 0x9100. */
  tpid: number;
  vid: number;
}

export const ETHERTYPE = { IPV4: 0x0800, ARP: 0x0806, IPV6: 0x86dd } as const;

/** An Ethernet frame; tags are outermost first. */
export function ethernet(type: number, payload: Uint8Array, vlans: VlanTag[] = [], src = "02:00:00:00:00:01", dst = "02:00:00:00:00:02"): Buffer {
  const b = Buffer.alloc(14 + vlans.length * 4 + payload.length);
  Buffer.from(dst.split(":").map((x) => parseInt(x, 16))).copy(b, 0);
  Buffer.from(src.split(":").map((x) => parseInt(x, 16))).copy(b, 6);
  let p = 12;
  for (const v of vlans) {
    b.writeUInt16BE(v.tpid, p);
    b.writeUInt16BE(v.vid & 0xfff, p + 2);
    p += 4;
  }
  b.writeUInt16BE(type, p);
  b.set(payload, p + 2);
  return b;
}

/** VXLAN header (flags I, VNI) and the inner Ethernet frame: a UDP payload. */
export function vxlanPayload(vni: number, innerFrame: Uint8Array): Buffer {
  const b = Buffer.alloc(8 + innerFrame.length);
  b[0] = 0x08;
  // `>>> 0`: a VNI from 0x800000 up would otherwise shift into a negative number.
  b.writeUInt32BE(((vni & 0xffffff) << 8) >>> 0, 4);
  b.set(innerFrame, 8);
  return b;
}

/** A minimal ARP request (Ethernet payload). */
export function arp(): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0);
  b.writeUInt16BE(0x0800, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(1, 6);
  return b;
}

/** A minimal IPv6 header with no payload. */
export function ipv6(): Buffer {
  const b = Buffer.alloc(40);
  b[0] = 0x60;
  b[6] = 59;
  b[7] = 64;
  return b;
}

/** Linux cooked header v1 (LINUX_SLL, 16 bytes) in front of a network-layer payload. */
export function sll(protocol: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(16 + payload.length);
  b.writeUInt16BE(0, 0); // packet type: to us
  b.writeUInt16BE(1, 2); // ARPHRD_ETHER
  b.writeUInt16BE(6, 4);
  b.writeUInt16BE(protocol, 14);
  b.set(payload, 16);
  return b;
}

/** Linux cooked header v2 (LINUX_SLL2, 20 bytes) in front of a network-layer payload. */
export function sll2(protocol: number, payload: Uint8Array, ifindex = 2): Buffer {
  const b = Buffer.alloc(20 + payload.length);
  b.writeUInt16BE(protocol, 0);
  b.writeUInt32BE(ifindex, 4);
  b.writeUInt16BE(1, 8); // ARPHRD_ETHER
  b[10] = 0;
  b[11] = 6;
  b.set(payload, 20);
  return b;
}

/** Wraps a network-layer packet of the given ethertype in the framing of `linkType`. */
export function frame(linkType: number, ethertype: number, packet: Uint8Array, vlans: VlanTag[] = []): Buffer {
  switch (linkType) {
    case 1:
      return ethernet(ethertype, packet, vlans);
    case 113:
      return sll(vlans.length ? vlans[0].tpid : ethertype, vlanTail(ethertype, packet, vlans));
    case 276:
      return sll2(vlans.length ? vlans[0].tpid : ethertype, vlanTail(ethertype, packet, vlans));
    case 12:
    case 14:
    case 101:
    case 228:
      if (vlans.length) throw new Error("raw link types carry no VLAN tags");
      return Buffer.from(packet);
    default:
      throw new Error(`frame: unsupported link type ${linkType}`);
  }
}

/** The bytes after a cooked header's protocol field when it names a VLAN tag. */
function vlanTail(ethertype: number, packet: Uint8Array, vlans: VlanTag[]): Buffer {
  if (vlans.length === 0) return Buffer.from(packet);
  const b = Buffer.alloc(vlans.length * 4 + packet.length);
  for (let i = 0; i < vlans.length; i++) {
    b.writeUInt16BE(vlans[i].vid, i * 4);
    b.writeUInt16BE(i + 1 < vlans.length ? vlans[i + 1].tpid : ethertype, i * 4 + 2);
  }
  b.set(packet, vlans.length * 4);
  return b;
}

export interface PacketRecord {
  data: Uint8Array;
  /** Original length on the wire (default: data length). */
  wirelen?: number;
  /** Timestamp in seconds. */
  ts?: number;
}

export interface PcapOptions {
  littleEndian?: boolean;
  nanosecond?: boolean;
  linkType: number;
  snaplen?: number;
}

export function pcapHeader(o: PcapOptions): Buffer {
  const le = o.littleEndian ?? true;
  const h = Buffer.alloc(24);
  const u32 = (v: number, p: number): number => (le ? h.writeUInt32LE(v, p) : h.writeUInt32BE(v, p));
  const u16 = (v: number, p: number): number => (le ? h.writeUInt16LE(v, p) : h.writeUInt16BE(v, p));
  u32(o.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(2, 4);
  u16(4, 6);
  u32(o.snaplen ?? 262144, 16);
  u32(o.linkType, 20);
  return h;
}

export function pcapRecord(r: PacketRecord, o: { littleEndian?: boolean; nanosecond?: boolean } = {}): Buffer {
  const le = o.littleEndian ?? true;
  const b = Buffer.alloc(16 + r.data.length);
  const u32 = (v: number, p: number): number => (le ? b.writeUInt32LE(v, p) : b.writeUInt32BE(v, p));
  const ts = r.ts ?? 1700000000.5;
  u32(Math.floor(ts), 0);
  u32(Math.round((ts % 1) * (o.nanosecond ? 1e9 : 1e6)), 4);
  u32(r.data.length, 8);
  u32(r.wirelen ?? r.data.length, 12);
  b.set(r.data, 16);
  return b;
}

export function pcapFile(o: PcapOptions, records: PacketRecord[]): Buffer {
  return Buffer.concat([pcapHeader(o), ...records.map((r) => pcapRecord(r, o))]);
}

export type NgBlock =
  | { kind: "shb"; littleEndian?: boolean; major?: number }
  | { kind: "idb"; linkType: number; snaplen?: number; name?: string }
  | { kind: "epb"; iface: number; data: Uint8Array; wirelen?: number; comment?: string }
  | { kind: "spb"; data: Uint8Array; wirelen?: number }
  | { kind: "pb"; iface: number; data: Uint8Array; wirelen?: number }
  | { kind: "raw"; type: number; body: Uint8Array };

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** pcapng options: (code, value) pairs then opt_endofopt. */
function options(le: boolean, opts: [number, Uint8Array][]): Buffer {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, value] of opts) {
    const h = Buffer.alloc(4 + pad4(value.length));
    if (le) {
      h.writeUInt16LE(code, 0);
      h.writeUInt16LE(value.length, 2);
    } else {
      h.writeUInt16BE(code, 0);
      h.writeUInt16BE(value.length, 2);
    }
    h.set(value, 4);
    parts.push(h);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

/** A pcapng file; each SHB sets the byte order of the blocks after it (default little-endian). */
export function pcapngFile(blocks: NgBlock[]): Buffer {
  let le = true;
  const out: Buffer[] = [];
  for (const blk of blocks) {
    if (blk.kind === "shb") le = blk.littleEndian ?? true;
    const w = (fields: [number, 2 | 4][], tail: Uint8Array = new Uint8Array(0)): Buffer => {
      const head = Buffer.alloc(fields.reduce((n, [, s]) => n + s, 0));
      let p = 0;
      for (const [v, s] of fields) {
        if (s === 2) p = le ? head.writeUInt16LE(v, p) : head.writeUInt16BE(v, p);
        else p = le ? head.writeUInt32LE(v, p) : head.writeUInt32BE(v, p);
      }
      return Buffer.concat([head, tail]);
    };
    let type: number;
    let body: Buffer;
    switch (blk.kind) {
      case "shb": {
        type = 0x0a0d0d0a;
        const b = Buffer.alloc(16);
        if (le) b.writeUInt32LE(0x1a2b3c4d, 0);
        else b.writeUInt32BE(0x1a2b3c4d, 0);
        body = Buffer.concat([b.subarray(0, 4), w([[blk.major ?? 1, 2], [0, 2]]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
        break;
      }
      case "idb":
        type = 1;
        body = w([[blk.linkType, 2], [0, 2], [blk.snaplen ?? 262144, 4]], options(le, blk.name ? [[2, Buffer.from(blk.name)]] : []));
        break;
      case "epb": {
        type = 6;
        const data = Buffer.alloc(pad4(blk.data.length));
        data.set(blk.data);
        body = Buffer.concat([
          w([[blk.iface, 4], [0x60000, 4], [0x12345678, 4], [blk.data.length, 4], [blk.wirelen ?? blk.data.length, 4]]),
          data,
          options(le, blk.comment ? [[1, Buffer.from(blk.comment)]] : []),
        ]);
        break;
      }
      case "pb": {
        type = 2;
        const data = Buffer.alloc(pad4(blk.data.length));
        data.set(blk.data);
        body = Buffer.concat([w([[blk.iface, 2], [0, 2], [0x60000, 4], [0x12345678, 4], [blk.data.length, 4], [blk.wirelen ?? blk.data.length, 4]]), data]);
        break;
      }
      case "spb": {
        type = 3;
        const data = Buffer.alloc(pad4(blk.data.length));
        data.set(blk.data);
        body = Buffer.concat([w([[blk.wirelen ?? blk.data.length, 4]]), data]);
        break;
      }
      case "raw":
        type = blk.type;
        body = Buffer.alloc(pad4(blk.body.length));
        body.set(blk.body);
        break;
    }
    const len = 12 + body.length;
    out.push(w([[type, 4], [len, 4]], body), w([[len, 4]]));
  }
  return Buffer.concat(out);
}
