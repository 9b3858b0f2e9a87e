/**
 * The Markdown summary written beside the HTML: verdicts, the results table, failures
 * with their reasons, and where the pcaps are. Plain enough for a CI job summary.
 */
import * as path from "path";
import { escapeMarkdown as m, markdownCode } from "./escape";
import type { ReportModel } from "./model";
import { sessionsSummary } from "./sessions";

export function renderMarkdown(r: ReportModel, htmlFile: string, outDir: string): string {
  const out: string[] = [];
  out.push(`# ${m(r.title)}`, "");
  out.push(`Overall: **${r.verdict === "pass" ? "PASS ✔" : "FAIL ✘"}** · generated ${m(r.generatedAt)} · full report: [${m(path.basename(htmlFile))}](${encodeURI(path.relative(outDir, htmlFile) || path.basename(htmlFile))})`, "");
  out.push("| stack | modes | pod MTU | backend | data plane | verdict |", "|---|---|---|---|---|---|");
  for (const s of r.stacks) {
    const l = s.outputs.lab;
    out.push(`| ${m(s.name)} | ${m(s.modes)} | ${s.podMtu} | ${m(l.backend)} | ${m(l.dataplane)} | ${s.outputs.verdict === "pass" ? "PASS ✔" : "**FAIL ✘**"} |`);
  }
  out.push("");
  const sessions = r.stacks.filter((s) => s.sessions.edges.length > 0);
  if (sessions.length) {
    out.push("## BGP sessions", "");
    for (const s of sessions) {
      const down = s.sessions.edges.filter((x) => !x.established).map((x) => `${x.a} ↔ ${x.b} (${x.states.join(", ")})`);
      out.push(`- **${m(s.name)}**: ${m(sessionsSummary(s.sessions))}${down.length ? `; not Established: ${m(down.join("; "))}` : ""}`);
    }
    out.push("");
  }
  out.push("## Results", "");
  out.push(`| scenario | ${r.stacks.map((s) => m(s.name)).join(" | ")} |`, `|---|${r.stacks.map(() => "---").join("|")}|`);
  for (const row of r.rows) {
    const cells = row.cells.map((c) => {
      if (!c.present) return "not captured";
      const verdict = c.pass ? "PASS ✔" : "**FAIL ✘**";
      return `${verdict} expected ${m(c.expected ?? "")}, observed ${m(c.observed ?? "")}; outer ${m(c.outer ?? "")}; inner ${m(c.inner ?? "")}; ${c.packets} packets`;
    });
    out.push(`| ${m(row.scenario)} | ${cells.join(" | ")} |`);
  }
  out.push("");
  const fails = r.stacks.flatMap((s) => s.failures.map((c) => `- **${m(s.name)}** ${m(c.scenario)}: ${m(c.reason || "failed")}`));
  if (fails.length) out.push("## Failures", "", ...fails, "");
  out.push("## What each encapsulation costs", "", "Tunnel bytes per packet, and their share of the bytes on the wire, measured from the pcaps.", "");
  out.push(`| scenario | ${r.stacks.map((s) => m(s.name)).join(" | ")} |`, `|---|${r.stacks.map(() => "---").join("|")}|`);
  for (const row of r.comparison) {
    const cells = row.cells.map((c) => {
      if (!c.present) return "not captured";
      if (!c.wire || c.perPacket === undefined || c.share === undefined) return m(c.note ?? "");
      return `${Number.isInteger(c.perPacket) ? c.perPacket : c.perPacket.toFixed(1)} B/packet, ${(c.share * 100).toFixed(1)} % of ${c.wire.bytes} B (${c.wire.packets} packets)`;
    });
    out.push(`| ${m(row.scenario)} | ${cells.join(" | ")} |`);
  }
  out.push("");
  out.push("## Tunnel overhead", "");
  const seen = new Set<string>();
  for (const s of r.stacks)
    for (const v of s.captures)
      for (const f of v.flows) {
        if (seen.has(f.mtu.text)) continue;
        seen.add(f.mtu.text);
        out.push(`- ${m(f.mtu.text)}`);
      }
  if (seen.size === 0) out.push("- No pcap was readable here: no header stacks.");
  out.push("", "## Captures", "");
  for (const s of r.stacks)
    for (const v of s.captures) {
      const where = v.pcap.exists ? markdownCode(v.capture.pcap) : `${markdownCode(v.capture.pcap)} (not on this machine)`;
      out.push(`- ${m(s.name)} / ${m(v.capture.scenario)}: ${where}`);
    }
  out.push("");
  return out.join("\n");
}
