/**
 * Calico's manifest, patched for the lab: the calico-node container's environment picks
 * the pool's IPIP and VXLAN modes, sets the pool and block size the lab uses and pins IP
 * autodetection to net0; the tunnels' MTUs follow the underlay's; with VXLAN on, calico-node
 * runs without BIRD as Calico's own VXLAN manifest has it (`calico_backend: vxlan`, no BIRD
 * health checks); calico/* images run the configured release. Everything else in the
 * manifest is left exactly as it was.
 */
import * as fs from "fs";
import * as yaml from "js-yaml";
import { LabSpec, PoolModes } from "../../model/spec";
import { CALICO } from "./tools";

/** calico.manifest's text when it is a file, read by the program (a URL is downloaded at deploy time: manifest.sh). */
export function readManifestFile(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`calico.manifest: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** A Kubernetes object as YAML gives it. */
export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name: string;
  image?: string;
  env?: EnvVar[];
  [key: string]: unknown;
}

interface PodTemplateHolder {
  spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } };
}

/** A container's exec probe, as the manifest writes it. */
interface ExecProbe {
  exec?: { command?: string[] };
}

/**
 * calico-node's networking backend (the `calico_backend` key of ConfigMap calico-config):
 * `vxlan` when the pool uses VXLAN, as Calico's VXLAN manifest sets it, so no BIRD runs
 * (Felix programs VXLAN's routes, and Calico's BIRD template rejects them); `bird`
 * otherwise, where BIRD programs IPIP's routes, or the plain ones in mode Never.
 */
export type CalicoBackend = "bird" | "vxlan";

export function calicoBackend(modes: PoolModes): CalicoBackend {
  return modes.vxlanMode === "Never" ? "bird" : "vxlan";
}

/** The probe flags that ask calico-node about BIRD: Calico's VXLAN manifest has neither. */
export const BIRD_PROBE_FLAGS: readonly string[] = ["-bird-live", "-bird-ready"];

/** Where to get a real manifest for v3.23, named in errors (DESIGN.md section 5). */
const V323_HINT =
  "from v3.24 on use manifests/calico.yaml at the release tag of projectcalico/calico; for v3.23 use https://docs.tigera.io/archive/v3.23/manifests/calico.yaml (the v3.23 tag holds only a docs template there)";

/** The manifest's documents as objects (empty documents dropped). `source` names it in errors. */
export function parseManifest(text: string, source: string): K8sObject[] {
  let docs: unknown[];
  try {
    // CORE_SCHEMA: plain JSON-like values only (the default schema would turn an unquoted
    // date into a Date object, which Kubernetes would receive as something else).
    docs = yaml.loadAll(text, undefined, { schema: yaml.CORE_SCHEMA });
  } catch (e) {
    throw new Error(`calico.manifest ${source} is not valid YAML: ${(e as Error).message.split("\n")[0]}`);
  }
  const objs = docs.filter((d) => d !== null && d !== undefined);
  objs.forEach((d, i) => {
    if (typeof d !== "object" || Array.isArray(d)) throw new Error(`calico.manifest ${source}: document ${i + 1} is not a Kubernetes object`);
  });
  return objs as K8sObject[];
}

/**
 * The calico-node environment the lab sets. Why each one:
 * - CALICO_IPV4POOL_IPIP / _VXLAN: the modes under study; they only apply when calico-node
 *   first creates the default pool (#1976, #2740), so a later mode change patches the
 *   IPPool instead (assets/kind/ippool-patch.sh).
 * - CALICO_IPV4POOL_CIDR / _BLOCK_SIZE: the pool must be the cluster's pod subnet (the
 *   manifest ships the line commented out) with the lab's block size.
 * - IP_AUTODETECTION_METHOD=interface=net0: `first-found` would pick eth0 on Docker's
 *   network, where every node looks like one subnet: CrossSubnet then never encapsulates
 *   and traffic bypasses the gateway (#2542).
 */
export function calicoNodeEnv(spec: LabSpec): EnvVar[] {
  return [
    { name: "CALICO_IPV4POOL_IPIP", value: spec.ipipMode },
    { name: "CALICO_IPV4POOL_VXLAN", value: spec.vxlanMode },
    { name: "CALICO_IPV4POOL_CIDR", value: spec.podSubnet },
    { name: "CALICO_IPV4POOL_BLOCK_SIZE", value: String(spec.blockSize) },
    { name: "IP_AUTODETECTION_METHOD", value: "interface=net0" },
  ];
}

/** Set `name` to a literal value: in place when present (dropping any valueFrom), else appended. */
export function setEnv(env: EnvVar[], name: string, value: string): void {
  const i = env.findIndex((e) => e.name === name);
  if (i >= 0) env[i] = { name, value };
  else env.push({ name, value });
}

/** `[registry/]calico/<name>[:tag][@digest]` → `[registry/]calico/<name>:<version>`; other images unchanged. */
export function withCalicoVersion(image: string, version: string): string {
  const m = /^((?:[^/@]+\/)*calico\/[^/:@]+)(?::[^/@]*)?(?:@sha256:[0-9a-f]+)?$/.exec(image);
  return m === null ? image : `${m[1]}:${version}`;
}

function podContainers(obj: K8sObject): Container[] {
  const pod = (obj as PodTemplateHolder).spec?.template?.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

function describeObjects(objs: K8sObject[]): string {
  const workloads = objs.filter((o) => podContainers(o).length > 0).map((o) => `${o.kind}/${o.metadata?.name}`);
  return workloads.length > 0 ? `its workloads are ${workloads.join(", ")}` : `it holds ${objs.length} objects and no workload`;
}

/** Patch a copy of the manifest's objects for `spec`; the input is not modified. */
export function patchCalicoManifest(objs: K8sObject[], spec: LabSpec, source: string): K8sObject[] {
  // A JSON copy: plain objects and arrays of this realm (Pulumi serializes by instanceof).
  const out = JSON.parse(JSON.stringify(objs)) as K8sObject[];
  const ds = out.find(
    (o) => o.kind === "DaemonSet" && o.metadata?.name === CALICO.daemonSet && (o.metadata?.namespace ?? "default") === CALICO.namespace,
  );
  const node = ds === undefined ? undefined : ((ds as PodTemplateHolder).spec?.template?.spec?.containers ?? []).find((c) => c.name === CALICO.container);
  if (node === undefined) {
    throw new Error(
      `calico.manifest ${source} has no DaemonSet ${CALICO.namespace}/${CALICO.daemonSet} with a container ${CALICO.container} (${describeObjects(objs)}); ${V323_HINT}`,
    );
  }

  const env = (node.env ??= []);
  for (const e of calicoNodeEnv(spec)) setEnv(env, e.name, e.value as string);
  if (env.some((e) => e.name === "FELIX_IPINIPMTU")) setEnv(env, "FELIX_IPINIPMTU", String(spec.mtu - CALICO.ipipOverhead));
  // Felix's own default (1410) assumes a 1460 underlay; VXLAN needs it right, the other
  // modes keep it right where the manifest sets it (so a later switch to VXLAN is too).
  const backend = calicoBackend(spec);
  if (backend === "vxlan" || env.some((e) => e.name === "FELIX_VXLANMTU")) setEnv(env, "FELIX_VXLANMTU", String(spec.mtu - CALICO.vxlanOverhead));

  const config = out.find((o) => o.kind === "ConfigMap" && o.metadata?.name === CALICO.configMap && (o.metadata?.namespace ?? "default") === CALICO.namespace);
  const data = config?.data as Record<string, unknown> | undefined;
  if (data !== undefined && typeof data === "object") data.calico_backend = backend;
  else if (backend === "vxlan") {
    throw new Error(
      `calico.manifest ${source} has no ConfigMap ${CALICO.namespace}/${CALICO.configMap} with data: VXLAN needs its calico_backend set to vxlan (calico-node reads it from there); ${V323_HINT}`,
    );
  }
  if (backend === "vxlan") {
    for (const probe of [node.livenessProbe, node.readinessProbe] as (ExecProbe | undefined)[]) {
      const cmd = probe?.exec?.command;
      if (cmd !== undefined) probe!.exec!.command = cmd.filter((w) => !BIRD_PROBE_FLAGS.includes(w));
    }
  }

  for (const o of out) {
    for (const c of podContainers(o)) {
      if (c.image !== undefined) c.image = withCalicoVersion(c.image, spec.calico.version);
    }
  }
  return out;
}

/** The manifest text → the patched objects to apply. */
export function calicoObjects(text: string, spec: LabSpec, source: string): K8sObject[] {
  return patchCalicoManifest(parseManifest(text, source), spec, source);
}
