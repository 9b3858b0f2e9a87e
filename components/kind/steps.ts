/**
 * Each shell step of the kind backend as data: the script under assets/kind/ it runs on
 * create (and delete), its environment and its stdin, all derived from the LabSpec. The
 * components turn a step into a `command:local:Command`; the stand-in tests run the very
 * same steps with bash. Steps that talk to the cluster take the kubeconfig as a parameter
 * `V`: an Output in the program, plain text in the tests.
 */
import * as path from "path";
import { LabOutputs, LabSpec, NodeSpec, PoolModes } from "../../model/spec";
import { CaptureEndpoint, CapturePods } from "../backend";
import { lastJsonLine, lastJsonObject } from "../scriptOutput";
import { calicoBackend } from "./calicoManifest";
import { checkReflectorNodes, kindSessionNames, PEER_NAME, REFLECTOR, ReflectorState, reflectorNodePatch, reflectorState } from "./bgp";
import { bootConfigFile, containerlabTopology, renderContainerlabTopology, topologyFile } from "./containerlab";
import { renderKindConfig } from "./kindConfig";
import { frrBgpLines, renderVyosBootConfig, vyosReconfigureScript } from "./vyos";
import { CLUSTER_BUILD_FILE, TOPOLOGY_BUILD_FILE } from "./labPresence";
import { CALICO_ROUTE_FILTER } from "../../model/dataplane";
import { CALICO, containerlabContainer, encodeProbes, preflightProbes, TRAFFIC, WAITS, WORKLOAD } from "./tools";
import { isManifestUrl } from "../../model/config";

/** The kind backend's scripts. */
export const ASSETS_DIR = path.resolve(__dirname, "..", "..", "assets", "kind");

export function asset(script: string): string {
  return path.join(ASSETS_DIR, script);
}

/** Where a lab's containerlab files live unless the program says otherwise (git-ignored). */
export function defaultWorkDir(spec: LabSpec): string {
  return path.resolve(__dirname, "..", "..", ".cache", "kind", spec.name);
}

/** A script under assets/kind/ and its arguments. */
export type ScriptCall = readonly [script: string, ...args: string[]];

export interface ScriptStep<V = string> {
  /** What the step does; the suffix of its resource name. */
  name: string;
  /** Script run on create (and on update: every create script is re-runnable). */
  create: ScriptCall;
  /** Script run on delete, for steps that leave something behind: the create's script, with the action `down` for its `up`. */
  delete?: ScriptCall;
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
  return { name: "preflight", create: [asset("preflight.sh")], environment: { PREFLIGHT_PROBES: encodeProbes(preflightProbes(spec.calico.manifest)) } };
}

/** Downloads calico.manifest at deploy time when it is a URL; a file the program reads (readManifestFile). */
export function manifestStep(spec: LabSpec): ScriptStep<never> | undefined {
  if (!isManifestUrl(spec.calico.manifest)) return undefined;
  return { name: "manifest", create: [asset("manifest.sh")], environment: { CALICO_MANIFEST: spec.calico.manifest, DOWNLOAD_SECONDS: String(DOWNLOAD_SECONDS) } };
}

/** One step per segment bridge, in subnet order. */
export function bridgeSteps(spec: LabSpec): ScriptStep<never>[] {
  return spec.subnets.map((s) => ({
    name: `bridge-${s.bridge}`,
    create: [asset("bridge.sh"), "up"],
    delete: [asset("bridge.sh"), "down"],
    environment: { BRIDGE_NAME: s.bridge },
  }));
}

/**
 * Creates the cluster from the rendered config on stdin and untaints its control plane
 * (the workload puts one pod on every node); prints the kubeconfig. Records `buildId` in
 * the work folder, where the program reads it back (labPresence.ts).
 */
