/** Pure parts of a capture run: its environment, its script's output, its verdict. */
import * as crypto from "crypto";
import * as path from "path";
import { CaptureEndpoint, CapturePods, CaptureScriptResult } from "../backend";
import { CAPTURE_MARKER, CaptureFolder, markerText } from "../../model/captureDir";
import { VXLAN_PORT } from "../../model/dataplane";
import { CaptureResult, LabSpec, NodeSpec, ScenarioSpec } from "../../model/spec";
import { FileAnalysis, judgeScenario } from "../../analysis";
import { lastJsonObject } from "../scriptOutput";

/** Where tcpdump listens: the client node's underlay NIC, where encapsulation is visible. */
export const CAPTURE_INTERFACE = "net0";

export function pcapPath(spec: LabSpec, scenario: ScenarioSpec): string {
  return path.join(spec.capture.dir, `${scenario.name}.pcap`);
}

/**
 * A digest of everything the packets depend on besides the mode, so a capture re-runs
 * whenever the lab it measured changes (a Command re-runs create when its inputs change).
 */
export function labFingerprint(spec: LabSpec): string {
  const shape = { mtu: spec.mtu, podSubnet: spec.podSubnet, blockSize: spec.blockSize, subnets: spec.subnets.map((s) => ({ ...s, nodes: s.nodes.map(({ routes: _modeDependent, ...node }) => node) })), images: spec.images, calico: spec.calico };
  return crypto.createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 16);
}

/**
 * A capture's whole environment: the keys every backend's script receives, then the
 * backend's own targets (`CaptureInvocation.environment`). Every value is an input of the
 * Command, so a change to any of them re-runs the capture.
 */
export function captureEnvironment<V>(spec: LabSpec, scenario: ScenarioSpec, client: NodeSpec, server: NodeSpec, targets: Record<string, V>): Record<string, string | V> {
  return {
    CAPTURE_PCAP: pcapPath(spec, scenario),
    ...captureFolderEnvironment(spec.stack, spec.capture),
    CAPTURE_MAX_PACKETS: String(spec.capture.maxPackets),
    CAPTURE_TIMEOUT: String(spec.capture.timeoutSeconds),
    CAPTURE_INTERFACE,
    CAPTURE_SCENARIO: scenario.name,
    CLIENT_NODE: client.name,
    SERVER_NODE: server.name,
    LAB_NAME: spec.name,
    LAB_IPIP_MODE: spec.ipipMode,
    LAB_VXLAN_MODE: spec.vxlanMode,
    LAB_FINGERPRINT: labFingerprint(spec),
    ...targets,
  };
}

/**
 * What assets/capture/folder.sh acts on: the folders the lab makes for the pcaps, one a
 * line (none: the folder is the user's), the marker file in the last and its text. The
 * same on every up, whether the folders are still to be made or an earlier up made them,
 * so a capture re-runs only when its lab changes.
 */
export function captureFolderEnvironment(stack: string, folder: CaptureFolder): Record<string, string> {
  const made = folder.made.length > 0;
  return {
    CAPTURE_FOLDERS: folder.made.join("\n"),
    CAPTURE_MARKER: made ? path.join(folder.dir, CAPTURE_MARKER) : "",
    CAPTURE_MARKER_TEXT: made ? markerText(stack, folder.made) : "",
  };
}

/** What a capture observed: the two pods and the routes. */
export interface CaptureObservation {
  client: CaptureEndpoint;
  server: CaptureEndpoint;
  routes: { client: string[]; server: string[] };
}

/** The JSON result a capture script prints as its last line of stdout, with the two pods the program knows. */
export function parseCaptureOutput(stdout: string, pods: CapturePods): CaptureObservation {
  const { value, line } = lastJsonObject(stdout, "the capture script");
  const routes = (value as Partial<CaptureScriptResult>).routes;
  if (typeof routes !== "object" || routes === null || !Array.isArray(routes.client) || !Array.isArray(routes.server)) {
    throw new Error(`the capture script's result lacks routes {client: [...], server: [...]}: ${line.slice(0, 200)}`);
  }
  return { ...pods, routes: { client: routeLines(routes.client), server: routeLines(routes.server) } };
}

/** `ip route get` lines without the "cache" continuation line and blank lines it prints. */
export function routeLines(lines: string[] | undefined): string[] {
  return (lines ?? []).map((l) => l.trim()).filter((l) => l !== "" && l !== "cache");
}

/** Combine a scenario, what its script reported and what the packets showed. */
export function captureResult(
  spec: LabSpec,
  scenario: ScenarioSpec,
  client: NodeSpec,
  server: NodeSpec,
  run: CaptureObservation,
  analysis: FileAnalysis,
): CaptureResult {
  const expected = scenario.expected;
  const judged = judgeScenario(analysis, run.client.ip, run.server.ip, expected, { nodes: spec.nodes.map((n) => n.ip), vxlanPort: VXLAN_PORT });
  const damaged = analysis.error === undefined ? "" : `the pcap is damaged at byte ${analysis.error.offset}: ${analysis.error.message}`;
  return {
    scenario: scenario.name,
    client: { pod: run.client.pod, ip: run.client.ip, node: client.name, nodeIp: client.ip },
    server: { pod: run.server.pod, ip: run.server.ip, node: server.name, nodeIp: server.ip },
    point: { node: client.name, interface: CAPTURE_INTERFACE },
    pcap: pcapPath(spec, scenario),
    packets: analysis.packets,
    expected,
    observed: judged.observed,
    outer: judged.outer,
    pass: judged.pass && damaged === "",
    reason: [judged.reason, damaged].filter((s) => s !== "").join("; "),
    // Only when there is something to say, so outputs stay as they were for clean captures.
    ...(judged.ignored.length > 0 ? { ignored: judged.ignored } : {}),
    routes: run.routes,
  };
}

/** "pass" only when there is at least one capture and all of them passed. */
export function overallVerdict(captures: CaptureResult[]): "pass" | "fail" {
  return captures.length > 0 && captures.every((c) => c.pass) ? "pass" : "fail";
}
