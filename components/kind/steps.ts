/**
 * Each shell step of the kind backend as data: the script under assets/kind/ it runs on
 * create (and delete), its environment and its stdin, all derived from the LabSpec. The
 * components turn a step into a `command:local:Command`; the stand-in tests run the very
 * same steps with bash. Steps that talk to the cluster take the kubeconfig as a parameter
 * `V`: an Output in the program, plain text in the tests.
 */
import * as path from "path";
import { blockRoute } from "../../lab/dataplane";
import { LabSpec, NodeSpec } from "../../lab/spec";
import { bootConfigFile, containerlabTopology, renderContainerlabTopology, topologyFile } from "./containerlab";
import { renderKindConfig } from "./kindConfig";
import { renderVyosBootConfig } from "./vyos";
import { CALICO, containerlabContainer, encodeProbes, preflightProbes, TRAFFIC, WAITS, WORKLOAD } from "./tools";

/** The kind backend's scripts. */
export const ASSETS_DIR = path.resolve(__dirname, "..", "..", "assets", "kind");

export function asset(script: string): string {
  return path.join(ASSETS_DIR, script);
}

/** Where a lab's containerlab files live unless the program says otherwise (git-ignored). */
export function defaultWorkDir(spec: LabSpec): string {
  return path.resolve(__dirname, "..", "..", ".cache", "kind", spec.name);
}

export interface ScriptStep<V = string> {
  /** What the step does; the suffix of its resource name. */
  name: string;
  /** Script run on create (and on update: every create script is re-runnable). */
  create: string;
  /** Script run on delete, for steps that leave something behind. */
  delete?: string;
  environment: Record<string, string | V>;
  /** Text the create script reads on stdin. */
  stdin?: string;
}

/** Calico's control-plane taint on kind's Kubernetes v1.24+ node images. */
export const CONTROL_PLANE_TAINT = "node-role.kubernetes.io/control-plane:NoSchedule";

/** How long the manifest download may take, in seconds. */
export const DOWNLOAD_SECONDS = 120;

const poll = String(WAITS.pollSeconds);

export function preflightStep(spec: LabSpec): ScriptStep<never> {
  return { name: "preflight", create: asset("preflight.sh"), environment: { PREFLIGHT_PROBES: encodeProbes(preflightProbes(spec.calico.manifest)) } };
}

/** Prints calico.manifest's text (downloaded when it is a URL) at deploy time. */
export function manifestStep(spec: LabSpec): ScriptStep<never> {
  return { name: "manifest", create: asset("manifest.sh"), environment: { CALICO_MANIFEST: spec.calico.manifest, DOWNLOAD_SECONDS: String(DOWNLOAD_SECONDS) } };
}

/** One step per segment bridge, in subnet order. */
export function bridgeSteps(spec: LabSpec): ScriptStep<never>[] {
  return spec.subnets.map((s) => ({
    name: `bridge-${s.bridge}`,
    create: asset("bridge-up.sh"),
    delete: asset("bridge-down.sh"),
    environment: { BRIDGE_NAME: s.bridge },
  }));
}

/** Creates the cluster from the rendered config on stdin; prints the kubeconfig. */
export function kindClusterStep(spec: LabSpec): ScriptStep<never> {
  return {
    name: "cluster",
    create: asset("kind-create.sh"),
    delete: asset("kind-delete.sh"),
    environment: { KIND_CLUSTER_NAME: spec.name, KIND_NODE_IMAGE: spec.images.kindNode },
    stdin: renderKindConfig(spec),
  };
}

export function untaintStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> {
  return {
    name: "untaint",
    create: asset("untaint.sh"),
    environment: { LAB_KUBECONFIG: kubeconfig, CONTROL_PLANE_NODE: spec.nodes[0].name, CONTROL_PLANE_TAINT },
  };
}

/** `node=address/prefix@gateway` for each node: what clab-deploy.sh checks after deploy. */
export function nodeAddresses(spec: LabSpec): string {
  return spec.nodes.map((n) => `${n.name}=${n.ip}/${n.prefixLength}@${n.gateway}`).join(" ");
}

export function containerlabStep(spec: LabSpec, workDir: string): ScriptStep<never> {
  return {
    name: "containerlab",
    create: asset("clab-deploy.sh"),
    delete: asset("clab-destroy.sh"),
    environment: {
      LAB_NAME: spec.name,
      LAB_WORK_DIR: workDir,
      CLAB_TOPOLOGY: renderContainerlabTopology(containerlabTopology(spec)),
      CLAB_TOPOLOGY_FILE: topologyFile(spec),
      GATEWAY_BOOT_CONFIG: renderVyosBootConfig(spec),
      GATEWAY_BOOT_FILE: bootConfigFile(spec),
      KIND_NODES: spec.nodes.map((n) => n.name).join(" "),
      NODE_ADDRESSES: nodeAddresses(spec),
    },
  };
}