export function kindClusterStep(spec: LabSpec, workDir: string, buildId: string): ScriptStep<never> {
  return {
    name: "cluster",
    create: [asset("kind.sh"), "up"],
    delete: [asset("kind.sh"), "down"],
    environment: {
      KIND_CLUSTER_NAME: spec.name,
      KIND_NODE_IMAGE: spec.images.kindNode,
      CONTROL_PLANE_NODE: spec.nodes[0].name,
      CONTROL_PLANE_TAINT,
      LAB_WORK_DIR: workDir,
      KIND_BUILD_ID: buildId,
      KIND_BUILD_FILE: CLUSTER_BUILD_FILE,
    },
    stdin: renderKindConfig(spec),
  };
}

/**
 * `step` re-run (its inputs changed) whenever the containerlab lab gets a new identity:
 * what it creates or reads back lives on that lab (labPresence.ts). The script ignores the value.
 */
export function onTopology<V>(step: ScriptStep<V>, topologyId: string): ScriptStep<V> {
  return { ...step, environment: { ...step.environment, LAB_TOPOLOGY_ID: topologyId } };
}

/** `node address/prefix gateway`, one node a line: what `clab.sh up` checks after deploy. */
export function nodeAddresses(spec: LabSpec): string {
  return spec.nodes.map((n) => `${n.name} ${n.ip}/${n.prefixLength} ${n.gateway}`).join("\n");
}

/**
 * Deploys the topology; prints the gateway container's id (a new one means a freshly
 * booted gateway). Records `buildId` in the work folder, where the program reads it back
 * (labPresence.ts); the destroy keeps the cluster's record there.
 */
export function containerlabStep(spec: LabSpec, workDir: string, buildId: string): ScriptStep<never> {
  return {
    name: "containerlab",
    create: [asset("clab.sh"), "up"],
    delete: [asset("clab.sh"), "down"],
    environment: {
      LAB_NAME: spec.name,
      LAB_WORK_DIR: workDir,
      CLAB_TOPOLOGY: renderContainerlabTopology(containerlabTopology(spec)),
      CLAB_TOPOLOGY_FILE: topologyFile(spec),
      GATEWAY_BOOT_CONFIG: renderVyosBootConfig(spec),
      GATEWAY_BOOT_FILE: bootConfigFile(spec),
      GATEWAY_CONTAINER: spec.router.container,
      NODE_ADDRESSES: nodeAddresses(spec),
      CLAB_BUILD_ID: buildId,
      CLAB_BUILD_FILE: TOPOLOGY_BUILD_FILE,
      KIND_BUILD_FILE: CLUSTER_BUILD_FILE,
    },
  };
}

/**
 * Makes the running gateway's BGP what the pool's modes need (gateway-configure.sh runs
 * vyosReconfigureScript in it, then waits until FRR's running config holds frrBgpLines). It re-runs when the
 * modes change, and, through GATEWAY_CONTAINER_ID, whenever containerlab booted a new
 * gateway container (which boots with the config of the deploy that created it).
 */
export function gatewayConfigureStep<V>(spec: LabSpec, containerId: V): ScriptStep<V> {
  return {
    name: "gateway-configure",
    create: [asset("gateway-configure.sh")],
    environment: {
      GATEWAY_CONTAINER: spec.router.container,
      GATEWAY_CONTAINER_ID: containerId,
      VYOS_SCRIPT: vyosReconfigureScript(spec),
      FRR_BGP_LINES: frrBgpLines(spec).join("\n"),
      WAIT_SECONDS: String(WAITS.gatewaySeconds),
      LAB_POLL_SECONDS: poll,
    },
  };
}

/** Why calico-node may not get ready, and where to look: what calico-wait.sh adds to its failure. */
export function calicoNotReadyHint(spec: LabSpec): string {
  const gw = spec.router.container;
  const backend = calicoBackend(spec);
  // With BIRD, readiness also waits for its sessions; without (vxlan), for Felix alone.
  const why =
    backend === "bird"
      ? `calico-node is ready only when BIRD has a BGP session with every other node, and the sessions between subnets cross the gateway ${gw}`
      : `without BIRD (calico_backend ${backend}) calico-node is ready when Felix is; the VXLAN packets between subnets cross the gateway ${gw}`;
  return `${why}: see \`docker logs ${gw}\` and \`kubectl logs -n ${CALICO.namespace} <calico-node pod>\``;
}

