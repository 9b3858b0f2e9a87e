/**
 * Packet analysis: read a capture (pcap or pcapng), classify every IPv4 packet as
 * IP-in-IP, VXLAN or plain, group packets into flows, and judge a scenario from them.
 */
import { Classifier } from "./classify";
import { readCapture, ReadOptions } from "./reader";
import type { FileAnalysis } from "./types";

export type { CaptureFormat, FileAnalysis, Flow, ReadError, ScenarioJudgement, Skipped } from "./types";
export { judgeScenario } from "./judge";
export type { LabIdentity } from "./judge";
export { Classifier } from "./classify";
export { decodeFrame, DECODED, ENC_IPIP, ENC_VXLAN, Frame, LinkType, ipToString, readU16, readU32, vxlanVni } from "./decode";
export type { PacketSink } from "./classify";
export { readCapture, DEFAULT_CHUNK_SIZE, MIN_CHUNK_SIZE } from "./reader";
export type { ReadOptions, ReadResult } from "./reader";

/**
 * Reads and classifies the capture at `path`. Never throws on bad input: a missing,
 * empty, truncated or corrupt file yields what could be read plus `error`.
 */
export async function analyzeFile(path: string, options: ReadOptions = {}): Promise<FileAnalysis> {
  const classifier = new Classifier();
  const read = await readCapture(path, classifier, options);
  const analysis: FileAnalysis = {
    file: path,
    format: read.format,
    linkTypes: read.linkTypes,
    packets: classifier.packets,
    flows: classifier.flows.list(),
    skipped: classifier.skipped(),
  };
  if (read.error) analysis.error = read.error;
  return analysis;
}
