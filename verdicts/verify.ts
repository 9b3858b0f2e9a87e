/**
 * `npm run verify`: judges a stack's outputs (not packets: analysis/ judged those when the
 * captures ran). Where the outputs come from (arguments), the table of captures, the
 * final line and the exit code; stackOutputs.ts reads and checks the outputs, and
 * bin/verify.ts only does the I/O.
 */
import { describeModes, expectedEncapsulation } from "../model/expect";
import { CaptureEndpoint, CaptureResult, Encapsulation, LabOutputs, OuterHeader } from "../model/spec";
import { InputError, OutputsSource, ReadIo, readOutputs } from "./stackOutputs";

export const VERIFY_USAGE = [
  "usage: npm run verify -- [--stack NAME | --outputs FILE | -]",
  "  --stack NAME    read `pulumi stack output --json --show-secrets -s NAME` (default: the current stack)",
  "  --outputs FILE  read the stack outputs from a JSON file",
  "  -               read the stack outputs from standard input",
  "Exit status: 0 when there is at least one capture and every capture passed, 1 when any failed",
  "or there are none, 2 when the outputs cannot be read or do not have the expected shape.",
].join("\n");

/** Exit codes of `verify`. */
export const EXIT = { PASS: 0, FAIL: 1, UNUSABLE: 2 } as const;

export function parseVerifyArgs(argv: string[]): { source: OutputsSource } | { error: string } {
  const args = argv.filter((a) => a !== "--");
  if (args.length === 0) return { source: { kind: "stack" } };
  const [flag, value, ...rest] = args;
  if (rest.length > 0) return { error: `too many arguments: ${rest.join(" ")}` };
  if (flag === "-") return value === undefined ? { source: { kind: "stdin" } } : { error: `unexpected argument after -: ${value}` };
  if (flag === "--stack" || flag === "-s") return value ? { source: { kind: "stack", name: value } } : { error: `${flag} needs a stack name` };
  if (flag === "--outputs" || flag === "-o") return value ? { source: { kind: "file", path: value } } : { error: `${flag} needs a file path` };
  return { error: `unknown argument ${flag}` };
}

// --- verdicts and the table ---------------------------------------------------------------

export interface VerifyRow {
  scenario: string;
  from: string;
  to: string;
  expected: string;
  observed: string;
  outer: string;
  pass: boolean;
  /** Why the row failed; empty when it passed. */
  reason: string;
  /** Packets between the pods that were not the lab's, so not judged (one line each). */
  ignored: string[];
}

function endpoint(e: CaptureEndpoint): string {
  return `${e.pod} ${e.ip} (${e.node})`;
}

/** `10.1.5.10 > 10.1.8.10 proto 4`; VXLAN adds `udp 40000 > 4789 vni 4096` (what it has of them). */
export function outerText(o: OuterHeader | null): string {
  if (o === null) return "-";
  const ports = o.dstPort === undefined ? "" : ` udp ${o.srcPort ?? "?"} > ${o.dstPort}`;
  const vni = o.vni === undefined ? "" : ` vni ${o.vni}`;
  return `${o.src} > ${o.dst} proto ${o.protocol}${ports}${vni}`;
}

/**
 * What the outputs' own pool modes and node addresses say the capture must show (the one
 * rule of model/expect.ts); undefined when a node of the capture is not listed.
 */
function expectedFromModes(outputs: LabOutputs, c: CaptureResult): Encapsulation | undefined {
  const node = (name: string) => outputs.nodes.find((n) => n.name === name);
  const client = node(c.client.node);
  const server = node(c.server.node);
  return client && server ? expectedEncapsulation(outputs.lab, client, server) : undefined;
}

/**
 * One row per capture. A capture passes only when the outputs say it passed, what was
 * observed is what was expected, and what was expected is what the outputs' modes give:
 * outputs that claim a pass for a mismatch, or expect the wrong thing, fail.
 */