export function calicoWaitStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> {
  return {
    name: "calico-ready",
    create: asset("calico-wait.sh"),
    environment: {
      LAB_KUBECONFIG: kubeconfig,
      CALICO_NAMESPACE: CALICO.namespace,
      CALICO_DAEMONSET: CALICO.daemonSet,
      WAIT_SECONDS: String(WAITS.calicoReadySeconds),
      GATEWAY_CONTAINER: spec.router.container,
    },
  };
}

/** Patches the pool's ipipMode: IPIP_MODE changes with the config, so the step re-runs. */
export function ippoolStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> {
  return {
    name: "ippool-mode",
    create: asset("ippool-patch.sh"),
    environment: {
      LAB_KUBECONFIG: kubeconfig,
      IPPOOL_RESOURCE: CALICO.ippoolResource,
      IPPOOL_NAME: CALICO.ippool,
      IPIP_MODE: spec.ipipMode,
      WAIT_SECONDS: String(WAITS.ippoolSeconds),
      LAB_POLL_SECONDS: poll,
    },
  };
}

function workloadEnvironment<V>(kubeconfig: V): Record<string, string | V> {
  return { LAB_KUBECONFIG: kubeconfig, WORKLOAD_NAMESPACE: WORKLOAD.namespace, WORKLOAD_SELECTOR: WORKLOAD.selector };
}

export function workloadWaitStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> {
  return {
    name: "workload-ready",
    create: asset("workload-wait.sh"),
    environment: {
      ...workloadEnvironment(kubeconfig),
      WORKLOAD_NAME: WORKLOAD.name,
      KIND_NODES: spec.nodes.map((n) => n.name).join(" "),
      WAIT_SECONDS: String(WAITS.workloadSeconds),
      LAB_POLL_SECONDS: poll,
    },
  };
}

/** Prints the pods as JSON [{name, ip, node}]. */
export function podsStep<V>(kubeconfig: V): ScriptStep<V> {
  return { name: "pods", create: asset("pods.sh"), environment: workloadEnvironment(kubeconfig) };
}

/**
 * For every ordered pair of nodes, the device the first routes the second's blocks
 * through: tunl0 (IPIP), vxlan.calico (VXLAN) or net0 (plain), as lab/dataplane.ts
 * models BIRD's and Felix's choice. One line per pair: `node peer-address device`.
 */
export function routeExpectations(spec: LabSpec): string {
  const lines: string[] = [];
  for (const a of spec.nodes) {
    for (const b of spec.nodes) {
      if (a.name !== b.name) lines.push(`${a.name} ${b.ip} ${blockRoute(spec, a, b).dev}`);
    }
  }
  return lines.join("\n");
}

/** Waits until the nodes' routes match the mode, then prints them (JSON by node). */
export function routesStep(spec: LabSpec): ScriptStep<never> {
  return {
    name: "routes",
    create: asset("routes.sh"),
    environment: {
      KIND_NODES: spec.nodes.map((n) => n.name).join(" "),
      ROUTE_EXPECTATIONS: routeExpectations(spec),
      WAIT_SECONDS: String(WAITS.calicoReadySeconds),
      LAB_POLL_SECONDS: poll,
    },
  };
}

/** The kind backend's part of a capture's environment (the common keys come from the capture component). */
export function captureEnvironment<V>(spec: LabSpec, client: NodeSpec, kubeconfig: V): Record<string, string | V> {
  return {
    ...workloadEnvironment(kubeconfig),
    CLIENT_SIDECAR: containerlabContainer(spec.name, client.sidecar),
    PING_COUNT: String(TRAFFIC.pingCount),
    CURL_SECONDS: String(TRAFFIC.curlSeconds),
    TCPDUMP_START_SECONDS: String(TRAFFIC.tcpdumpStartSeconds),
    LAB_POLL_SECONDS: poll,
  };
}

/** Parses pods.sh's output. */
export function parsePods(stdout: string): { name: string; ip: string; node: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.trim());
  } catch {
    throw new Error(`pods.sh did not print JSON: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const ok = (p: unknown): p is { name: string; ip: string; node: string } =>
    typeof p === "object" && p !== null && ["name", "ip", "node"].every((k) => typeof (p as Record<string, unknown>)[k] === "string");
  if (!Array.isArray(parsed) || !parsed.every(ok)) throw new Error(`pods.sh printed something other than [{name, ip, node}]: ${stdout.slice(0, 200)}`);
  return parsed.map((p) => ({ name: p.name, ip: p.ip, node: p.node }));
}

/** Parses routes.sh's output: each node's routing table. */
export function parseRoutes(stdout: string): Record<string, string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout.trim());
  } catch {
    throw new Error(`routes.sh did not print JSON: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`routes.sh printed something other than {node: [route, ...]}: ${stdout.slice(0, 200)}`);
  const out: Record<string, string[]> = {};
  for (const [node, lines] of Object.entries(parsed)) {
    if (!Array.isArray(lines) || !lines.every((l) => typeof l === "string")) throw new Error(`routes.sh: the routes of ${node} are not a list of strings`);
    out[node] = lines;
  }
  return out;
}
