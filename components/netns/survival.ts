/**
 * Whether a netns lab the stack state says exists still exists on this host, read at
 * program time. Command resources have no read, so `pulumi refresh` cannot see a lab
 * lost to a reboot, a hand-deleted namespace or a stopped daemon; the next `up` must.
 *
 * Each step that builds something writes an identity file into the lab's run folder:
 * up.sh its build id, controlplane.sh its generation. The program passes the identity
 * it wants to the step and also uses it as that step's trigger: while the lab is whole it
 * reads the identity back, so the inputs stay the same and nothing runs; once something
 * is gone it makes a new identity, which re-creates the step (and what follows it).
 */
import * as fs from "fs";
import * as path from "path";
import { LabSpec } from "../../model/spec";
import { allNamespaces, netnsNames, nodeNamespace } from "./names";
import { newIdentity, readRecord } from "../buildIdentity";

/** Where `ip netns` keeps its namespaces. */
export const NETNS_DIR = "/var/run/netns";
/** The file up.sh writes with NETNS_BUILD_ID. */
export const BUILD_ID_FILE = "build-id";
/** The pid file of the userspace tunl0 helper that up.sh starts for every node. */
export const TUNL0_HELPER_PID_FILE = "tunl0.pid";
/** The file controlplane.sh writes with NETNS_GENERATION (under `bird/`). */
export const GENERATION_FILE = path.join("bird", "generation");

export interface LabSurvival {
  /** The identity the topology step should carry: the built lab's, or a new one to rebuild. */
  buildId: string;
  /** The identity the control plane step should carry: the running one's, or a new one. */
  generation: string;
  /** What is missing, in words (empty when the lab is whole or was never built). */
  problems: string[];
}

/** What the survival check reads from the host; tests pass their own. */
export interface HostView {
  exists(file: string): boolean;
  read(file: string): string | null;
  /** True when `pid` runs with `arg` among its arguments. */
  runs(pid: number, arg: string): boolean;
}

export const LOCAL_HOST: HostView = {
  exists: (file) => fs.existsSync(file),
  read: readRecord,
  runs: (pid, arg) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(arg);
    } catch {
      return false;
    }
  },
};

/** A process recorded in a pid file that still runs with that pid file among its arguments. */
function pidFileAlive(host: HostView, file: string): boolean {
  const pid = Number(host.read(file));
  return Number.isInteger(pid) && pid > 0 && host.runs(pid, file);
}

/**
 * What of the lab survives on this host: its namespaces, its userspace tunl0 helpers
 * (when it has them), each node's BIRD and, in mode Never, the gateway's. A lab never
 * built (no run folder) is simply new: fresh identities, no problems.
 */
export function labSurvival(spec: LabSpec, runDir: string, host: HostView = LOCAL_HOST): LabSurvival {
  const built = host.read(path.join(runDir, BUILD_ID_FILE));
  const running = host.read(path.join(runDir, GENERATION_FILE));
  if (built === null) {
    const gone = allNamespaces(netnsNames(spec)).filter((ns) => host.exists(path.join(NETNS_DIR, ns)));
    // Namespaces without a run folder: a lab interrupted or half removed; up.sh clears them.
    const problems = gone.length > 0 ? [`the lab's run folder ${runDir} is gone while namespaces remain`] : [];
    return { buildId: newIdentity("build"), generation: newIdentity("cp"), problems };
  }
  const topology: string[] = [];
  for (const ns of allNamespaces(netnsNames(spec))) {
    if (!host.exists(path.join(NETNS_DIR, ns))) topology.push(`namespace ${ns} is gone`);
  }
  const helper = path.join(runDir, TUNL0_HELPER_PID_FILE);
  if (host.exists(helper) && !pidFileAlive(host, helper)) topology.push("the userspace tunl0 helper (every node's tunl0) is not running");
  const controlPlane: string[] = [];
  const birds = spec.nodes.map((n) => ({ what: `the BIRD of ${nodeNamespace(spec, n)}`, file: path.join(runDir, "bird", `n${n.index}.pid`) }));
  if (spec.pool.gatewayPeers) birds.push({ what: "the gateway's BIRD", file: path.join(runDir, "bird", "gateway.pid") });
  if (running !== null) {
    for (const b of birds) if (!pidFileAlive(host, b.file)) controlPlane.push(`${b.what} is not running`);
  }
  const buildId = topology.length > 0 ? newIdentity("build") : built;
  const generation = topology.length > 0 || controlPlane.length > 0 || running === null ? newIdentity("cp") : running;
  return { buildId, generation, problems: [...topology, ...controlPlane] };
}