export function calicoWaitStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> {
  return {
    name: "calico-ready",
    create: [asset("calico-wait.sh")],
    environment: {
      LAB_KUBECONFIG: kubeconfig,
      CALICO_NAMESPACE: CALICO.namespace,
      CALICO_DAEMONSET: CALICO.daemonSet,
      CALICO_NOT_READY_HINT: calicoNotReadyHint(spec),
      WAIT_SECONDS: String(WAITS.calicoReadySeconds),
    },
  };
}

/** The merge patch that sets the pool's two modes at once (Calico refuses both encapsulations on). */
export function ippoolPatch(modes: PoolModes): string {
  return JSON.stringify({ spec: { ipipMode: modes.ipipMode, vxlanMode: modes.vxlanMode } });
}

/** Patches the pool's ipipMode and vxlanMode: they change with the config, so the step re-runs. */
export function ippoolStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> {
  return {
    name: "ippool-mode",
    create: [asset("ippool-patch.sh")],
    environment: {
      LAB_KUBECONFIG: kubeconfig,
      IPPOOL_RESOURCE: CALICO.ippoolResource,
      IPPOOL_NAME: CALICO.ippool,
      IPPOOL_PATCH: ippoolPatch(spec),
      WAIT_SECONDS: String(WAITS.ippoolSeconds),
      LAB_POLL_SECONDS: poll,
    },
  };
}

/**
 * Labels the route reflectors' Kubernetes Nodes and gives them the cluster ID (bgp.ts
 * REFLECTOR), and removes both from every other node, so changing the list re-runs it and
 * leaves only the new reflectors; `down` (a switch back to the mesh) removes them from
 * all. Only with reflectors. Prints each node's label and cluster ID as read back.
 */
export function reflectorsStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> | undefined {
  if (spec.bgp.routeReflectors.length === 0) return undefined;
  const none: ReflectorState = { label: null, clusterId: null };
  return {
    name: "route-reflectors",
    create: [asset("route-reflectors.sh"), "up"],
    delete: [asset("route-reflectors.sh"), "down"],
    environment: {
      LAB_KUBECONFIG: kubeconfig,
      KIND_NODES: spec.nodes.map((n) => n.name).join(" "),
      NODE_PATCHES: JSON.stringify(Object.fromEntries(spec.nodes.map((n) => [n.name, reflectorNodePatch(reflectorState(spec, n))]))),
      NODE_UNPATCH: reflectorNodePatch(none),
      RR_LABEL: REFLECTOR.label,
      RR_ANNOTATION: REFLECTOR.clusterIdAnnotation,
    },
  };
}

/** Parses route-reflectors.sh's output and checks every node is as the config says (bgp.ts checkReflectorNodes). */
export function parseReflectorNodes(stdout: string, spec: LabSpec): Record<string, ReflectorState> {
  return checkReflectorNodes(spec, lastJsonObject(stdout, "route-reflectors.sh").value);
}

/** Waits for one pod on every node; prints the pods as JSON [{name, ip, node}]. */
export function workloadWaitStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> {
  return {
    name: "workload-ready",
    create: [asset("workload-wait.sh")],
    environment: {
      LAB_KUBECONFIG: kubeconfig,
      WORKLOAD_NAMESPACE: WORKLOAD.namespace,
      WORKLOAD_SELECTOR: WORKLOAD.selector,
      WORKLOAD_NAME: WORKLOAD.name,
      KIND_NODES: spec.nodes.map((n) => n.name).join(" "),
      WAIT_SECONDS: String(WAITS.workloadSeconds),
      LAB_POLL_SECONDS: poll,
    },
  };
}

