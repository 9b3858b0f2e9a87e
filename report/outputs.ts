/**
 * Reading stack outputs: from `pulumi stack output --json --show-secrets -s NAME` or from
 * a JSON file written by it, checked against the LabOutputs contract (lab/spec.ts) so the
 * report never renders half-understood data. Every problem is reported, by JSON path.
 */
import { execFile } from "child_process";
import { promises as fsp } from "fs";
import * as path from "path";
import { BACKENDS, IPIP_MODES, LabOutputs } from "../lab/spec";

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

const ENCAPSULATIONS = ["ipip", "vxlan", "none"] as const;
const OBSERVED = [...ENCAPSULATIONS, "mixed", "missing"] as const;
const DATAPLANES = ["calico", "kernel-ipip", "userspace-ipip"] as const;
const ROLES = ["control-plane", "worker"] as const;

type Json = unknown;

class Checker {
  readonly problems: string[] = [];

  private describe(v: Json): string {
    if (v === undefined) return "missing";
    if (v === null) return "null";
    if (Array.isArray(v)) return "an array";
    if (typeof v === "string") return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
    return `${typeof v === "object" ? "an object" : `the ${typeof v} ${String(v)}`}`;
  }

  object(v: Json, at: string): Record<string, Json> | undefined {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, Json>;
    this.problems.push(`${at} is ${this.describe(v)}; expected an object`);
    return undefined;
  }

  array(v: Json, at: string): Json[] {
    if (Array.isArray(v)) return v;
    this.problems.push(`${at} is ${this.describe(v)}; expected an array`);
    return [];
  }

  string(o: Record<string, Json>, key: string, at: string): void {
    if (typeof o[key] !== "string") this.problems.push(`${at}.${key} is ${this.describe(o[key])}; expected a string`);
  }

  number(o: Record<string, Json>, key: string, at: string): void {
    const v = o[key];
    if (typeof v !== "number" || !Number.isFinite(v)) this.problems.push(`${at}.${key} is ${this.describe(v)}; expected a number`);
  }

  boolean(o: Record<string, Json>, key: string, at: string): void {
    if (typeof o[key] !== "boolean") this.problems.push(`${at}.${key} is ${this.describe(o[key])}; expected true or false`);
  }

  oneOf(o: Record<string, Json>, key: string, at: string, allowed: readonly string[]): void {
    const v = o[key];
    if (typeof v !== "string" || !allowed.includes(v)) this.problems.push(`${at}.${key} is ${this.describe(v)}; expected one of ${allowed.join(", ")}`);
  }

  strings(v: Json, at: string): void {
    this.array(v, at).forEach((s, i) => {
      if (typeof s !== "string") this.problems.push(`${at}[${i}] is ${this.describe(s)}; expected a string`);
    });
  }

  endpoint(v: Json, at: string): void {
    const o = this.object(v, at);
    if (!o) return;
    for (const k of ["pod", "ip", "node", "nodeIp"]) this.string(o, k, at);
  }
}

/**
 * Checks that `value` is a LabOutputs; throws InputError listing every problem, each
 * prefixed with `source` (e.g. `stack ipip` or the file name).
 */
export function checkOutputs(value: Json, source: string): LabOutputs {
  const c = new Checker();
  const root = c.object(value, "the outputs");
  if (root) {
    const lab = c.object(root.lab, "lab");
    if (lab) {
      c.string(lab, "name", "lab");
      c.oneOf(lab, "backend", "lab", BACKENDS);
      c.oneOf(lab, "ipipMode", "lab", IPIP_MODES);
      c.string(lab, "podSubnet", "lab");
      c.oneOf(lab, "dataplane", "lab", DATAPLANES);
    }
    c.array(root.nodes, "nodes").forEach((n, i) => {
      const at = `nodes[${i}]`;
      const o = c.object(n, at);
      if (!o) return;
      for (const k of ["name", "ip", "subnet", "segment"]) c.string(o, k, at);
      c.oneOf(o, "role", at, ROLES);
      c.number(o, "prefixLength", at);
    });
    c.array(root.pods, "pods").forEach((p, i) => {
      const at = `pods[${i}]`;
      const o = c.object(p, at);
      if (!o) return;
      for (const k of ["name", "ip", "node"]) c.string(o, k, at);
    });
    c.array(root.captures, "captures").forEach((x, i) => {
      const at = `captures[${i}]`;
      const o = c.object(x, at);
      if (!o) return;
      c.string(o, "scenario", at);
      c.endpoint(o.client, `${at}.client`);
      c.endpoint(o.server, `${at}.server`);
      const point = c.object(o.point, `${at}.point`);
      if (point) {
        c.string(point, "node", `${at}.point`);
        c.string(point, "interface", `${at}.point`);
      }
      c.string(o, "pcap", at);
      c.number(o, "packets", at);
      c.oneOf(o, "expected", at, ENCAPSULATIONS);
      c.oneOf(o, "observed", at, OBSERVED);
      if (o.outer !== null) {
        const outer = c.object(o.outer, `${at}.outer`);
        if (outer) {
          c.string(outer, "src", `${at}.outer`);
          c.string(outer, "dst", `${at}.outer`);
          c.number(outer, "protocol", `${at}.outer`);
        }
      }
      c.boolean(o, "pass", at);
      c.string(o, "reason", at);
      const routes = c.object(o.routes, `${at}.routes`);
      if (routes) {
        c.strings(routes.client, `${at}.routes.client`);
        c.strings(routes.server, `${at}.routes.server`);
      }
    });
    c.oneOf(root, "verdict", "the outputs", ["pass", "fail"]);
    if (root.lab !== undefined && root.nodes !== undefined && Array.isArray(root.nodes) && root.nodes.length === 0) {
      c.problems.push("nodes is empty: there is no lab to draw");
    }
  }
  if (c.problems.length > 0) {
    const shown = c.problems.slice(0, 20);
    const more = c.problems.length > shown.length ? `\n  … and ${c.problems.length - shown.length} more` : "";
    throw new InputError(`${source}: the outputs do not follow the LabOutputs contract (lab/spec.ts):\n  ${shown.join("\n  ")}${more}`);
  }
  return value as LabOutputs;
}

/** Parses JSON text from `source`; a syntax error becomes an InputError. */
export function parseOutputsJson(text: string, source: string): LabOutputs {
  if (text.trim() === "") throw new InputError(`${source}: empty output, expected the stack's outputs as JSON`);
  let value: Json;
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
