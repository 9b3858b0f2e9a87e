/**
 * Header stacks drawn to scale: one bar per sampled packet, each layer as wide as its
 * bytes, and what the encapsulation costs in MTU. Pure; svg.ts draws it.
 */
import type { Encapsulation } from "../model/spec";
import { tunnelOverhead } from "./packets";
import type { HeaderLayer, LayerKind, PacketHeaders } from "./packets";

/** The lab's underlay MTU unless told otherwise (Pulumi config `mtu`, default 1500). */
export const DEFAULT_UNDERLAY_MTU = 1500;

export interface BarSegment {
  kind: LayerKind;
  name: string;
  bytes: number;
  x: number;
  width: number;
  /** Drawn shorter than to scale (long payloads), with a break mark. */
  broken: boolean;
}

export interface HeaderBar {
  segments: BarSegment[];
  /** Sum of the layers' bytes: the outermost IPv4 total length. */
  bytes: number;
  width: number;
}

export interface BarScale {
  /** Pixels per byte. */
  pxPerByte: number;
  /** A payload longer than this many bytes is drawn this long, with a break mark. */
  maxPayloadBytes: number;
}

export const DEFAULT_SCALE: BarScale = { pxPerByte: 3, maxPayloadBytes: 120 };

/** Lays a packet's layers out left to right, each `bytes × pxPerByte` wide (long payloads cut). */
export function layoutBar(layers: readonly HeaderLayer[], scale: BarScale = DEFAULT_SCALE): HeaderBar {
  let x = 0;
  const segments: BarSegment[] = [];
  for (const l of layers) {
    const broken = l.kind === "payload" && l.bytes > scale.maxPayloadBytes;
    const width = (broken ? scale.maxPayloadBytes : l.bytes) * scale.pxPerByte;
    segments.push({ kind: l.kind, name: l.name, bytes: l.bytes, x, width, broken });
    x += width;
  }
  return { segments, bytes: layers.reduce((n, l) => n + l.bytes, 0), width: x };
}

export interface MtuEffect {
  encapsulation: Encapsulation;
  /** Bytes the encapsulation adds in front of the pod's IPv4 packet. */
  overhead: number;
  underlayMtu: number;
  /** The largest pod packet that fits the underlay unfragmented: underlay MTU − overhead. */
  innerMtu: number;
  /** One sentence: what the overhead is made of and the resulting MTU. */
  text: string;
}

const ENCAP_WORDS: Record<Encapsulation, string> = { ipip: "IP-in-IP", vxlan: "VXLAN", none: "no encapsulation" };

/**
 * What the encapsulation seen in `h` costs: the layers between the link header and the
 * inner IPv4 header (the MTU counts from the IPv4 header, so the outer Ethernet header,
 * which a plain packet has too, is not part of it).
 */
export function mtuEffect(h: Pick<PacketHeaders, "encapsulation" | "layers">, underlayMtu = DEFAULT_UNDERLAY_MTU): MtuEffect {
  const front = h.layers.slice(0, Math.max(0, h.layers.findIndex((l) => l.kind === "ipv4"))).filter((l) => l.kind !== "link");
  const overhead = tunnelOverhead(h.layers);
  const innerMtu = underlayMtu - overhead;
  let text: string;
  if (h.encapsulation === "none") {
    text = `No tunnel overhead: the pod's packet is on the wire as it is, so pods get the full underlay MTU of ${underlayMtu} bytes.`;
  } else {
    const parts = front.map((l) => `${l.name} ${l.bytes}`).join(" + ");
    const device = h.encapsulation === "ipip" ? " (tunl0's MTU)" : " (vxlan.calico's MTU)";
    text = `${ENCAP_WORDS[h.encapsulation]} adds ${overhead} bytes in front of the pod's packet (${parts}): MTU ${underlayMtu} → ${innerMtu}${device}.`;
  }
  return { encapsulation: h.encapsulation, overhead, underlayMtu, innerMtu, text };
}

/** "outer IPv4 20 | inner IPv4 20 | ICMP 8 | payload 56 = 104 bytes". */
export function describeStack(layers: readonly HeaderLayer[]): string {
  const total = layers.reduce((n, l) => n + l.bytes, 0);
  return `${layers.map((l) => `${l.name} ${l.bytes}`).join(" | ")} = ${total} bytes`;
}
