/**
 * `npm run report -- [--stack NAME]... [--outputs [NAME=]FILE]... [--out DIR]`
 *
 * Exit codes: 0 written; 2 unusable input or usage (the message says which); 1 anything
 * unexpected (a bug or an I/O failure while writing).
 */
import * as path from "path";
import { generateReport } from "./index";
import { InputError, OutputsSource, PulumiRunner, readOutputs, StackOutputs } from "../verdicts/stackOutputs";

export const USAGE = `usage: npm run report -- [--stack NAME]... [--outputs [NAME=]FILE]... [--out DIR]

Writes one self-contained HTML report and a Markdown summary of the given stacks
(in the order given) under DIR (default: reports/).
  --stack NAME          read the outputs with \`pulumi stack output --json --show-secrets -s NAME\`
  --outputs [NAME=]FILE read them from a JSON file written by that command
                        (the stack is named NAME, or after the file: ipip.json → ipip)
  --out DIR             where to write (default: reports, relative to the current directory)`;

export interface CliArgs {
  sources: OutputsSource[];
  outDir: string;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { sources: [], outDir: "reports", help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      args.help = true;
      continue;
    }
    const m = /^(--stack|--outputs|--out|-s)(?:=(.*))?$/.exec(a);
    if (!m) throw new InputError(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || (value.startsWith("--") && value.length > 2)) throw new InputError(`${m[1]} needs a value\n${USAGE}`);
    }
    if (value === "") throw new InputError(`${m[1]} needs a non-empty value\n${USAGE}`);
    if (m[1] === "--stack" || m[1] === "-s") args.sources.push({ kind: "stack", name: value });
    else if (m[1] === "--outputs") args.sources.push(namedFile(value));
    else args.outDir = value;
  }
  if (!args.help && args.sources.length === 0) throw new InputError(`give at least one --stack NAME or --outputs FILE\n${USAGE}`);
  return args;
}

/** `FILE` or `NAME=FILE` (a `=` inside the folder part belongs to the path). */
export function namedFile(spec: string): OutputsSource {
  const eq = spec.indexOf("=");
  return eq > 0 && !spec.slice(0, eq).includes(path.sep) ? { kind: "file", path: spec.slice(eq + 1), name: spec.slice(0, eq) } : { kind: "file", path: spec };
}

export interface CliIo {
  cwd?: string;
  pulumi?: PulumiRunner;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export async function main(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const out = io.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = io.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const cwd = io.cwd ?? process.cwd();
  try {
    const args = parseArgs(argv);
    if (args.help) {
      out(USAGE);
      return 0;
    }
    const stacks: StackOutputs[] = [];
    for (const s of args.sources) {
      stacks.push(await readOutputs(s, { cwd, pulumi: io.pulumi }));
    }
    const written = await generateReport({ stacks, outDir: path.resolve(cwd, args.outDir) });
    out(written.html);
    out(written.markdown);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      err(`report: ${e.message}`);
      return 2;
    }
    err(`report: unexpected failure: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}
