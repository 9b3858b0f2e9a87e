/**
 * `npm run analyze -- <file>...`: the command's logic, kept apart from the process so
 * tests run it in-process. Prints a JSON array (one object per file) on stdout; problems
 * go to stderr as one line per file naming the file, the byte offset and what was wrong.
 */
import { analyzeFile } from "./index";
import type { FileAnalysis } from "./types";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const ANALYZE_USAGE = [
  "usage: npm run analyze -- <capture file>...",
  "Reads pcap or pcapng captures and prints, as a JSON array, each file's format, link types,",
  "packet count, flows (ipip | vxlan | none, outer and inner addresses; VXLAN's UDP ports and VNI)",
  "and skipped packets.",
  "Exit status: 0 when every file was read to its end, 2 otherwise.",
].join("\n");

/** The printed object: the analysis, with `error` only when reading stopped early. */
function printable(a: FileAnalysis): FileAnalysis {
  const { file, format, linkTypes, packets, flows, skipped, error } = a;
  return error ? { file, format, linkTypes, packets, flows, skipped, error } : { file, format, linkTypes, packets, flows, skipped };
}

export async function runAnalyze(args: string[], io: Io): Promise<number> {
  const files = args.filter((a) => a !== "--");
  if (files.length === 0 || files.some((f) => f === "-h" || f === "--help")) {
    io.err(ANALYZE_USAGE);
    return 2;
  }
  const results: FileAnalysis[] = [];
  for (const file of files) results.push(await analyzeFile(file));
  io.out(JSON.stringify(results.map(printable), null, 2));
  let code = 0;
  for (const r of results) {
    if (!r.error) continue;
    code = 2;
    io.err(`${r.file}: at byte ${r.error.offset}: ${r.error.message} (${r.packets} packet${r.packets === 1 ? "" : "s"} read before it)`);
  }
  return code;
}
