/**
 * The report's data model: everything the HTML and Markdown show, computed from the
 * stacks' outputs (and their pcaps) before any markup is written. Pure except for
 * `buildReport`, which reads the pcaps.
 */
import { podMtu } from "../model/dataplane";
import { describeModes } from "../model/expect";
import type { CaptureResult, Encapsulation, LabOutputs } from "../model/spec";
import { judgedOutputs } from "../verdicts/verify";
import { DEFAULT_UNDERLAY_MTU, mtuEffect, MtuEffect } from "./headers";
import { FlowSample, PcapSamples, protocolName, samplePcap } from "./packets";
import { layoutSessions, SessionsLayout } from "./sessions";
import { layoutTopology, TopologyLayout } from "./topology";

export interface StackInput {
  name: string;
  outputs: LabOutputs;
}

type Observed = CaptureResult["observed"];

/** Words for encapsulations in tables and keys. */
export const OBSERVED_WORDS: Record<Observed, string> = {
  ipip: "IPIP",
  vxlan: "VXLAN",
  none: "plain",
  mixed: "mixed",
  missing: "no packets",
};

export interface ResultCell {
  stack: string;
  /** The scenario was captured in this stack. */
  present: boolean;
  expected?: string;
  observed?: string;
  observedKind?: Observed;
  /** "10.1.5.10 → 10.1.8.10 (proto 4)", with VXLAN's "udp 40000 → 4789, VNI 4096"; or "—". */
  outer?: string;
  /** "10.244.0.2 → 10.244.2.2". */
  inner?: string;
  packets?: number;
  pass?: boolean;
  reason?: string;
}

export interface ResultRow {
  scenario: string;
  /** "pod-0 on node A → pod-2 on node C" from the first stack that has the scenario. */
  path: string;
  cells: ResultCell[];
  /** Some stack failed this scenario. */
  failed: boolean;
}

/** An outer header in words, for tables: addresses and protocol, and VXLAN's ports and VNI. */
export function outerWords(o: CaptureResult["outer"]): string {
  if (o === null) return "—";
  const ports = o.dstPort === undefined ? "" : `, udp ${o.srcPort ?? "?"} → ${o.dstPort}`;
  const vni = o.vni === undefined ? "" : `, VNI ${o.vni}`;
  return `${o.src} → ${o.dst} (proto ${o.protocol}${ports}${vni})`;
}

export function resultCell(stack: string, c: CaptureResult | undefined): ResultCell {
  if (!c) return { stack, present: false };
  return {
    stack,
    present: true,
    expected: OBSERVED_WORDS[c.expected],
    observed: OBSERVED_WORDS[c.observed],
    observedKind: c.observed,
    outer: outerWords(c.outer),
    inner: `${c.client.ip} → ${c.server.ip}`,
    packets: c.packets,
    pass: c.pass,
    reason: c.pass ? "" : c.reason || `expected ${OBSERVED_WORDS[c.expected]}, observed ${OBSERVED_WORDS[c.observed]}`,
  };
}

/** One row per scenario (in order of first appearance across the stacks), one cell per stack. */
export function resultRows(stacks: readonly StackInput[]): ResultRow[] {
  const order: string[] = [];
  for (const s of stacks) for (const c of s.outputs.captures) if (!order.includes(c.scenario)) order.push(c.scenario);
  return order.map((scenario) => {
    const cells = stacks.map((s) => resultCell(s.name, s.outputs.captures.find((c) => c.scenario === scenario)));
    const first = stacks.flatMap((s) => s.outputs.captures).find((c) => c.scenario === scenario)!;
    return {
      scenario,
      path: `${first.client.pod} on ${first.client.node} → ${first.server.pod} on ${first.server.node}`,
      cells,
      failed: cells.some((c) => c.present && c.pass === false),
    };
  });
}

export interface FlowView {
  /** "10.244.0.2 → 10.244.2.2 ICMP, 12 packets, IPIP 10.1.5.10 → 10.1.8.10". */
  title: string;
  flow: FlowSample;
  mtu: MtuEffect;
}

/** What the packets between the two pods cost on the wire, measured from the pcap. */
export interface WireCost {
  packets: number;
  /** Their lengths on the wire. */
  bytes: number;
  /** What the tunnel added to them (packets.ts tunnelOverhead). */
  overheadBytes: number;
  /** The encapsulations seen, in order of first appearance. */
  encapsulations: Encapsulation[];
}

export interface CaptureView {
  number: number;
  capture: CaptureResult;
  /** What the pcap held; `exists: false` when the file is not on this machine. */
  pcap: PcapSamples;
  /** One per flow between the two pods, busiest first. */
  flows: FlowView[];
  /** Their cost on the wire; null when the pcap is not here or holds none of them. */
  wire: WireCost | null;
  /** Said instead of header stacks when there are none. */
  note?: string;
}

export interface StackView {
  name: string;
  outputs: LabOutputs;
  /** The pool's modes in words: `IPIP Always`, `VXLAN CrossSubnet`, `no encapsulation`. */
  modes: string;
  /** The MTU pods get under those modes (Felix's rule: the underlay's less the encapsulation's overhead). */
  podMtu: number;
  topology: TopologyLayout;
  /** The BGP sessions as a picture: reflectors and their clients, or the mesh. */
  sessions: SessionsLayout;
  captures: CaptureView[];
  failures: CaptureResult[];
}

/** One stack's cost for one scenario; absent when the stack has no such capture. */
export interface ComparisonCell {
  stack: string;
  present: boolean;
  /** Average tunnel bytes per packet (the same for every packet of one encapsulation). */
  perPacket?: number;
  /** Tunnel bytes over all bytes on the wire, 0..1. */
  share?: number;
  wire?: WireCost;
  /** Why there are no numbers, when there are none. */
  note?: string;
}

