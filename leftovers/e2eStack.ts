/**
 * What the end-to-end runs of this project's lab share (bin/e2e.ts and tests/e2e): the
 * stack config forced onto the netns backend, the lab's name, and the leftover check
 * after destroy.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { defaultLabName } from "../model/names";
import { findLeftovers, labNamespaceInodes, Leftovers, mentionsLab } from "./leftovers";

/** The repository root: the Pulumi program folder. */
export const REPO_DIR = path.resolve(__dirname, "..");

/** A config value as a stack file holds it (YAML read as JSON). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The project's name, from Pulumi.yaml (the namespace of its config keys). */
export const DEFAULT_PROJECT = "calico-ipip-lab";

function readYamlObject(file: string): Record<string, unknown> | null {
  if (!fs.existsSync(file)) return null;
  const doc = yaml.load(fs.readFileSync(file, "utf8"));
  return doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
}

/** The project name from Pulumi.yaml, else calico-ipip-lab. */
export function projectName(programDir = REPO_DIR): string {
  const name = readYamlObject(path.join(programDir, "Pulumi.yaml"))?.name;
  return typeof name === "string" && name !== "" ? name : DEFAULT_PROJECT;
}

/** `key` → `<project>:key`; keys that already hold a namespace stay as they are. */
export function fullKey(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/**
 * The `config:` block of a shipped stack's Pulumi.<stack>.yaml, keys namespaced. Nothing
 * of Pulumi.yaml is added: it declares no config keys, and the CLI applies whatever it
 * would declare itself. A `secure:` value is refused: it is encrypted with that stack's
 * salt, so it means nothing in another stack's config file.
 */
export function shippedStackConfig(stack: string, programDir = REPO_DIR): Record<string, Json> {
  const project = projectName(programDir);
  const file = path.join(programDir, `Pulumi.${stack}.yaml`);
  const doc = readYamlObject(file);
  if (doc === null) throw new Error(`${file} does not exist: no stack named ${stack}`);
  const out: Record<string, Json> = {};
  const config = doc.config;
  if (config !== null && typeof config === "object" && !Array.isArray(config)) {
    for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
      if (v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in v) {
        throw new Error(`${file}: ${k} is a secret (secure:) value, encrypted for stack ${stack}; pass it in the config instead`);
      }
      out[fullKey(k, project)] = v as Json;
    }
  }
  return out;
}

/**
 * A shipped stack's config (its Pulumi.<stack>.yaml), then `extra` (keys bare or
 * namespaced), with `backend` forced to netns; keys namespaced, ready for a stack file.
 */
export function netnsStackConfig(stack: string, extra: Record<string, unknown> = {}, programDir = REPO_DIR): Record<string, Json> {
  const project = projectName(programDir);
  const config: Record<string, Json> = { ...shippedStackConfig(stack, programDir) };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) config[fullKey(k, project)] = v as Json;
  config[fullKey("backend", project)] = "netns";
  return config;
}

/** The lab name the program will use: config `labName`, else calico-<stack>. */
export function labNameFor(config: Record<string, unknown>, stack: string, programDir = REPO_DIR): string {
  const v = config[fullKey("labName", projectName(programDir))];
  return typeof v === "string" && v !== "" ? v : defaultLabName(stack);
}

function objectOf(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/** The lab name in a stack's outputs (outputs.lab.name), if there. */
export function labNameOf(outputs: Record<string, unknown> | null): string | null {
  const name = objectOf(outputs?.lab)?.name;
  return typeof name === "string" ? name : null;
}

/** The segment (bridge) names in a stack's outputs (outputs.nodes[].segment). */
export function segmentsOf(outputs: Record<string, unknown> | null): string[] {
  const nodes = outputs?.nodes;
  if (!Array.isArray(nodes)) return [];
  const names = nodes.map((n) => objectOf(n)?.segment).filter((s): s is string => typeof s === "string" && s !== "");
  return [...new Set(names)];
}

/** What to remember about a running lab for the check after destroy. */
export interface LabFootprint {
  labName: string;
  /** Inodes of its namespaces while it ran: no process may stay in one. */
  netnsInodes: number[];
  /** Its segments' bridge names: no link of these names may be in the host namespace. */
  segments: string[];
}

/** Record a running lab's footprint (call after up, before destroy). */
export function labFootprint(labName: string, outputs: Record<string, unknown> | null): LabFootprint {
  return { labName, netnsInodes: labNamespaceInodes(labName), segments: segmentsOf(outputs) };
}

/** Where `ip netns` keeps its namespaces. */
const NETNS_DIR = "/run/netns";

/**
 * Inodes of the named namespaces (`ip netns`) that belong to no namespace of `labName`. The
 * kernel reuses a freed namespace's inode number: once a lab's namespace is gone, another
 * lab's new namespace may get it, and its processes are that lab's, not leftovers.
 */
function otherNamespaceInodes(labName: string): Set<number> {
  const inodes = new Set<number>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(NETNS_DIR);
  } catch {
    return inodes;
  }
  for (const n of names) {
    if (mentionsLab(n, labName)) continue;
    try {
      inodes.add(fs.statSync(path.join(NETNS_DIR, n)).ino);
    } catch {
      // gone meanwhile, or not a namespace mount
    }
  }
  return inodes;
}

/** Everything of the lab still on the host after destroy. */
export function labLeftovers(f: LabFootprint, ignorePaths: string[] = []): Leftovers {
  const others = otherNamespaceInodes(f.labName);
  return findLeftovers({
    labName: f.labName,
    netnsInodes: f.netnsInodes.filter((i) => !others.has(i)),
    linkPrefixes: f.segments,
    ignorePaths: [REPO_DIR, ...ignorePaths],
  });
}