export function verifyRows(outputs: LabOutputs): VerifyRow[] {
  return outputs.captures.map((c: CaptureResult) => {
    const reasons: string[] = [];
    if (!c.pass) reasons.push(c.reason || "failed (no reason given)");
    else if (c.observed !== c.expected) reasons.push(`the outputs say it passed, but ${c.observed} was observed where ${c.expected} was expected`);
    const byModes = expectedFromModes(outputs, c);
    if (byModes !== undefined && byModes !== c.expected)
      reasons.push(`the outputs expect ${c.expected}, but ${describeModes(outputs.lab)} between nodes ${c.client.node} and ${c.server.node} means ${byModes}`);
    return {
      scenario: c.scenario,
      from: endpoint(c.client),
      to: endpoint(c.server),
      expected: c.expected,
      observed: c.observed,
      outer: outerText(c.outer),
      pass: reasons.length === 0,
      reason: reasons.join("; "),
      ignored: (c.ignored ?? []).map((i) => `${i.packets} packet${i.packets === 1 ? "" : "s"} of ${i.reason}`),
    };
  });
}

/**
 * The outputs with each capture's pass and reason, and the overall verdict, as verify
 * judges them: what the report shows, so it never draws a pass that verify fails.
 */
export function judgedOutputs(outputs: LabOutputs): LabOutputs {
  const rows = verifyRows(outputs);
  const captures = outputs.captures.map((c, i) => ({ ...c, pass: rows[i].pass, reason: rows[i].reason }));
  return { ...outputs, captures, verdict: verifyExitCode(rows) === EXIT.PASS ? "pass" : "fail" };
}

export function verifyExitCode(rows: VerifyRow[]): number {
  return rows.length > 0 && rows.every((r) => r.pass) ? EXIT.PASS : EXIT.FAIL;
}

const HEAD = ["scenario", "from", "to", "expected", "observed", "outer header", "pass"];

export function formatTable(rows: VerifyRow[]): string {
  const cells = rows.map((r) => [r.scenario, r.from, r.to, r.expected, r.observed, r.outer, r.pass ? "PASS" : "FAIL"]);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string =>
    c
      .map((x, i) => x.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(HEAD), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n");
}

/** The report: table, one line per failure, and the final line. */
export function formatReport(outputs: LabOutputs, rows: VerifyRow[]): string {
  const lab = `lab ${outputs.lab.name}, ${outputs.lab.backend} backend, ${describeModes(outputs.lab)}, ${outputs.lab.dataplane} data plane`;
  if (rows.length === 0) return `FAIL: the outputs hold no capture, so nothing was verified (${lab})`;
  const out = [formatTable(rows), ""];
  const failed = rows.filter((r) => !r.pass);
  for (const r of failed) out.push(`${r.scenario}: ${r.reason}`);
  if (failed.length) out.push("");
  // A failure's reason already says what was not counted; a pass says it here.
  const ignored = rows.filter((r) => r.pass).flatMap((r) => r.ignored.map((i) => `${r.scenario}: not counted: ${i}`));
  if (ignored.length) out.push(...ignored, "");
  out.push(
    failed.length === 0
      ? `PASS: all ${rows.length} captures show the expected encapsulation (${lab})`
      : `FAIL: ${failed.length} of ${rows.length} captures failed: ${failed.map((r) => r.scenario).join(", ")} (${lab})`,
  );
  if (outputs.verdict === "pass" && failed.length > 0) out.push(`note: the stack's own verdict says "pass", which the captures do not support`);
  return out.join("\n");
}

export interface Verdict {
  stdout: string;
  stderr: string;
  code: number;
}

/** Reads the outputs from `source` and judges them: what to print on stdout and stderr, and the exit code. */
export async function verifySource(source: OutputsSource, io: ReadIo = {}): Promise<Verdict> {
  let outputs: LabOutputs;
  try {
    outputs = (await readOutputs(source, io)).outputs;
  } catch (e) {
    if (e instanceof InputError) return { stdout: "", stderr: `verify: ${e.message}\n`, code: EXIT.UNUSABLE };
    throw e;
  }
  const rows = verifyRows(outputs);
  return { stdout: formatReport(outputs, rows) + "\n", stderr: "", code: verifyExitCode(rows) };
}