export interface ComparisonRow {
  scenario: string;
  cells: ComparisonCell[];
}

export interface ReportModel {
  title: string;
  generatedAt: string;
  underlayMtu: number;
  stacks: StackView[];
  rows: ResultRow[];
  /** What each stack's encapsulation cost per scenario, measured from the pcaps. */
  comparison: ComparisonRow[];
  /** "pass" when every stack passed. */
  verdict: "pass" | "fail";
}

export function flowTitle(f: FlowSample): string {
  const x = f.sample.vxlan;
  const udp = x ? ` udp ${x.srcPort} → ${x.dstPort} VNI ${x.vni}` : "";
  const enc = f.encapsulation === "none" ? "plain" : `${OBSERVED_WORDS[f.encapsulation]} ${f.outerSrc} → ${f.outerDst}${udp}`;
  return `${f.innerSrc} → ${f.innerDst} ${protocolName(f.protocol)} · ${f.packets} packet${f.packets === 1 ? "" : "s"} · ${enc}`;
}

/** The flows' packets, bytes and tunnel bytes, summed; null without flows. */
export function wireCost(flows: readonly FlowSample[]): WireCost | null {
  if (flows.length === 0) return null;
  const encapsulations: Encapsulation[] = [];
  for (const f of flows) if (!encapsulations.includes(f.encapsulation)) encapsulations.push(f.encapsulation);
  return {
    packets: flows.reduce((n, f) => n + f.packets, 0),
    bytes: flows.reduce((n, f) => n + f.bytes, 0),
    overheadBytes: flows.reduce((n, f) => n + f.overheadBytes, 0),
    encapsulations,
  };
}

export function captureView(number: number, capture: CaptureResult, pcap: PcapSamples, underlayMtu = DEFAULT_UNDERLAY_MTU): CaptureView {
  const flows = pcap.flows.map((flow) => ({ title: flowTitle(flow), flow, mtu: mtuEffect(flow.sample, underlayMtu) }));
  let note: string | undefined;
  if (!pcap.exists) note = `The pcap is not on this machine (${capture.pcap}): no header stacks drawn. The capture's own numbers above come from the stack outputs.`;
  else if (flows.length === 0)
    note = `The pcap holds ${pcap.packets} packet${pcap.packets === 1 ? "" : "s"} but none between ${capture.client.ip} and ${capture.server.ip}.`;
  if (pcap.error) note = `${note ? `${note} ` : ""}The file could not be read to its end: ${pcap.error}.`;
  return { number, capture, pcap, flows, wire: wireCost(pcap.flows), ...(note ? { note } : {}) };
}

/** One row per scenario, one cell per stack: what the encapsulation cost, from the pcaps. */
export function comparisonRows(rows: readonly ResultRow[], stacks: readonly StackView[]): ComparisonRow[] {
  return rows.map((r) => ({
    scenario: r.scenario,
    cells: stacks.map((s): ComparisonCell => {
      const v = s.captures.find((c) => c.capture.scenario === r.scenario);
      if (!v) return { stack: s.name, present: false };
      if (!v.wire) return { stack: s.name, present: true, note: v.pcap.exists ? "no packets between the pods" : "pcap not on this machine" };
      return { stack: s.name, present: true, wire: v.wire, perPacket: v.wire.overheadBytes / v.wire.packets, share: v.wire.bytes > 0 ? v.wire.overheadBytes / v.wire.bytes : 0 };
    }),
  }));
}

/** The stacks' names in a title: `a vs b vs c`. */
export function reportTitle(names: readonly string[]): string {
  return `Calico encapsulation lab: ${names.join(" vs ")}`;
}

export interface BuildOptions {
  title?: string;
  /** ISO time stamp shown in the page (default: now). */
  now?: Date;
  underlayMtu?: number;
}

/**
 * Builds the model, reading each capture's pcap (when it exists) for header stacks. Every
 * pass, failure and verdict shown is verify's judgement of the outputs (judgedOutputs),
 * not only what the outputs claim.
 */
export async function buildReport(given: readonly StackInput[], options: BuildOptions = {}): Promise<ReportModel> {
  const stacks = given.map((s) => ({ name: s.name, outputs: judgedOutputs(s.outputs) }));
  const underlayMtu = options.underlayMtu ?? stacks[0]?.outputs.lab.mtu ?? DEFAULT_UNDERLAY_MTU;
  const views: StackView[] = [];
  for (const s of stacks) {
    const captures: CaptureView[] = [];
    for (const [i, c] of s.outputs.captures.entries()) {
      const pcap = await samplePcap(c.pcap, [c.client.ip, c.server.ip]);
      captures.push(captureView(i + 1, c, pcap, options.underlayMtu ?? s.outputs.lab.mtu ?? underlayMtu));
    }
    const lab = s.outputs.lab;
    views.push({
      name: s.name,
      outputs: s.outputs,
      modes: describeModes(lab),
      podMtu: podMtu(lab.mtu ?? underlayMtu, lab),
      topology: layoutTopology(s.outputs),
      sessions: layoutSessions(s.outputs),
      captures,
      failures: s.outputs.captures.filter((c) => !c.pass),
    });
  }
  const rows = resultRows(stacks);
  return {
    title: options.title ?? reportTitle(stacks.map((s) => s.name)),
    generatedAt: (options.now ?? new Date()).toISOString(),
    underlayMtu,
    stacks: views,
    rows,
    comparison: comparisonRows(rows, views),
    verdict: stacks.length > 0 && stacks.every((s) => s.outputs.verdict === "pass") ? "pass" : "fail",
  };
}