/**
 * Reads what Calico's IPAM gave each node (its blocks; its VTEP when the pool routes via
 * VXLAN, which calico-node allocates after a switch), once every node has it: the
 * program renders the expected routes from that (routes.ts). Re-read after every switch.
 */
export function ipamStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> {
  return {
    name: "ipam",
    create: [asset("ipam.sh")],
    environment: {
      LAB_KUBECONFIG: kubeconfig,
      KIND_NODES: spec.nodes.map((n) => n.name).join(" "),
      BLOCK_AFFINITY_RESOURCE: CALICO.blockAffinityResource,
      VTEP_ANNOTATION: CALICO.vxlanTunnelAddrAnnotation,
      NEED_VTEPS: spec.pool.encapsulation === "vxlan" ? "yes" : "no",
      POOL_MODES: `${spec.ipipMode} ${spec.vxlanMode}`,
      WAIT_SECONDS: String(WAITS.calicoReadySeconds),
      LAB_POLL_SECONDS: poll,
    },
  };
}

/**
 * Waits until every node's Calico routes are `expected` (routes.ts `expectedRoutes`, as
 * JSON {node: [route, ...]}), then prints each node's routing table (JSON by node).
 */
export function routesStep<V>(spec: LabSpec, expected: V): ScriptStep<V> {
  return {
    name: "routes",
    create: [asset("routes.sh")],
    environment: {
      KIND_NODES: spec.nodes.map((n) => n.name).join(" "),
      ROUTE_EXPECTATIONS: expected,
      ROUTE_FILTER: CALICO_ROUTE_FILTER,
      WAIT_SECONDS: String(WAITS.calicoReadySeconds),
      LAB_POLL_SECONDS: poll,
    },
  };
}

/**
 * Reads every node's BGP sessions from calico-node's BIRD (`birdcl show protocols`), once
 * the routes converged and each node's BGP protocols (the lines whose name PEER_PROTOCOL
 * matches) are the ones Calico's config gives it (bgp.ts kindSessionNames): the routes are
 * the same under the mesh and reflectors, so after a switch only the sessions tell
 * confd is done. Without BIRD (calico_backend vxlan) there is nothing to ask: no step.
 */
export function bgpSessionsStep<V>(spec: LabSpec, kubeconfig: V): ScriptStep<V> | undefined {
  if (calicoBackend(spec) !== "bird") return undefined;
  return {
    name: "bgp-sessions",
    create: [asset("bgp-sessions.sh")],
    environment: {
      LAB_KUBECONFIG: kubeconfig,
      KIND_NODES: spec.nodes.map((n) => n.name).join(" "),
      CALICO_NAMESPACE: CALICO.namespace,
      CALICO_DAEMONSET: CALICO.daemonSet,
      CALICO_CONTAINER: CALICO.container,
      BIRD_SOCKET: CALICO.birdSocket,
      SESSION_EXPECTATIONS: JSON.stringify(Object.fromEntries(spec.nodes.map((n) => [n.name, kindSessionNames(spec, n)]))),
      PEER_PROTOCOL: PEER_NAME.source,
      WAIT_SECONDS: String(WAITS.calicoReadySeconds),
      LAB_POLL_SECONDS: poll,
      // Sessions come and go with the modes (the gateway's in mode Never): read them again after a switch.
      POOL_MODES: `${spec.ipipMode} ${spec.vxlanMode}`,
    },
  };
}

/** A capture's two pods: the ones the workload step read back on the client's and the server's nodes. */
export function captureEnds(pods: LabOutputs["pods"], client: NodeSpec, server: NodeSpec): CapturePods {
  const on = (node: NodeSpec): CaptureEndpoint => {
    const found = pods.filter((p) => p.node === node.name);
    if (found.length !== 1) throw new Error(`the capture needs one workload pod on ${node.name}; the pods read back: ${JSON.stringify(pods)}`);
    return { pod: found[0].name, ip: found[0].ip };
  };
  return { client: on(client), server: on(server) };
}

