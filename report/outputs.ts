/**
 * Reading stack outputs: from `pulumi stack output --json --show-secrets -s NAME` or from
 * a JSON file written by it, checked against the LabOutputs contract (lab/spec.ts) so the
 * report never renders half-understood data. Every problem is reported, by JSON path.
 */
import { execFile } from "child_process";
import { promises as fsp } from "fs";
import * as path from "path";
import { outputsProblems } from "../lab/outputs";
import { LabOutputs } from "../lab/spec";

/** Unusable input: the CLI prints the message and exits 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

export interface StackOutputs {
  /** Stack name as shown in the report (the `-s` name, or the file's name). */
  name: string;
  outputs: LabOutputs;
}

/**
 * Checks that `value` is a LabOutputs; throws InputError listing every problem, each
 * prefixed with `source` (e.g. `stack ipip` or the file name).
 */
export function checkOutputs(value: unknown, source: string): LabOutputs {
  const problems = outputsProblems(value);
  const root = value as Partial<Record<keyof LabOutputs, unknown>> | null;
  if (Array.isArray(root?.nodes) && root.nodes.length === 0) problems.push("nodes is empty: there is no lab to draw");
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : "";
    throw new InputError(`${source}: the outputs do not follow the LabOutputs contract (lab/spec.ts):\n  ${shown.join("\n  ")}${more}`);
  }
  return value as LabOutputs;
}

/** Parses JSON text from `source`; a syntax error becomes an InputError. */
export function parseOutputsJson(text: string, source: string): LabOutputs {
  if (text.trim() === "") throw new InputError(`${source}: empty output, expected the stack's outputs as JSON`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`${source}: not JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return checkOutputs(value, source);
}

/**
 * Reads a JSON file written from `pulumi stack output --json`. `spec` is `FILE` or
 * `NAME=FILE`; without a name the stack is named after the file (`ipip.json` → ipip).
 */
export async function readOutputsFile(spec: string, cwd = process.cwd()): Promise<StackOutputs> {
  const eq = spec.indexOf("=");
  const named = eq > 0 && !spec.slice(0, eq).includes(path.sep);
  const file = named ? spec.slice(eq + 1) : spec;
  const name = named ? spec.slice(0, eq) : path.basename(file).replace(/\.json$/i, "");
  let text: string;
  try {
    text = await fsp.readFile(path.resolve(cwd, file), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : String(e);
    throw new InputError(`--outputs ${file}: cannot read it: ${why}`);
  }
  return { name, outputs: parseOutputsJson(text, `--outputs ${file}`) };
}

/** How the CLI runs pulumi; tests substitute a stand-in by PATH or by this hook. */
export interface PulumiRunner {
  (args: string[], cwd: string): Promise<{ stdout: string; stderr: string; code: number | null; missing: boolean }>;
}

export const runPulumi: PulumiRunner = (args, cwd) =>
  new Promise((resolve) => {
    execFile("pulumi", args, { cwd, maxBuffer: 64 * 1024 * 1024, env: process.env }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === "ENOENT") {
        resolve({ stdout: "", stderr: "", code: null, missing: true });
        return;
      }
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code, missing: false });
    });
  });

/** Runs `pulumi stack output --json --show-secrets -s NAME` and checks what it printed. */
export async function readStackOutputs(name: string, cwd = process.cwd(), run: PulumiRunner = runPulumi): Promise<StackOutputs> {
  const args = ["stack", "output", "--json", "--show-secrets", "-s", name];
  const r = await run(args, cwd);
  if (r.missing) {
    throw new InputError(
      `--stack ${name}: the pulumi CLI is not on PATH. Install it, or write the outputs to a file where it is ` +
        `(pulumi stack output --json --show-secrets -s ${name} > ${name}.json) and pass --outputs ${name}.json`,
    );
  }
  if (r.code !== 0) {
    const err = r.stderr.trim().split("\n").slice(-5).join("\n  ");
    throw new InputError(`--stack ${name}: \`pulumi ${args.join(" ")}\` failed (exit ${r.code})${err ? `:\n  ${err}` : ""}`);
  }
  return { name, outputs: parseOutputsJson(r.stdout, `stack ${name}`) };
}
