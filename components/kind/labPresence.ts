/**
 * Whether a kind lab the stack state says exists still exists on this host, read at
 * program time. Command resources have no read, so `pulumi refresh` cannot see a cluster
 * or a containerlab lab lost to a reboot or a hand-run `kind delete` / `docker rm`; the
 * next `up` must (the kind twin of the netns backend's check).
 *
 * `kind.sh up` and `clab.sh up` write the identity the program gave them into the
 * lab's work folder. The program passes the identity it wants to the step and also uses
 * it as that step's trigger: while the lab is whole it reads the identity back, so the
 * inputs stay the same and nothing runs; once a container is gone or stopped it makes a
 * new identity, which re-creates the step and what follows it.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LabSpec } from "../../model/spec";
import { containerlabContainer } from "./tools";
import { newIdentity, readRecord } from "../buildIdentity";

// A file in the work folder, not a container label: kind cannot label its node containers, and a preview reads it without asking docker.
/** The file `kind.sh up` writes with KIND_BUILD_ID (in the lab's work folder; `clab.sh down` keeps it). */
export const CLUSTER_BUILD_FILE = "cluster-build";
/** The file `clab.sh up` writes with CLAB_BUILD_ID (in the lab's work folder). */
export const TOPOLOGY_BUILD_FILE = "clab-build";

/** One container as `docker ps -a` lists it. */
export interface DockerContainer {
  name: string;
  /** docker's state: running, exited, created, paused, restarting, dead. */
  state: string;
}

/** What the presence check reads from the host; tests pass their own. */
export interface KindHostView {
  read(file: string): string | null;
  /** Every container whose name holds `lab`, or why docker could not say. */
  containers(lab: string): DockerContainer[] | { error: string };
  /** True when the host has a network link of that name. */
  hasLink(name: string): boolean;
}

export interface KindLabPresence {
  /** The identity KindCluster should carry: the running cluster's, or a new one to re-create it. */
  cluster: string;
  /** The identity ContainerlabTopology (and what reads the lab back) should carry. */
  topology: string;
  /** What is missing, in words (empty when the lab is whole, new, or not checked). */
  problems: string[];
  /** Why docker could not say whether the lab exists (the identities are then kept). */
  unknown?: string;
}

/** How long the one docker call may take: a program run must not hang on a stuck daemon. */
export const DOCKER_TIMEOUT_MS = 10_000;

/** `docker ps --format '{{.Names}}\t{{.State}}'` as data. */
export function parseDockerPs(stdout: string): DockerContainer[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "")
    .map((l) => {
      const [name, state = ""] = l.split("\t");
      return { name, state };
    });
}

export const LOCAL_KIND_HOST: KindHostView = {
  read: readRecord,
  containers: (lab) => {
    try {
      const out = execFileSync("docker", ["ps", "-a", "--filter", `name=${lab}`, "--format", "{{.Names}}\t{{.State}}"], {
        encoding: "utf8",
        timeout: DOCKER_TIMEOUT_MS,
        stdio: ["ignore", "pipe", "pipe"],
      });
      return parseDockerPs(out);
    } catch (e) {
      const err = e as { code?: string; stderr?: string; message: string };
      if (err.code === "ENOENT") return { error: "docker is not installed" };
      return { error: (err.stderr ?? "").trim() || err.message };
    }
  },
  hasLink: (name) => fs.existsSync(path.join("/sys/class/net", name)),
};

/** Each expected container that is not listed as running, in words. */
function notRunning(expected: string[], listed: Map<string, string>): string[] {
  return expected.flatMap((name) => {
    const state = listed.get(name);
    if (state === undefined) return [`container ${name} is gone`];
    return state === "running" ? [] : [`container ${name} is ${state}`];
  });
}

/**
 * Whether the lab is still on the host: the kind node containers (the cluster), the
 * containerlab containers and the segment bridges they hang on (the topology). `check` is false in a preview: the
 * recorded identities are used as they are and docker is not asked. A lab never built (no
 * identity recorded) is simply new: fresh identities, no docker call, no problems.
 */
export function kindLabPresence(spec: LabSpec, workDir: string, host: KindHostView, check: boolean): KindLabPresence {
  const builtCluster = host.read(path.join(workDir, CLUSTER_BUILD_FILE));
  const builtTopology = host.read(path.join(workDir, TOPOLOGY_BUILD_FILE));
  const kept = { cluster: builtCluster ?? newIdentity("kind"), topology: builtTopology ?? newIdentity("clab"), problems: [] };
  if (!check || (builtCluster === null && builtTopology === null)) return kept;
  const answer = host.containers(spec.name);
  if ("error" in answer) return { ...kept, unknown: answer.error };
  const listed = new Map(answer.map((c) => [c.name, c.state]));
  const cluster = notRunning(spec.nodes.map((n) => n.name), listed);
  if (builtCluster === null) cluster.push(`the cluster's identity file ${path.join(workDir, CLUSTER_BUILD_FILE)} is gone`);
  const topology = [
    ...spec.subnets.filter((s) => !host.hasLink(s.bridge)).map((s) => `bridge ${s.bridge} is gone`),
    ...notRunning([spec.router.container, ...spec.nodes.map((n) => containerlabContainer(spec.name, n.sidecar))], listed),
  ];
  // A containerlab lab never deployed is no loss: it is deployed with a fresh identity.
  const redeploy = cluster.length > 0 || builtTopology === null || topology.length > 0;
  return {
    cluster: cluster.length > 0 ? newIdentity("kind") : kept.cluster,
    topology: redeploy ? newIdentity("clab") : kept.topology,
    problems: builtTopology === null ? cluster : [...cluster, ...topology],
  };
}
