/**
 * Streaming reader for classic pcap and pcapng capture files.
 *
 * Hand-written in TypeScript because no maintained library reads pcapng from TypeScript.
 *
 * Memory is constant whatever the file size: the file is read in large chunks into one
 * reusable buffer, each record is handed to the sink as (buffer, offset, length) without
 * copying, and a record larger than the buffer is classified from its first bytes and
 * then skipped on disk. The scan over complete records is synchronous and allocation-free;
 * only refilling the buffer awaits.
 *
 * Classic pcap: both byte orders, microsecond and nanosecond magics.
 * pcapng: SHB (several sections, each with its own byte order), IDB (any number of
 * interfaces with different link types), EPB, SPB and the obsolete PB; other blocks are
 * skipped. Reading stops at the first thing that cannot be right (a truncated record, a
 * corrupt length) and reports its file offset; what was read before is kept.
 */
import { promises as fsp } from "fs";
import type { PacketSink } from "./classify";
import type { CaptureFormat, ReadError } from "./types";

export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;
/** Smallest read buffer: comfortably more than a block header plus HEAD_LIMIT. */
export const MIN_CHUNK_SIZE = 4096;
/** Largest read buffer: memory stays bounded whatever is asked. */
export const MAX_CHUNK_SIZE = 64 * 1024 * 1024;

/** libpcap refuses records above this many captured bytes unless the snap length is larger. */
const PCAP_MAX_CAPLEN = 262144;

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_IDB = 1;
const PCAPNG_PB = 2; // obsolete Packet Block
const PCAPNG_SPB = 3;
const PCAPNG_EPB = 6;

export interface ReadOptions {
  /** Read buffer size in bytes (default 4 MiB, clamped to MIN_CHUNK_SIZE..MAX_CHUNK_SIZE). */
  chunkSize?: number;
}

export interface ReadResult {
  format: CaptureFormat;
  linkTypes: number[];
  /** Nanosecond timestamps (classic pcap magic a1b23c4d); pcapng reports false. */
  nanosecond: boolean;
  /** Byte order of the file (pcapng: of its first section). */
  littleEndian: boolean;
  error?: ReadError;
}

class Fail extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

/** A window on the file: buf[pos, end) holds the file bytes from base + pos. */
class ChunkSource {
  readonly buf: Buffer;
  readonly dv: DataView;
  pos = 0;
  end = 0;
  base = 0;
  private eof = false;

  constructor(
    private readonly fh: fsp.FileHandle,
    size: number,
  ) {
    // Own ArrayBuffer (not the shared pool), so the DataView starts at byte 0.
    this.buf = Buffer.allocUnsafeSlow(size);
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  get capacity(): number {
    return this.buf.length;
  }

  /** File offset of buffer index i. */
  at(i: number): number {
    return this.base + i;
  }

  /** Makes at least n bytes available from pos if the file has them; returns what is available. */
  async fill(n: number): Promise<number> {
    if (this.end - this.pos >= n) return this.end - this.pos;
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.base += this.pos;
      this.end -= this.pos;
      this.pos = 0;
    }
    while (this.end < n && !this.eof) {
      let got: number;
      try {
        ({ bytesRead: got } = await this.fh.read(this.buf, this.end, this.buf.length - this.end, this.base + this.end));
      } catch (e) {
        throw new Fail(this.base + this.end, `cannot read: ${describe(e)}`);
      }
      if (got === 0) this.eof = true;
      this.end += got;
    }
    return this.end - this.pos;
  }

  /** Moves to absolute file offset `abs` (forward), dropping buffered bytes if needed. */
  skipTo(abs: number): void {
    if (abs <= this.base + this.end) {
      this.pos = abs - this.base;
      return;
    }
    this.base = abs;
    this.pos = 0;
    this.end = 0;
    this.eof = false;
  }

  async fileSize(): Promise<number> {
    return (await this.fh.stat()).size;
  }
}

function describe(e: unknown): string {
  if (e && typeof e === "object" && "code" in e && "message" in e) {
    const msg = String((e as { message: unknown }).message);
    return msg.replace(/^[A-Z]+: /, "").replace(/, (open|read|fstat) '.*'$/, "");
  }
  return e instanceof Error ? e.message : String(e);
}

