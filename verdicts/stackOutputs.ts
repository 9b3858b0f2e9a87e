/**
 * The one reader of a stack's outputs, for `npm run verify`, `npm run lab -- up` and the
 * report: from `pulumi stack output --json --show-secrets [-s NAME]`, from a JSON file it
 * wrote, or from standard input; checked against the LabOutputs contract (model/outputs.ts)
 * so nothing judges or draws half-understood data. Every problem is reported, by JSON path.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import { promises as fsp } from "fs";
import * as path from "path";
import { outputsProblems } from "../model/outputs";
import type { LabOutputs } from "../model/spec";

/** Unusable input: the commands print the message and exit 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

export interface StackOutputs {
  /** Stack name as shown: the `-s` name, the name given to a file, or the file's name. */
  name: string;
  outputs: LabOutputs;
}

/** Where outputs come from. A stack without a name is the current stack; a file without one is named after it. */
export type OutputsSource = { kind: "stack"; name?: string } | { kind: "file"; path: string; name?: string } | { kind: "stdin" };

/** Problems listed in full before the rest are counted: enough to see what went wrong. */
const SHOWN_PROBLEMS = 20;

/** Checks that `value` is a LabOutputs; throws InputError listing every problem, prefixed with `source`. */
export function checkOutputs(value: unknown, source: string): LabOutputs {
  const problems = outputsProblems(value);
  if (problems.length > 0) {
    const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => `  - ${p}`);
    if (problems.length > SHOWN_PROBLEMS) shown.push(`  - … and ${problems.length - SHOWN_PROBLEMS} more`);
    throw new InputError(`${source}: the outputs do not follow the LabOutputs contract (model/spec.ts):\n${shown.join("\n")}`);
  }
  return value as LabOutputs;
}

/** Parses the JSON text `pulumi stack output --json` printed; empty text and bad JSON are InputErrors. */
export function parseOutputsJson(text: string, source: string): LabOutputs {
  if (text.trim() === "") throw new InputError(`${source}: empty, expected the stack's outputs as JSON (has \`pulumi up\` run?)`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${source}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return checkOutputs(value, source);
}

/** The pulumi command line that prints a stack's outputs (the current stack's without a name). */
export function stackOutputArgs(name?: string): string[] {
  return ["stack", "output", "--json", "--show-secrets", ...(name ? ["-s", name] : [])];
}

/** How the readers run pulumi; tests substitute a stand-in by PATH or by this hook. */
export interface PulumiRunner {
  (args: string[], cwd: string): Promise<{ stdout: string; stderr: string; code: number | null; missing: boolean }>;
}

/** Runs `command` (default: the pulumi on PATH) with `env`. */
export function pulumiRunner(command = "pulumi", env: NodeJS.ProcessEnv = process.env): PulumiRunner {
  return (args, cwd) =>
    new Promise((resolve) => {
      execFile(command, args, { cwd, maxBuffer: 256 * 1024 * 1024, env }, (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === "ENOENT") {
          resolve({ stdout: "", stderr: "", code: null, missing: true });
          return;
        }
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ stdout: String(stdout), stderr: String(stderr), code, missing: false });
      });
    });
}

export const runPulumi: PulumiRunner = pulumiRunner();

export interface ReadIo {
  /** Where relative files are found and pulumi runs (default: the current directory). */
  cwd?: string;
  pulumi?: PulumiRunner;
  /** Standard input's text (default: read file descriptor 0). */
  stdin?: () => Promise<string>;
}

function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES") return "permission denied";
  return e instanceof Error ? e.message : String(e);
}

async function readStack(name: string | undefined, cwd: string, run: PulumiRunner): Promise<StackOutputs> {
  const args = stackOutputArgs(name);
  const flag = `--stack ${name ?? "(current)"}`;
  const r = await run(args, cwd);
  if (r.missing) {
    const file = `${name ?? "outputs"}.json`;
    throw new InputError(
      `${flag}: the pulumi CLI is not on PATH. Install it, or write the outputs to a file where it is ` +
        `(pulumi ${args.join(" ")} > ${file}) and pass --outputs ${file}`,
    );
  }
  if (r.code !== 0) {
    const err = (r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n  ");
    throw new InputError(`${flag}: \`pulumi ${args.join(" ")}\` failed (exit ${r.code})${err ? `:\n  ${err}` : ""}`);
  }
  return { name: name ?? "(current)", outputs: parseOutputsJson(r.stdout, `stack ${name ?? "(current)"}`) };
}

/** Reads and checks the outputs from `source`; throws InputError saying what is wrong with them. */
export async function readOutputs(source: OutputsSource, io: ReadIo = {}): Promise<StackOutputs> {
  const cwd = io.cwd ?? process.cwd();
  switch (source.kind) {
    case "stack":
      return readStack(source.name, cwd, io.pulumi ?? runPulumi);
    case "file": {
      const flag = `--outputs ${source.path}`;
      let text: string;
      try {
        text = await fsp.readFile(path.resolve(cwd, source.path), "utf8");
      } catch (e) {
        throw new InputError(`${flag}: cannot read it: ${why(e)}`);
      }
      return { name: source.name ?? path.basename(source.path).replace(/\.json$/i, ""), outputs: parseOutputsJson(text, flag) };
    }
    case "stdin": {
      let text: string;
      try {
        text = await (io.stdin ?? (async () => fs.readFileSync(0, "utf8")))();
      } catch (e) {
        throw new InputError(`standard input: cannot read it: ${why(e)}`);
      }
      return { name: "stdin", outputs: parseOutputsJson(text, "standard input") };
    }
  }
}
