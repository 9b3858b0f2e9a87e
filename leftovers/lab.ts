/**
 * What the end-to-end runs of this project's lab share (bin/e2e.ts and tests/e2e): the
 * stack config forced onto the netns backend, the lab's name, and the leftover check
 * after destroy.
 */
import * as path from "path";
import { defaultLabName } from "../lab/names";
import { fullKey, loadStackConfig, projectName } from "../harness/config";
import { Json, JsonObject } from "../harness/types";
import { findLeftovers, labNamespaceInodes, Leftovers } from "./leftovers";

/** The repository root: the Pulumi program folder. */
export const REPO_DIR = path.resolve(__dirname, "..");

/**
 * A shipped stack's config (Pulumi.yaml defaults, then Pulumi.<stack>.yaml), then `extra`
 * (keys bare or namespaced), with `backend` forced to netns.
 */
export function netnsStackConfig(stack: string, extra: Record<string, unknown> = {}, programDir = REPO_DIR): Record<string, Json> {
  const project = projectName(programDir);
  const config: Record<string, Json> = { ...loadStackConfig(programDir, stack) };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) config[fullKey(k, project)] = v as Json;
  config[fullKey("backend", project)] = "netns";
  return config;
}

/** The lab name the program will use: config `labName`, else calico-<stack>. */
export function labNameFor(config: Record<string, unknown>, stack: string, programDir = REPO_DIR): string {
  const v = config[fullKey("labName", projectName(programDir))];
  return typeof v === "string" && v !== "" ? v : defaultLabName(stack);
}

/** The lab name in a run's outputs (outputs.lab.name), if there. */
export function labNameOf(outputs: JsonObject | null): string | null {
  const lab = outputs?.lab;
  if (lab !== null && typeof lab === "object" && !Array.isArray(lab) && typeof lab.name === "string") return lab.name;
  return null;
}

/** The segment (bridge) names in a run's outputs (outputs.nodes[].segment). */
export function segmentsOf(outputs: JsonObject | null): string[] {
  const nodes = outputs?.nodes;
  if (!Array.isArray(nodes)) return [];
  const names = nodes
    .map((n) => (n !== null && typeof n === "object" && !Array.isArray(n) ? n.segment : undefined))
    .filter((s): s is string => typeof s === "string" && s !== "");
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
export function labFootprint(labName: string, outputs: JsonObject | null): LabFootprint {
  return { labName, netnsInodes: labNamespaceInodes(labName), segments: segmentsOf(outputs) };
}

/** Everything of the lab still on the host after destroy. */
export function labLeftovers(f: LabFootprint, ignorePaths: string[] = []): Leftovers {
  return findLeftovers({
    labName: f.labName,
    netnsInodes: f.netnsInodes,
    linkPrefixes: f.segments,
    ignorePaths: [REPO_DIR, ...ignorePaths],
  });
}