function hex4(b: Uint8Array, n: number): string {
  return Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Reads the capture at `path`, handing every packet record to `sink`. Never throws. */
export async function readCapture(path: string, sink: PacketSink, options: ReadOptions = {}): Promise<ReadResult> {
  const result: ReadResult = { format: "unknown", linkTypes: [], nanosecond: false, littleEndian: true };
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(path, "r");
  } catch (e) {
    result.error = { offset: 0, message: `cannot open: ${describe(e)}` };
    return result;
  }
  const wanted = Math.floor(options.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const src = new ChunkSource(fh, Number.isFinite(wanted) ? Math.min(MAX_CHUNK_SIZE, Math.max(MIN_CHUNK_SIZE, wanted)) : DEFAULT_CHUNK_SIZE);
  try {
    const have = await src.fill(4);
    if (have === 0) throw new Fail(0, "the file is empty");
    if (have < 4) throw new Fail(0, `the file is ${have} bytes long: too short for a pcap or pcapng header`);
    const magicLE = src.dv.getUint32(0, true);
    const magicBE = src.dv.getUint32(0, false);
    if (magicLE === PCAPNG_SHB) {
      result.format = "pcapng";
      await readPcapng(src, sink, result);
    } else if (magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS || magicBE === PCAP_MAGIC_US || magicBE === PCAP_MAGIC_NS) {
      result.format = "pcap";
      result.littleEndian = magicLE === PCAP_MAGIC_US || magicLE === PCAP_MAGIC_NS;
      result.nanosecond = magicLE === PCAP_MAGIC_NS || magicBE === PCAP_MAGIC_NS;
      await readPcap(src, sink, result);
    } else {
      throw new Fail(0, `not a pcap or pcapng file: it starts with bytes ${hex4(src.buf, 4)}`);
    }
  } catch (e) {
    result.error = e instanceof Fail ? { offset: e.offset, message: e.message } : { offset: src.at(src.pos), message: `internal error: ${describe(e)}` };
  } finally {
    await fh.close().catch(() => undefined);
  }
  return result;
}

async function readPcap(src: ChunkSource, sink: PacketSink, result: ReadResult): Promise<void> {
  const le = result.littleEndian;
  const got = await src.fill(24);
  if (got < 24) throw new Fail(0, `the file ends inside the pcap file header (${got} of 24 bytes)`);
  const snaplen = src.dv.getUint32(16, le);
  // Low 16 bits: the link type; the upper bits may carry FCS information.
  const linkType = src.dv.getUint32(20, le) & 0xffff;
  result.linkTypes.push(linkType);
  const limit = Math.max(PCAP_MAX_CAPLEN, snaplen);
  src.pos = 24;
  const badLength = (at: number, caplen: number): Fail =>
    new Fail(at, `corrupt packet record: captured length ${caplen} exceeds the largest plausible (${limit}; snap length ${snaplen})`);

  for (;;) {
    // Fast path: every complete record in the buffer, no awaits, no allocation.
    {
      const b = src.buf;
      const dv = src.dv;
      const end = src.end;
      let p = src.pos;
      while (end - p >= 16) {
        const caplen = dv.getUint32(p + 8, le);
        if (caplen > limit) {
          src.pos = p;
          throw badLength(src.at(p), caplen);
        }
        if (end - p - 16 < caplen) break;
        sink.packet(b, p + 16, caplen, dv.getUint32(p + 12, le), linkType);
        p += 16 + caplen;
      }
      src.pos = p;
    }
    // Slow path: refill for the next record, or handle one larger than the buffer.
    const avail = await src.fill(16);
    if (avail === 0) return;
    const at = src.at(src.pos);
    if (avail < 16) throw new Fail(at, `the file ends inside a packet record header (${avail} of 16 bytes)`);
    const caplen = src.dv.getUint32(src.pos + 8, le);
    if (caplen > limit) throw badLength(at, caplen);
    const need = 16 + caplen;
    if (need <= src.capacity) {
      const have = await src.fill(need);
      if (have < need) throw new Fail(at, `the file ends inside a packet record: it holds ${caplen} captured bytes but only ${have - 16} follow`);
      continue;
    }
    const size = await src.fileSize();
    if (at + need > size) throw new Fail(at, `the file ends inside a packet record: it holds ${caplen} captured bytes but only ${size - at - 16} follow`);
    const have = await src.fill(src.capacity);
    sink.packet(src.buf, src.pos + 16, Math.min(caplen, have - 16), src.dv.getUint32(src.pos + 12, le), linkType);
    src.skipTo(at + need);
  }
}

interface Section {
  le: boolean;
  /** Link type and snap length per interface id of the current section. */
  linkTypes: number[];
  snaplens: number[];
}

async function readPcapng(src: ChunkSource, sink: PacketSink, result: ReadResult): Promise<void> {
  const sec: Section = { le: true, linkTypes: [], snaplens: [] };
  let first = true;

  /** Byte order a block at p is in: an SHB declares its own; others follow the section. */
  const orderAt = (p: number, type: number): boolean => {
    if (type !== PCAPNG_SHB) return sec.le;
    const bom = src.dv.getUint32(p + 8, true);
    if (bom === PCAPNG_BOM) return true;
    if (bom === 0x4d3c2b1a) return false;
    throw new Fail(src.at(p + 8), `corrupt section header block: byte-order magic ${hex4(src.buf.subarray(p + 8), 4)}`);
  };

  /**
   * Handles one block at p whose first `visible` bytes are in the buffer (all of it
   * unless it is larger than the buffer). The trailing length is checked by the caller.
   */
  const block = (p: number, type: number, len: number, le: boolean, visible: number): void => {
    const dv = src.dv;
    const at = src.at(p);
    switch (type) {
      case PCAPNG_SHB: {
        if (len < 28) throw new Fail(at, `corrupt section header block: length ${len} is below the minimum of 28`);
        const major = dv.getUint16(p + 12, le);
        if (major !== 1) throw new Fail(at + 12, `unsupported pcapng version ${major}.${dv.getUint16(p + 14, le)} (only 1.x is defined)`);
        sec.le = le;
        sec.linkTypes = [];
        sec.snaplens = [];
        if (first) result.littleEndian = le;
        return;
      }
      case PCAPNG_IDB: {
        if (len < 20) throw new Fail(at, `corrupt interface description block: length ${len} is below the minimum of 20`);
        const linkType = dv.getUint16(p + 8, le);
        sec.linkTypes.push(linkType);
        sec.snaplens.push(dv.getUint32(p + 12, le));
        if (!result.linkTypes.includes(linkType)) result.linkTypes.push(linkType);
        return;
      }
      case PCAPNG_EPB:
      case PCAPNG_PB: {
        const name = type === PCAPNG_EPB ? "enhanced packet block" : "packet block";
        if (len < 32) throw new Fail(at, `corrupt ${name}: length ${len} is below the minimum of 32`);
        const iface = type === PCAPNG_EPB ? dv.getUint32(p + 8, le) : dv.getUint16(p + 8, le);
        if (iface >= sec.linkTypes.length)
          throw new Fail(at, `corrupt ${name}: interface ${iface} is not defined (the section has ${sec.linkTypes.length})`);
        const caplen = dv.getUint32(p + 20, le);
        if (caplen > len - 32) throw new Fail(at, `corrupt ${name}: captured length ${caplen} does not fit in a block of ${len} bytes`);
        sink.packet(src.buf, p + 28, Math.min(caplen, visible - 28), dv.getUint32(p + 24, le), sec.linkTypes[iface]);
        return;
      }
      case PCAPNG_SPB: {
        if (len < 16) throw new Fail(at, `corrupt simple packet block: length ${len} is below the minimum of 16`);
        if (sec.linkTypes.length === 0) throw new Fail(at, "corrupt simple packet block: the section defines no interface");
        const wirelen = dv.getUint32(p + 8, le);
        const snap = sec.snaplens[0];
        let caplen = Math.min(wirelen, len - 16);
        if (snap !== 0 && snap < caplen) caplen = snap;
        sink.packet(src.buf, p + 12, Math.min(caplen, visible - 12), wirelen, sec.linkTypes[0]);
        return;
      }
      default:
        return; // name resolution, statistics, custom and unknown blocks
    }
  };

  for (;;) {
    if (!first) {
      // Fast path over complete blocks of the current section.
      const dv = src.dv;
      const end = src.end;
      const le = sec.le;
      let p = src.pos;
      while (end - p >= 12) {
        const type = dv.getUint32(p, le);
        if (type === PCAPNG_SHB) break; // may change byte order: slow path
        const len = dv.getUint32(p + 4, le);
        if (len < 12 || (len & 3) !== 0 || end - p < len) break; // slow path reports or refills
        if (dv.getUint32(p + len - 4, le) !== len) break;
        src.pos = p; // so that a failure inside reports the right place
        block(p, type, len, le, len);
        p += len;
      }
      src.pos = p;
    }
    const avail = await src.fill(12);
    if (avail === 0) {
      if (first) throw new Fail(0, "the file is empty");
      return;
    }
    const p = src.pos;
    const at = src.at(p);
    if (avail < 12) throw new Fail(at, `the file ends inside a block header (${avail} of 12 bytes)`);
    const type = src.dv.getUint32(p, sec.le);
    const le = orderAt(p, first ? PCAPNG_SHB : type);
    const len = src.dv.getUint32(p + 4, le);
    if (first && type !== PCAPNG_SHB) throw new Fail(0, "not a pcapng file: it does not start with a section header block");
    if (len < 12 || (len & 3) !== 0) throw new Fail(at + 4, `corrupt block: total length ${len} is not a multiple of 4 of at least 12`);
    if (len <= src.capacity) {
      const have = await src.fill(len);
      if (have < len) throw new Fail(at, `the file ends inside a block of type ${type}: it is ${len} bytes long but only ${have} remain`);
      const q = src.pos;
      const trailer = src.dv.getUint32(q + len - 4, le);
      if (trailer !== len) throw new Fail(src.at(q + len - 4), `corrupt block: trailing length ${trailer} differs from the leading ${len}`);
      block(q, type, len, le, len);
      src.pos = q + len;
    } else {
      const size = await src.fileSize();
      if (at + len > size) throw new Fail(at, `the file ends inside a block of type ${type}: it is ${len} bytes long but only ${size - at} remain`);
      const have = await src.fill(src.capacity);
      block(src.pos, type, len, le, have);
      src.skipTo(at + len - 4);
      if ((await src.fill(4)) < 4) throw new Fail(at + len - 4, "the file ends inside a block trailer");
      const trailer = src.dv.getUint32(src.pos, le);
      if (trailer !== len) throw new Fail(at + len - 4, `corrupt block: trailing length ${trailer} differs from the leading ${len}`);
      src.pos += 4;
    }
    first = false;
  }
}