/**
 * capture.sh's targets on kind: the cluster, the client's sidecar, the two pods (their
 * values `V` too: the program knows them only once the workload step read them back) and
 * the traffic's bounds (captureEnvironment adds the rest).
 */
export function kindCaptureTargets<V>(spec: LabSpec, client: NodeSpec, kubeconfig: V, pods: { clientPod: V; clientIp: V; serverIp: V }): Record<string, string | V> {
  return {
    LAB_KUBECONFIG: kubeconfig,
    WORKLOAD_NAMESPACE: WORKLOAD.namespace,
    CLIENT_POD: pods.clientPod,
    CLIENT_POD_IP: pods.clientIp,
    SERVER_POD_IP: pods.serverIp,
    CLIENT_SIDECAR: containerlabContainer(spec.name, client.sidecar),
    PING_COUNT: String(TRAFFIC.pingCount),
    CURL_SECONDS: String(TRAFFIC.curlSeconds),
    TCPDUMP_START_SECONDS: String(TRAFFIC.tcpdumpStartSeconds),
    LAB_POLL_SECONDS: poll,
  };
}

/** Parses workload-wait.sh's output: the pods. */
export function parsePods(stdout: string): { name: string; ip: string; node: string }[] {
  const { value, line } = lastJsonLine(stdout, "workload-wait.sh");
  const ok = (p: unknown): p is { name: string; ip: string; node: string } =>
    typeof p === "object" && p !== null && ["name", "ip", "node"].every((k) => typeof (p as Record<string, unknown>)[k] === "string");
  if (!Array.isArray(value) || !value.every(ok)) throw new Error(`workload-wait.sh printed something other than [{name, ip, node}]: ${line.slice(0, 200)}`);
  return value.map((p) => ({ name: p.name, ip: p.ip, node: p.node }));
}

/** Parses ippool-patch.sh's output, the modes the pool has after the patch; they must be the ones `spec` patched in. */
export function parsePoolModes(stdout: string, spec: PoolModes): PoolModes {
  const m = /^(Always|CrossSubnet|Never) (Always|CrossSubnet|Never)$/.exec(stdout.trim());
  if (m === null) throw new Error(`ippool-patch.sh printed something other than "<ipipMode> <vxlanMode>": ${JSON.stringify(stdout.slice(0, 200))}`);
  const modes = { ipipMode: m[1] as PoolModes["ipipMode"], vxlanMode: m[2] as PoolModes["vxlanMode"] };
  if (modes.ipipMode !== spec.ipipMode || modes.vxlanMode !== spec.vxlanMode) {
    throw new Error(`after the patch ${CALICO.ippool} has ipipMode ${modes.ipipMode} and vxlanMode ${modes.vxlanMode}, not ${spec.ipipMode} and ${spec.vxlanMode}`);
  }
  return modes;
}

/** Parses bgp-sessions.sh's output: each node's `show protocols` lines. */
export function parseBgpSessions(stdout: string): Record<string, string[]> {
  return parseLinesByNode(stdout, "bgp-sessions.sh");
}

/** Parses routes.sh's output: each node's routing table. */
export function parseRoutes(stdout: string): Record<string, string[]> {
  return parseLinesByNode(stdout, "routes.sh");
}

/** `{node: [line, ...]}` as a script printed it on its last line. */
function parseLinesByNode(stdout: string, script: string): Record<string, string[]> {
  const { value } = lastJsonObject(stdout, script);
  for (const [node, lines] of Object.entries(value)) {
    if (!Array.isArray(lines) || !lines.every((l) => typeof l === "string")) throw new Error(`${script}: the lines of ${node} are not a list of strings`);
  }
  return value as Record<string, string[]>;
}
