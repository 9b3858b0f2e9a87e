/**
 * The lab report: one self-contained HTML page (topology with each scenario's path,
 * results table, the encapsulations' costs compared, header stacks to scale, routes, BGP
 * sessions drawn (reflectors and their clients, or the mesh) and pool routes, pcap links) and a Markdown summary, built from any mix of
 * stacks' outputs (the LabOutputs contract in model/spec.ts).
 *
 *     await generateReport({ stacks: [{ name: "ipip", outputs }], outDir: "reports" })
 *     // → { html: "/abs/reports/report-ipip.html", markdown: "/abs/reports/report-ipip.md" }
 */
import { promises as fsp } from "fs";
import * as path from "path";
import type { LabOutputs } from "../model/spec";
import { renderHtml } from "./html";
import { renderMarkdown } from "./markdown";
import { buildReport } from "./model";
import { checkOutputs, InputError } from "../verdicts/stackOutputs";

export { buildReport, resultRows, captureView, comparisonRows, outerWords, wireCost, OBSERVED_WORDS } from "./model";
export type { ReportModel, ResultRow, ResultCell, StackView, CaptureView, FlowView, StackInput, ComparisonRow, ComparisonCell, WireCost } from "./model";
export { layoutTopology } from "./topology";
export type { TopologyLayout, TopoPath, TopoNode, TopoPod, TopoSegment } from "./topology";
export { layoutSessions, sessionsSummary } from "./sessions";
export type { SessionsLayout, SessionEdge, SessionNode } from "./sessions";
export { samplePcap, parsePacket, HeaderSampler, tunnelOverhead } from "./packets";
export type { PacketHeaders, FlowSample, PcapSamples, HeaderLayer } from "./packets";
export { layoutBar, mtuEffect, describeStack, DEFAULT_UNDERLAY_MTU } from "./headers";
export { escapeHtml, escapeMarkdown } from "./escape";
export { renderHtml } from "./html";
export { renderMarkdown } from "./markdown";

export interface GenerateOptions {
  /** The stacks, in the order their pictures and columns appear. Names must be unique. */
  stacks: { name: string; outputs: LabOutputs }[];
  /** Folder to write into (created if missing); relative to the current directory. */
  outDir: string;
  /** File name without extension (default `report-<stack>[+<stack>...]`). */
  baseName?: string;
  /** Page title (default: "Calico encapsulation lab: <stack> vs <stack>..."). */
  title?: string;
  /** Time stamp shown in the page (default: now). */
  now?: Date;
  /** Underlay MTU the MTU statements assume (default 1500, the lab's default). */
  underlayMtu?: number;
}

/** Characters kept in a file name made from stack names. */
export function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "") || "stack";
}

/**
 * Writes `<outDir>/<baseName>.html` and `.md` and returns their absolute paths. Throws
 * InputError for unusable input (no stacks, duplicate names, outputs off-contract, a lab with no nodes).
 */
export async function generateReport(options: GenerateOptions): Promise<{ html: string; markdown: string }> {
  const { stacks } = options;
  if (stacks.length === 0) throw new InputError("no stacks: give at least one --stack NAME or --outputs FILE");
  const seen = new Set<string>();
  for (const s of stacks) {
    if (seen.has(s.name)) throw new InputError(`stack ${s.name} is given twice: each stack may appear once`);
    seen.add(s.name);
    checkOutputs(s.outputs, `stack ${s.name}`);
    if (s.outputs.nodes.length === 0) throw new InputError(`stack ${s.name}: nodes is empty: there is no lab to draw`);
  }
  const outDir = path.resolve(options.outDir);
  const base = options.baseName ?? `report-${stacks.map((s) => safeName(s.name)).join("+")}`;
  const htmlFile = path.join(outDir, `${base}.html`);
  const mdFile = path.join(outDir, `${base}.md`);
  const model = await buildReport(stacks, { title: options.title, now: options.now, underlayMtu: options.underlayMtu });
  const pcapSizes = new Map<string, number>();
  for (const s of model.stacks)
    for (const v of s.captures) {
      const st = await fsp.stat(v.capture.pcap).catch(() => undefined);
      if (st?.isFile()) pcapSizes.set(v.capture.pcap, st.size);
    }
  await fsp.mkdir(outDir, { recursive: true });
  await writeAtomically(htmlFile, renderHtml(model, { outDir, pcapSizes }));
  await writeAtomically(mdFile, renderMarkdown(model, htmlFile, outDir));
  return { html: htmlFile, markdown: mdFile };
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, text, "utf8");
  await fsp.rename(tmp, file);
}
