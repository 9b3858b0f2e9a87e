/**
 * Stack config the way the Pulumi CLI hands it to a program: project defaults from
 * Pulumi.yaml, overridden by Pulumi.<stack>.yaml, every key namespaced
 * (`calico-ipip-lab:ipipMode`) and every value a string (strings as they are, anything
 * else JSON-encoded).
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { Json } from "./types";

export const DEFAULT_PROJECT = "calico-ipip-lab";

function readYaml(file: string): Record<string, unknown> | null {
  if (!fs.existsSync(file)) return null;
  const doc = yaml.load(fs.readFileSync(file, "utf8"));
  return doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
}

/** The project name from Pulumi.yaml, else calico-ipip-lab. */
export function projectName(programDir: string): string {
  const doc = readYaml(path.join(programDir, "Pulumi.yaml"));
  return typeof doc?.name === "string" ? doc.name : DEFAULT_PROJECT;
}

/** `key` → `<project>:key`; keys that already hold a namespace stay as they are. */
export function fullKey(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

function plainValue(key: string, v: unknown, file: string): Json {
  if (v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in v) {
    throw new Error(`${file}: ${key} is a secret (secure:) value; the harness cannot decrypt it, pass it in the config instead`);
  }
  return v as Json;
}

/**
 * The config of a stack as the CLI would assemble it: Pulumi.yaml's project config
 * defaults (`key: {default: v}` or `key: v`), then the stack file's `config:` block.
 */
export function loadStackConfig(programDir: string, stack: string): Record<string, Json> {
  const project = projectName(programDir);
  const out: Record<string, Json> = {};
  const projectFile = path.join(programDir, "Pulumi.yaml");
  const projectConfig = readYaml(projectFile)?.config;
  if (projectConfig !== null && typeof projectConfig === "object" && !Array.isArray(projectConfig)) {
    for (const [k, v] of Object.entries(projectConfig as Record<string, unknown>)) {
      if (v !== null && typeof v === "object" && !Array.isArray(v)) {
        const decl = v as Record<string, unknown>;
        if ("default" in decl) out[fullKey(k, project)] = plainValue(k, decl.default, projectFile);
        else if ("value" in decl) out[fullKey(k, project)] = plainValue(k, decl.value, projectFile);
      } else {
        out[fullKey(k, project)] = plainValue(k, v, projectFile);
      }
    }
  }
  const stackFile = path.join(programDir, `Pulumi.${stack}.yaml`);
  const stackDoc = readYaml(stackFile);
  if (stackDoc === null) throw new Error(`${stackFile} does not exist: no stack named ${stack}`);
  const stackConfig = stackDoc.config;
  if (stackConfig !== null && typeof stackConfig === "object" && !Array.isArray(stackConfig)) {
    for (const [k, v] of Object.entries(stackConfig as Record<string, unknown>)) {
      out[fullKey(k, project)] = plainValue(k, v, stackFile);
    }
  }
  return out;
}

/** Config values as the CLI passes them to the language host: strings raw, the rest JSON. */
export function toCliConfig(config: Record<string, unknown>, project: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    out[fullKey(k, project)] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}
