/**
 * The analysis' public data: what one capture file held, flow by flow. These shapes are
 * printed by `npm run analyze` and read by the scenario judge.
 */
import type { Encapsulation, IgnoredPackets, OuterHeader } from "../model/spec";

/** Container format of a capture file; "unknown" when the first bytes are neither. */
export type CaptureFormat = "pcap" | "pcapng" | "unknown";

/** Packets grouped by (encapsulation, outer src/dst, inner src/dst/protocol). */
export interface Flow {
  encapsulation: Encapsulation;
  /** Outer IPv4 source of an encapsulated packet; null for "none". */
  outerSrc: string | null;
  /** Outer IPv4 destination of an encapsulated packet; null for "none". */
  outerDst: string | null;
  /** VXLAN only (absent otherwise): the outer UDP ports and the VXLAN network identifier. */
  outerSrcPort?: number;
  outerDstPort?: number;
  vni?: number;
  /** The inner header (for "none": the packet's own header). */
  innerSrc: string;
  innerDst: string;
  innerProtocol: number;
  packets: number;
  /** Sum of the packets' original (wire) lengths, not of the captured bytes. */
  bytes: number;
}

/** Packets that were read but not put in any flow, and why. */
export interface Skipped {
  /** Captured too short to see the headers the classification needs (snap length, cut file). */
  truncated: number;
  /** IPv4 fragments (MF set or offset ≠ 0): their inner headers are not all there. */
  fragments: number;
  /** Not IPv4: ARP, IPv6, VXLAN (on port 4789) carrying a non-IPv4 frame, unsupported link types. */
  nonIPv4: number;
  /** Said to be IPv4 but the header is invalid (version ≠ 4, IHL < 5, total length < IHL, IPIP payload not IPv4). */
  malformed: number;
}

/** Where reading stopped and why; `offset` is the file offset of the bad record or field. */
export interface ReadError {
  offset: number;
  message: string;
}

export interface FileAnalysis {
  file: string;
  format: CaptureFormat;
  /** Link types in the file, in order of first appearance (pcapng: one per interface). */
  linkTypes: number[];
  /** Packet records read (classified or skipped). */
  packets: number;
  flows: Flow[];
  skipped: Skipped;
  /** Set when the file could not be read to its end: what was read is still reported. */
  error?: ReadError;
}

/** What the packets between two pods showed, and whether that is what the scenario expects. */
export interface ScenarioJudgement {
  observed: Encapsulation | "mixed" | "missing";
  outer: OuterHeader | null;
  /** The packets judged (the lab's packets between the two pods). */
  packets: number;
  pass: boolean;
  reason: string;
  /** Encapsulated packets between the two pods that were not the lab's, so not judged. */
  ignored: IgnoredPackets[];
}
