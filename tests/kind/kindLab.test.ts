/**
 * The kind components under Pulumi mocks: every resource is recorded with its type, name
 * and inputs; the mocks answer each Command's stdout as its script would, each after a
 * short delay, so the registration order shows the dependency graph (a resource is
 * registered only once everything it depends on has been).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LabSpec } from "../../model/spec";
import { bashScript } from "../../model/shell";
import { fixture } from "../fixtures";
import { renderKindConfig } from "../../components/kind/kindConfig";
import { kindBackend } from "../../components/kind/index";
import { DockerContainer, KindHostView } from "../../components/kind/labPresence";
import { KindLab } from "../../components/kind/kindLab";
import { asset } from "../../components/kind/steps";
import { containerlabContainer } from "../../components/kind/tools";
import { bgpSpec, crossSubnetSpec, ipipSpec, vxlanSpec } from "./testing";
import { renderVyosBlock, vyosBaseConfig } from "../../components/kind/vyos";

interface Recorded {
  type: string;
  name: string;
  /** The inputs, secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** The inputs as the engine saw them. */
  raw: Record<string, unknown>;
  started: number;
  finished: number;
}

const KUBECONFIG = "apiVersion: v1\nkind: Config\ncurrent-context: kind-calico-ipip\n";
const GATEWAY_ID = "c".repeat(63) + "1";
const TINY_MANIFEST = [
  "apiVersion: v1",
  "kind: ConfigMap",
  "metadata: {name: calico-config, namespace: kube-system}",
  'data: {calico_backend: "bird"}',
  "---",
  "apiVersion: apps/v1",
  "kind: DaemonSet",
  "metadata: {name: calico-node, namespace: kube-system}",
  "spec:",
  "  template:",
  "    spec:",
  "      containers:",
  "        - name: calico-node",
  "          image: docker.io/calico/node:v3.24.5",
  "          env: [{name: CALICO_IPV4POOL_IPIP, value: Always}]",
  "",
].join("\n");

/**
 * What Calico's IPAM gives the nodes under the mocks: each node the block the model plans
 * for the next one, so the expected routes can only be right if they come from ipam.sh.
 */
function rotatedIpam(spec: LabSpec): Record<string, { blocks: string[]; vtep: string | null }> {
  const n = spec.nodes.length;
  return Object.fromEntries(spec.nodes.map((node, i) => [node.name, { blocks: [spec.nodes[(i + 1) % n].block], vtep: spec.nodes[(i + 1) % n].tunnelIp }]));
}

/** What each script prints, by script name; routes.sh shows the routes it was told to expect. */
function stdoutOf(script: string, spec: LabSpec, manifest: string, environment: Record<string, string>): string {
  switch (script) {
    case "kind.sh":
      return KUBECONFIG;
    case "manifest.sh":
      return manifest;
    case "clab.sh":
      return `${GATEWAY_ID}\n`;
    case "ippool-patch.sh":
      return `${spec.ipipMode} ${spec.vxlanMode}\n`;
    case "workload-wait.sh":
      return JSON.stringify(spec.nodes.map((n) => ({ name: n.pod.name, ip: n.pod.ip, node: n.name })));
    case "ipam.sh":
      return JSON.stringify(rotatedIpam(spec));
    case "routes.sh": {
      const expected = JSON.parse(environment.ROUTE_EXPECTATIONS) as Record<string, string[]>;
      return JSON.stringify(Object.fromEntries(spec.nodes.map((n) => [n.name, [`default via ${n.gateway} dev net0`, ...expected[n.name]]])));
    }
    case "bgp-sessions.sh": {
      // the sessions it waited for, as birdcl prints them
      const expected = JSON.parse(environment.SESSION_EXPECTATIONS) as Record<string, string[]>;
      return JSON.stringify(Object.fromEntries(spec.nodes.map((n) => [n.name, ["BIRD v0.3.3+birdv1.6.8 ready.", ...expected[n.name].map((p) => `${p} BGP master up 07:34:25 Established`)]])));
    }
    case "route-reflectors.sh": {
      // each node as its patch left it
      const patches = JSON.parse(environment.NODE_PATCHES) as Record<string, string>;
      return JSON.stringify(
        Object.fromEntries(
          Object.entries(patches).map(([node, patch]) => {
            const { metadata } = JSON.parse(patch) as { metadata: { labels: Record<string, string | null>; annotations: Record<string, string | null> } };
            return [node, { label: metadata.labels[environment.RR_LABEL], clusterId: metadata.annotations[environment.RR_ANNOTATION] }];
          }),
        ),
      );
    }
    default:
      return "";
  }
}

/** Pulumi's marker for a secret value in serialized inputs. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function isSecretValue(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE;
}

/** Inputs with secret wrappers removed (the tests check secrecy separately). */
function plain(v: unknown): unknown {
  if (isSecretValue(v)) return plain(v.value);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function scriptOf(inputs: Record<string, unknown>): string {
  const m = /\/assets\/kind\/([a-z-]+\.sh)'(?: 'up')?$/.exec(String(inputs.create ?? ""));
  return m === null ? "" : m[1];
}

let clock = 0;

const WORK_DIR = "/srv/work";

/** This host as a whole lab shows it: both identities recorded, every container running, every bridge there. */
function wholeHost(spec: LabSpec, change: (c: DockerContainer) => DockerContainer = (c) => c): KindHostView {
  const names = [...spec.nodes.map((n) => n.name), spec.router.container, ...spec.nodes.map((n) => containerlabContainer(spec.name, n.sidecar))];
  const files: Record<string, string> = { [`${WORK_DIR}/cluster-build`]: "kind-1", [`${WORK_DIR}/clab-build`]: "clab-1" };
  return {
    read: (file) => files[file] ?? null,
    containers: () => names.map((name) => change({ name, state: "running" })),
    hasLink: (name) => spec.subnets.some((s) => s.bridge === name),
  };
}

/** Builds the kind lab for `spec` under fresh mocks and waits for every registration. */
async function build(spec: LabSpec, manifest = TINY_MANIFEST, host: KindHostView = wholeHost(spec)): Promise<{ lab: KindLab; recorded: Recorded[] }> {
  const recorded: Recorded[] = [];
  pulumi.runtime.setMocks(
    {
      newResource: async (args: pulumi.runtime.MockResourceArgs) => {
        const rec: Recorded = { type: args.type, name: args.name, inputs: plain(args.inputs) as Record<string, unknown>, raw: args.inputs as Record<string, unknown>, started: clock++, finished: -1 };
        recorded.push(rec);
        // The cluster and containerlab take longest, as they do for real.
        const script = scriptOf(rec.inputs);
        await new Promise((r) => setTimeout(r, script === "kind.sh" || script === "clab.sh" ? 60 : 10));
        rec.finished = clock++;
        const state = args.type === "command:local:Command" ? { ...args.inputs, stdout: stdoutOf(script, spec, manifest, plain(args.inputs.environment ?? {}) as Record<string, string>), stderr: "" } : args.inputs;
        return { id: `${args.name}-id`, state };
      },
      call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "calico-ipip-lab",
    spec.stack,
    false,
  );
  const lab = new KindLab(spec.name, { spec, workDir: WORK_DIR, host });
  await promiseOf(pulumi.all([lab.pods, lab.routes, lab.nodeStates, lab.calico.poolModes, lab.urn]));
  // Let the last registrations (components' outputs) settle.
  await new Promise((r) => setTimeout(r, 50));
  return { lab, recorded };
}

function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

function commands(recorded: Recorded[]): Recorded[] {
  return recorded.filter((r) => r.type === "command:local:Command");
}

function command(recorded: Recorded[], script: string): Recorded {
  const found = commands(recorded).filter((r) => scriptOf(r.inputs) === script);
  if (found.length !== 1) throw new Error(`expected one Command running ${script}, found ${found.length}`);
  return found[0];
}

function env(r: Recorded): Record<string, string> {
  return r.inputs.environment as Record<string, string>;
}

/** `urn:...::parent$type::name` → the parent's type (the mocks qualify a type by its parent's only). */
function parentType(urn: string): string | undefined {
  const types = urn.split("::")[2].split("$");
  return types.length > 1 ? types[types.length - 2] : undefined;
}

describe("kind components under mocks", () => {
  let lab: KindLab;
  let recorded: Recorded[];
  const spec = ipipSpec();

  beforeAll(async () => {
    ({ lab, recorded } = await build(spec));
  });

  test("the components and what each holds, with their type tokens and names", () => {
    const components = recorded.filter((r) => r.type.startsWith("calico-ipip-lab:kind:")).map((r) => [r.type, r.name]);
    expect(components.sort()).toEqual([
      ["calico-ipip-lab:kind:KindLab", "calico-ipip"],
      ["calico-ipip-lab:kind:Preflight", "calico-ipip-preflight"],
      ["calico-ipip-lab:kind:Images", "calico-ipip-images"],
      ["calico-ipip-lab:kind:HostBridges", "calico-ipip-bridges"],
      ["calico-ipip-lab:kind:KindCluster", "calico-ipip-kind"],
      ["calico-ipip-lab:kind:ContainerlabTopology", "calico-ipip-clab"],
      ["calico-ipip-lab:kind:Gateway", "calico-ipip-gateway"],
      ["calico-ipip-lab:kind:CalicoInstall", "calico-ipip-calico"],
      ["calico-ipip-lab:kind:Workload", "calico-ipip-workload"],
    ].sort());
    const others = recorded.filter((r) => !r.type.startsWith("calico-ipip-lab:kind:")).map((r) => `${r.type} ${r.name}`).sort();
    expect(others).toEqual(
      [
        "command:local:Command calico-ipip-preflight-check",
        "docker:index/remoteImage:RemoteImage calico-ipip-images-kindNode",
        "docker:index/remoteImage:RemoteImage calico-ipip-images-gateway",
        "docker:index/remoteImage:RemoteImage calico-ipip-images-sidecar",
        "command:local:Command calico-ipip-bridges-br-ipip0",
        "command:local:Command calico-ipip-bridges-br-ipip1",
        "command:local:Command calico-ipip-kind-cluster",
        "command:local:Command calico-ipip-clab-lab",
        "command:local:Command calico-ipip-gateway-configure",
        "pulumi:providers:kubernetes calico-ipip-calico-k8s",
        "command:local:Command calico-ipip-calico-manifest",
        "kubernetes:yaml/v2:ConfigGroup calico-ipip-calico-manifest",
        "command:local:Command calico-ipip-calico-ready",
        "command:local:Command calico-ipip-calico-ippool",
        "kubernetes:apps/v1:StatefulSet calico-ipip-workload-statefulset",
        "command:local:Command calico-ipip-workload-ready",
        "command:local:Command calico-ipip-workload-ipam",
        "command:local:Command calico-ipip-workload-routes",
        "command:local:Command calico-ipip-workload-bgp",
      ].sort(),
    );
  });

  test("every resource is a child of its component, every component a child of KindLab", async () => {
    const expectParent = async (res: pulumi.Resource, parent: string): Promise<void> => {
      expect(parentType(await promiseOf(res.urn))).toBe(parent);
    };
    for (const c of [lab.preflight, lab.images, lab.bridges, lab.cluster, lab.topology, lab.gateway, lab.calico, lab.workload]) {
      await expectParent(c, "calico-ipip-lab:kind:KindLab");
    }
    await expectParent(lab.preflight.check, "calico-ipip-lab:kind:Preflight");
    for (const i of [lab.images.kindNode, lab.images.gateway, lab.images.sidecar]) await expectParent(i, "calico-ipip-lab:kind:Images");
    for (const b of lab.bridges.bridges) await expectParent(b, "calico-ipip-lab:kind:HostBridges");
    await expectParent(lab.cluster.cluster, "calico-ipip-lab:kind:KindCluster");
    await expectParent(lab.topology.lab, "calico-ipip-lab:kind:ContainerlabTopology");
    await expectParent(lab.gateway.configure, "calico-ipip-lab:kind:Gateway");
    for (const r of [lab.calico.provider, lab.calico.manifest!, lab.calico.objects, lab.calico.ready, lab.calico.ippool]) {
      await expectParent(r, "calico-ipip-lab:kind:CalicoInstall");
    }
    for (const r of [lab.workload.statefulSet, lab.workload.ready, lab.workload.ipamRead, lab.workload.routesRead, lab.workload.bgpRead!]) {
      await expectParent(r, "calico-ipip-lab:kind:Workload");
    }
  });

  test("registration follows the lab's order: preflight → images, bridges → kind → containerlab → gateway, Calico → workload", () => {
    const at = (name: string): Recorded => {
      const r = recorded.find((x) => x.name === name && x.type !== "kubernetes:yaml/v2:ConfigGroup") ?? recorded.find((x) => x.name === name);
      if (r === undefined) throw new Error(`no resource ${name}`);
      return r;
    };
    const configGroup = recorded.find((r) => r.type === "kubernetes:yaml/v2:ConfigGroup")!;
    const after = (later: Recorded, ...earlier: string[]): void => {
      for (const e of earlier) expect({ [`${later.name} after ${e}`]: later.started > at(e).finished }).toEqual({ [`${later.name} after ${e}`]: true });
    };
    for (const n of ["calico-ipip-images-kindNode", "calico-ipip-images-gateway", "calico-ipip-images-sidecar", "calico-ipip-bridges-br-ipip0", "calico-ipip-bridges-br-ipip1", "calico-ipip-calico-manifest"]) {
      after(at(n), "calico-ipip-preflight-check");
    }
    after(at("calico-ipip-kind-cluster"), "calico-ipip-preflight-check", "calico-ipip-images-kindNode");
    after(at("calico-ipip-clab-lab"), "calico-ipip-kind-cluster", "calico-ipip-bridges-br-ipip0", "calico-ipip-bridges-br-ipip1", "calico-ipip-images-gateway", "calico-ipip-images-sidecar");
    after(configGroup, "calico-ipip-clab-lab", "calico-ipip-calico-k8s");
    expect(configGroup.started).toBeGreaterThan(recorded.find((r) => r.name === "calico-ipip-calico-manifest" && r.type === "command:local:Command")!.finished);
    expect(at("calico-ipip-calico-ready").started).toBeGreaterThan(configGroup.finished);
    after(at("calico-ipip-calico-ippool"), "calico-ipip-calico-ready");
    after(at("calico-ipip-gateway-configure"), "calico-ipip-clab-lab");
    after(at("calico-ipip-workload-statefulset"), "calico-ipip-calico-ippool", "calico-ipip-kind-cluster", "calico-ipip-gateway-configure");
    after(at("calico-ipip-workload-ready"), "calico-ipip-workload-statefulset");
    after(at("calico-ipip-workload-ipam"), "calico-ipip-workload-ready", "calico-ipip-calico-ippool", "calico-ipip-gateway-configure");
    after(at("calico-ipip-workload-routes"), "calico-ipip-workload-ipam");
    after(at("calico-ipip-workload-bgp"), "calico-ipip-workload-routes");
  });

  test("the cluster: the rendered config on stdin, replaced (old one first) when it changes, kubeconfig secret", async () => {
    const cluster = command(recorded, "kind.sh");
    expect(cluster.inputs.create).toBe(`${bashScript(asset("kind.sh"))} 'up'`);
    expect(cluster.inputs.delete).toBe(`${bashScript(asset("kind.sh"))} 'down'`);
    expect(cluster.inputs.stdin).toBe(renderKindConfig(spec));
    expect(env(cluster)).toEqual({
      KIND_CLUSTER_NAME: "calico-ipip",
      KIND_NODE_IMAGE: "burlyluo/kindest:v1.27.3",
      CONTROL_PLANE_NODE: "calico-ipip-control-plane",
      CONTROL_PLANE_TAINT: "node-role.kubernetes.io/control-plane:NoSchedule",
      LAB_WORK_DIR: "/srv/work",
      KIND_BUILD_ID: "kind-1",
      KIND_BUILD_FILE: "cluster-build",
    });
    expect(cluster.inputs.triggers).toEqual([renderKindConfig(spec), "burlyluo/kindest:v1.27.3", "kind-1"]);
    expect(cluster.inputs.logging).toBe("stderr");
    expect(await pulumi.isSecret(lab.cluster.kubeconfig)).toBe(true);
    // (additionalSecretOutputs: ["stdout"] is applied by the engine, which mocks do not run.)
    expect(await promiseOf(lab.cluster.kubeconfig)).toBe(KUBECONFIG);
    // the kubeconfig reaches the cluster's users, as a secret
    expect(env(command(recorded, "calico-wait.sh")).LAB_KUBECONFIG).toBe(KUBECONFIG);
    expect(JSON.stringify(command(recorded, "calico-wait.sh").raw)).not.toContain(KUBECONFIG.slice(0, 20) + '"');
  });

  test("images: the host-side images, pulled once and kept on destroy", () => {
    const images = recorded.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
    expect(images.map((r) => r.inputs)).toEqual([
      { name: "burlyluo/kindest:v1.27.3", keepLocally: true },
      { name: "hub.deepflow.yunshan.net/network-demo/vyos:1.4.9", keepLocally: true },
      { name: "hub.deepflow.yunshan.net/network-demo/nettool", keepLocally: true },
    ]);
  });

  test("bridges and containerlab: create/delete scripts, triggers for a replace", () => {
    const bridges = commands(recorded).filter((r) => scriptOf(r.inputs) === "bridge.sh");
    expect(bridges.map((b) => [env(b), b.inputs.delete, b.inputs.triggers])).toEqual(
      ["br-ipip0", "br-ipip1"].map((n) => [{ BRIDGE_NAME: n, LAB_TOPOLOGY_ID: "clab-1" }, `${bashScript(asset("bridge.sh"))} 'down'`, [n]]),
    );
    const clab = command(recorded, "clab.sh");
    expect(clab.inputs.delete).toBe(`${bashScript(asset("clab.sh"))} 'down'`);
    expect(env(clab).LAB_WORK_DIR).toBe("/srv/work");
    expect(env(clab).NODE_ADDRESSES.split("\n")).toEqual([
      "calico-ipip-control-plane 10.1.5.10/24 10.1.5.1",
      "calico-ipip-worker 10.1.5.11/24 10.1.5.1",
      "calico-ipip-worker2 10.1.8.10/24 10.1.8.1",
      "calico-ipip-worker3 10.1.8.11/24 10.1.8.1",
    ]);
    // Redeployed for the part of the gateway's config no mode changes (here, without BGP, all of it).
    expect(clab.inputs.triggers).toEqual([env(clab).CLAB_TOPOLOGY, renderVyosBlock(vyosBaseConfig(spec)), "clab-1", "calico-ipip-kind-cluster-id"]);
    expect(env(clab)).toMatchObject({ CLAB_BUILD_ID: "clab-1", CLAB_BUILD_FILE: "clab-build", KIND_BUILD_FILE: "cluster-build" });
    expect(env(clab).GATEWAY_BOOT_CONFIG).toBe(renderVyosBlock(vyosBaseConfig(spec)));
  });

  test("the gateway: its boot config, and a reconfigure that follows the containerlab deploy's container", async () => {
    const configure = command(recorded, "gateway-configure.sh");
    expect(env(configure)).toMatchObject({ GATEWAY_CONTAINER: "clab-calico-ipip-gw0", GATEWAY_CONTAINER_ID: GATEWAY_ID, FRR_BGP_LINES: "" });
    expect(env(configure).VYOS_SCRIPT).toContain("delete protocols bgp");
    expect(await promiseOf(lab.topology.gatewayId)).toBe(GATEWAY_ID);
    expect(lab.gateway.bootConfig).toBe(env(command(recorded, "clab.sh")).GATEWAY_BOOT_CONFIG);
    expect(lab.gateway.bgp).toBe(false);
    expect(recorded.filter((r) => r.type === "kubernetes:crd.projectcalico.org/v1:BGPPeer")).toEqual([]);
  });

  test("Calico: the manifest read at deploy time, patched objects applied through the lab's provider", async () => {
    const manifest = command(recorded, "manifest.sh");
    expect(env(manifest)).toEqual({ CALICO_MANIFEST: "https://docs.tigera.io/archive/v3.23/manifests/calico.yaml", DOWNLOAD_SECONDS: "120" });
    const provider = recorded.find((r) => r.type === "pulumi:providers:kubernetes")!;
    expect(provider.inputs).toMatchObject({ kubeconfig: KUBECONFIG, clusterIdentifier: "kind-1", deleteUnreachable: "true" }); // provider inputs travel as strings
    expect(isSecretValue(provider.raw.kubeconfig)).toBe(true);
    const group = recorded.find((r) => r.type === "kubernetes:yaml/v2:ConfigGroup")!;
    const objs = group.inputs.objs as { kind: string; spec: { template: { spec: { containers: { image: string; env: { name: string; value: string }[] }[] } } } }[];
    const node = objs.find((o) => o.kind === "DaemonSet")!.spec.template.spec.containers[0];
    expect(node.image).toBe("docker.io/calico/node:v3.23.2");
    expect(node.env).toEqual([
      { name: "CALICO_IPV4POOL_IPIP", value: "Always" },
      { name: "CALICO_IPV4POOL_VXLAN", value: "Never" },
      { name: "CALICO_IPV4POOL_CIDR", value: "10.244.0.0/16" },
      { name: "CALICO_IPV4POOL_BLOCK_SIZE", value: "26" },
      { name: "IP_AUTODETECTION_METHOD", value: "interface=net0" },
    ]);
    expect(await promiseOf(lab.calico.poolModes)).toEqual({ ipipMode: "Always", vxlanMode: "Never" });
  });

  test("the workload: the seed's StatefulSet through the provider; pods and routes read back", async () => {
    const ss = recorded.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!;
    expect(ss.inputs).toMatchObject({ metadata: { name: "pod", namespace: "default" }, spec: { replicas: 4 } });
    expect(await promiseOf(lab.pods)).toEqual(spec.nodes.map((n) => ({ name: n.pod.name, ip: n.pod.ip, node: n.name })));
    expect(Object.keys(await promiseOf(lab.routes))).toEqual(spec.nodes.map((n) => n.name));
    expect(await promiseOf(lab.dataplane)).toBe("calico");
    expect(lab.ready).toEqual([lab.workload.ready, lab.workload.routesRead]);
    expect(env(command(recorded, "ipam.sh"))).toMatchObject({ LAB_KUBECONFIG: KUBECONFIG, NEED_VTEPS: "no", POOL_MODES: "Always Never" });
    // the routes expected for the blocks IPAM gave (worker2 holds worker3's planned block), not the model's plan
    const expected = JSON.parse(env(command(recorded, "routes.sh")).ROUTE_EXPECTATIONS) as Record<string, string[]>;
    expect(expected["calico-ipip-control-plane"]).toEqual([
      "blackhole 10.244.0.64/26 proto bird",
      "10.244.0.128/26 via 10.1.5.11 dev tunl0 proto bird onlink",
      "10.244.0.192/26 via 10.1.8.10 dev tunl0 proto bird onlink",
      "10.244.0.0/26 via 10.1.8.11 dev tunl0 proto bird onlink",
    ]);
  });

  test("nodeStates: each node's pool routes and BGP sessions as read back from the nodes", async () => {
    const states = await promiseOf(lab.nodeStates);
    expect(states.map((s) => s.name)).toEqual(spec.nodes.map((n) => n.name));
    expect(states[0].routes).toEqual(["blackhole 10.244.0.64/26 proto bird", "10.244.0.128/26 via 10.1.5.11 dev tunl0 proto bird onlink", "10.244.0.192/26 via 10.1.8.10 dev tunl0 proto bird onlink", "10.244.0.0/26 via 10.1.8.11 dev tunl0 proto bird onlink"]);
    expect(states[0].bgpPeers).toEqual(["10.1.5.11", "10.1.8.10", "10.1.8.11"].map((peer) => ({ peer, state: "Established" })));
    expect(env(command(recorded, "bgp-sessions.sh"))).toMatchObject({ BIRD_SOCKET: "/var/run/calico/bird.ctl", POOL_MODES: "Always Never" });
  });

  test("capture(): assets/kind/capture.sh with the client's sidecar, the kubeconfig and the pods read back", async () => {
    const invocation = lab.capture(spec.scenarios[1], spec.nodes[0], spec.nodes[2]);
    expect(invocation.script).toBe(asset("capture.sh"));
    expect(fs.existsSync(invocation.script)).toBe(true);
    const { LAB_KUBECONFIG, CLIENT_POD, CLIENT_POD_IP, SERVER_POD_IP, ...rest } = invocation.environment;
    // the pods as the workload step read them back, for the program's verdict as for the script
    expect(await promiseOf(pulumi.all([CLIENT_POD, CLIENT_POD_IP, SERVER_POD_IP]))).toEqual(["pod-0", "10.244.0.1", "10.244.0.129"]);
    expect(await promiseOf(pulumi.output(invocation.pods))).toEqual({ client: { pod: "pod-0", ip: "10.244.0.1" }, server: { pod: "pod-2", ip: "10.244.0.129" } });
    expect(rest).toEqual({
      WORKLOAD_NAMESPACE: "default",
      CLIENT_SIDECAR: "clab-calico-ipip-server1",
      PING_COUNT: "5",
      CURL_SECONDS: "3",
      TCPDUMP_START_SECONDS: "10",
      LAB_POLL_SECONDS: "1",
      LAB_TOPOLOGY_ID: "clab-1",
    });
    expect(await promiseOf(pulumi.output(LAB_KUBECONFIG))).toBe(KUBECONFIG);
  });
});

describe("the pool's modes under mocks", () => {
  test("it reaches the Calico patch and the IPPool patch; a mode change re-runs the patch and replaces nothing", async () => {
    const always = await build(ipipSpec({ labName: "lab" }));
    const cross = await build(crossSubnetSpec({ labName: "lab" }));
    const ippool = (r: Recorded[]): Recorded => command(r, "ippool-patch.sh");
    expect(env(ippool(always.recorded)).IPPOOL_PATCH).toBe('{"spec":{"ipipMode":"Always","vxlanMode":"Never"}}');
    expect(env(ippool(cross.recorded)).IPPOOL_PATCH).toBe('{"spec":{"ipipMode":"CrossSubnet","vxlanMode":"Never"}}');
    const ipipEnv = (r: Recorded[]): unknown => {
      const group = r.find((x) => x.type === "kubernetes:yaml/v2:ConfigGroup")!;
      const objs = group.inputs.objs as { kind: string; spec: { template: { spec: { containers: { env: { name: string; value: string }[] }[] } } } }[];
      return objs.find((o) => o.kind === "DaemonSet")!.spec.template.spec.containers[0].env.find((e) => e.name === "CALICO_IPV4POOL_IPIP");
    };
    expect(ipipEnv(always.recorded)).toEqual({ name: "CALICO_IPV4POOL_IPIP", value: "Always" });
    expect(ipipEnv(cross.recorded)).toEqual({ name: "CALICO_IPV4POOL_IPIP", value: "CrossSubnet" });

    // Between the two programs, only these Commands' inputs differ — @pulumi/command re-runs them
    // (create again, as none has an update script); no Command's triggers differ, so nothing is replaced.
    const byName = (r: Recorded[]): Map<string, Recorded> => new Map(commands(r).map((c) => [c.name, c]));
    const a = byName(always.recorded);
    const b = byName(cross.recorded);
    const changed = [...a.keys()].filter((n) => JSON.stringify(a.get(n)!.inputs) !== JSON.stringify(b.get(n)!.inputs));
    expect(changed.sort()).toEqual(["lab-calico-ippool", "lab-workload-bgp", "lab-workload-ipam", "lab-workload-routes"]);
    for (const n of a.keys()) expect([n, a.get(n)!.inputs.triggers]).toEqual([n, b.get(n)!.inputs.triggers]);
    expect(ippool(always.recorded).inputs.update).toBeUndefined();
  });

  test("IPIP → mode Never → VXLAN: the gateway and Calico follow; containerlab is never replaced", async () => {
    const ipip = await build(ipipSpec({ labName: "lab" }));
    const never = await build(bgpSpec({ labName: "lab" }));
    const vxlan = await build(vxlanSpec({ labName: "lab" }));
    // mode Never: the gateway peers with every node, every node with the gateway
    const configure = command(never.recorded, "gateway-configure.sh");
    expect(env(configure).FRR_BGP_LINES.split("\n")).toEqual(["router bgp 64512", ...["10.1.5.10", "10.1.5.11", "10.1.8.10", "10.1.8.11"].map((n) => ` neighbor ${n} remote-as 64512`)]);
    expect(env(configure).VYOS_SCRIPT).toContain("set protocols bgp neighbor 10.1.8.11 remote-as '64512'");
    const peers = never.recorded.filter((r) => r.type === "kubernetes:crd.projectcalico.org/v1:BGPPeer");
    expect(peers.map((p) => [p.name, (p.inputs.spec as { peerIP: string }).peerIP])).toEqual([
      ["lab-calico-bgppeer-gw0-lab-control-plane", "10.1.5.1"],
      ["lab-calico-bgppeer-gw0-lab-worker", "10.1.5.1"],
      ["lab-calico-bgppeer-gw0-lab-worker2", "10.1.8.1"],
      ["lab-calico-bgppeer-gw0-lab-worker3", "10.1.8.1"],
    ]);
    const statefulSet = never.recorded.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!;
    for (const p of peers) expect(statefulSet.started).toBeGreaterThan(p.finished);
    // VXLAN: calico-node without BIRD
    const backend = (r: Recorded[]): string => {
      const objs = r.find((x) => x.type === "kubernetes:yaml/v2:ConfigGroup")!.inputs.objs as { kind: string; data?: { calico_backend: string } }[];
      return objs.find((o) => o.kind === "ConfigMap")!.data!.calico_backend;
    };
    expect([backend(ipip.recorded), backend(never.recorded), backend(vxlan.recorded)]).toEqual(["bird", "bird", "vxlan"]);
    expect(env(command(vxlan.recorded, "ippool-patch.sh")).IPPOOL_PATCH).toBe('{"spec":{"ipipMode":"Never","vxlanMode":"Always"}}');
    // without BIRD no sessions to read: no Command asks, and each node has none
    expect(commands(vxlan.recorded).some((r) => scriptOf(r.inputs) === "bgp-sessions.sh")).toBe(false);
    expect(vxlan.lab.workload.bgpRead).toBeUndefined();
    expect((await promiseOf(vxlan.lab.nodeStates)).map((s) => s.bgpPeers)).toEqual([[], [], [], []]);
    expect(vxlan.recorded.some((r) => r.type === "kubernetes:crd.projectcalico.org/v1:BGPPeer")).toBe(false);
    // containerlab: only its (ignored) boot config differs; its triggers never do
    const clab = (r: Recorded[]): Recorded => command(r, "clab.sh");
    for (const other of [never, vxlan]) {
      expect(clab(other.recorded).inputs.triggers).toEqual(clab(ipip.recorded).inputs.triggers);
      const { GATEWAY_BOOT_CONFIG: _a, ...rest } = env(clab(other.recorded));
      const { GATEWAY_BOOT_CONFIG: _b, ...base } = env(clab(ipip.recorded));
      expect(rest).toEqual(base);
    }
    expect(env(clab(never.recorded)).GATEWAY_BOOT_CONFIG).toContain('system-as "64512"');
  });

  test("a manifest file is read by the program: no download Command, its objects patched", async () => {
    const file = path.join(os.tmpdir(), `calico-ipip-lab-manifest-${process.pid}.yaml`);
    fs.writeFileSync(file, TINY_MANIFEST);
    try {
      const { lab, recorded } = await build(ipipSpec({ labName: "lab", calico: { manifest: file } }));
      expect(lab.calico.manifest).toBeUndefined();
      expect(commands(recorded).some((r) => scriptOf(r.inputs) === "manifest.sh")).toBe(false);
      const objs = recorded.find((r) => r.type === "kubernetes:yaml/v2:ConfigGroup")!.inputs.objs as { kind: string; data?: { calico_backend: string } }[];
      expect(objs.map((o) => o.kind)).toEqual(["ConfigMap", "DaemonSet"]);
      expect(objs[0].data?.calico_backend).toBe("bird");
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  const real = fixture("calico-manifest");
  (("path" in real) ? test : test.skip)("the real v3.24.5 manifest goes through the program patched for the mode", async () => {
    const text = fs.readFileSync((real as { path: string }).path, "utf8");
    const { recorded } = await build(crossSubnetSpec(), text);
    const group = recorded.find((x) => x.type === "kubernetes:yaml/v2:ConfigGroup")!;
    const objs = group.inputs.objs as { kind: string; metadata: { name: string }; spec: { template: { spec: { containers: { name: string; env: { name: string; value: string }[] }[] } } } }[];
    expect(objs.length).toBeGreaterThan(20);
    const ds = objs.find((o) => o.kind === "DaemonSet" && o.metadata.name === "calico-node")!;
    const e = ds.spec.template.spec.containers[0].env;
    expect(e.find((x) => x.name === "CALICO_IPV4POOL_IPIP")?.value).toBe("CrossSubnet");
    expect(e.find((x) => x.name === "IP_AUTODETECTION_METHOD")?.value).toBe("interface=net0");
  });
});

describe("route reflectors under mocks (CrossSubnet, nodes 1 and 3)", () => {
  const rrSpec = crossSubnetSpec({ labName: "lab", bgp: { routeReflectors: [1, 3] } });
  const meshSpec = crossSubnetSpec({ labName: "lab" });
  let rr: { lab: KindLab; recorded: Recorded[] };
  let mesh: { lab: KindLab; recorded: Recorded[] };
  beforeAll(async () => {
    rr = await build(rrSpec);
    mesh = await build(meshSpec);
  });
  const customResources = (r: Recorded[]): Recorded[] => r.filter((x) => x.type.startsWith("kubernetes:crd.projectcalico.org/v1:"));

  test("the mesh off, the guide's BGPPeer, the reflectors' Nodes patched, all before the pods", async () => {
    expect(customResources(rr.recorded).map((r) => [r.type, r.name, r.inputs.spec])).toEqual([
      ["kubernetes:crd.projectcalico.org/v1:BGPConfiguration", "lab-calico-bgpconfiguration-default", { nodeToNodeMeshEnabled: false, asNumber: 64512 }],
      ["kubernetes:crd.projectcalico.org/v1:BGPPeer", "lab-calico-bgppeer-peer-with-route-reflectors", { nodeSelector: "all()", peerSelector: "route-reflector == 'true'" }],
    ]);
    const reflectors = command(rr.recorded, "route-reflectors.sh");
    expect(reflectors.name).toBe("lab-calico-reflectors");
    expect(reflectors.inputs.delete).toBe(`${bashScript(asset("route-reflectors.sh"))} 'down'`);
    expect(env(reflectors)).toMatchObject({ LAB_KUBECONFIG: KUBECONFIG, KIND_NODES: rrSpec.nodes.map((n) => n.name).join(" "), RR_LABEL: "route-reflector", RR_ANNOTATION: "projectcalico.org/RouteReflectorClusterID" });
    expect(await promiseOf(rr.lab.calico.reflectorNodes)).toEqual({
      "lab-control-plane": { label: "true", clusterId: "244.0.0.1" },
      "lab-worker": { label: null, clusterId: null },
      "lab-worker2": { label: "true", clusterId: "244.0.0.1" },
      "lab-worker3": { label: null, clusterId: null },
    });
    const group = rr.recorded.find((r) => r.type === "kubernetes:yaml/v2:ConfigGroup")!;
    const statefulSet = rr.recorded.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!;
    for (const r of [reflectors, ...customResources(rr.recorded)]) {
      expect(r.started).toBeGreaterThan(group.finished);
      expect(statefulSet.started).toBeGreaterThan(r.finished);
    }
  });

  test("each node's bgpPeers: a client lists the reflectors only, a reflector every other node", async () => {
    const states = await promiseOf(rr.lab.nodeStates);
    expect(Object.fromEntries(states.map((s) => [s.name, s.bgpPeers.map((p) => p.peer)]))).toEqual({
      "lab-control-plane": ["10.1.5.11", "10.1.8.10", "10.1.8.11"],
      "lab-worker": ["10.1.5.10", "10.1.8.10"],
      "lab-worker2": ["10.1.5.10", "10.1.5.11", "10.1.8.11"],
      "lab-worker3": ["10.1.5.10", "10.1.8.10"],
    });
    expect(JSON.parse(env(command(rr.recorded, "bgp-sessions.sh")).SESSION_EXPECTATIONS)["lab-worker"]).toEqual(["Node_10_1_5_10", "Node_10_1_8_10"]);
    expect(JSON.parse(env(command(mesh.recorded, "bgp-sessions.sh")).SESSION_EXPECTATIONS)["lab-worker"]).toEqual(["Mesh_10_1_5_10", "Mesh_10_1_8_10", "Mesh_10_1_8_11"]);
  });

  test("a live switch mesh ↔ reflectors adds or removes only the BGP objects and the Node patch, re-reads the sessions, replaces nothing", () => {
    const byName = (r: Recorded[]): Map<string, Recorded> => new Map(r.map((c) => [`${c.type} ${c.name}`, c]));
    const [a, b] = [byName(mesh.recorded), byName(rr.recorded)];
    const only = (x: Map<string, Recorded>, y: Map<string, Recorded>): string[] => [...x.keys()].filter((k) => !y.has(k)).sort();
    expect(only(b, a)).toEqual([
      "command:local:Command lab-calico-reflectors",
      "kubernetes:crd.projectcalico.org/v1:BGPConfiguration lab-calico-bgpconfiguration-default",
      "kubernetes:crd.projectcalico.org/v1:BGPPeer lab-calico-bgppeer-peer-with-route-reflectors",
    ]);
    expect(only(a, b)).toEqual([]);
    // of what both have, only the sessions read-back's inputs differ (it re-runs); no trigger does, so nothing is replaced
    const changed = [...a.keys()].filter((k) => b.has(k) && JSON.stringify(a.get(k)!.inputs) !== JSON.stringify(b.get(k)!.inputs));
    expect(changed).toEqual(["command:local:Command lab-workload-bgp"]);
    for (const k of a.keys()) expect([k, a.get(k)!.inputs.triggers]).toEqual([k, b.get(k)!.inputs.triggers]);
  });

  test("mode Never with reflectors: the gateway's BGPPeers stay beside the reflectors' objects, and each node lists the gateway too", async () => {
    const never = await build(bgpSpec({ labName: "lab", bgp: { routeReflectors: [1, 3] } }));
    expect(customResources(never.recorded).map((r) => r.name)).toEqual([
      "lab-calico-bgpconfiguration-default",
      "lab-calico-bgppeer-peer-with-route-reflectors",
      "lab-calico-bgppeer-gw0-lab-control-plane",
      "lab-calico-bgppeer-gw0-lab-worker",
      "lab-calico-bgppeer-gw0-lab-worker2",
      "lab-calico-bgppeer-gw0-lab-worker3",
    ]);
    const states = await promiseOf(never.lab.nodeStates);
    expect(states[1].bgpPeers.map((p) => p.peer)).toEqual(["10.1.5.10", "10.1.8.10", "10.1.5.1"]);
  });
});

describe("a lab lost under a live stack (labPresence.ts)", () => {
  const spec = ipipSpec({ labName: "lab" });
  const byName = (r: Recorded[]): Map<string, Recorded> => new Map(commands(r).map((c) => [c.name, c]));
  /** The Commands whose inputs differ from the whole lab's (re-run), and those whose triggers do (replaced). */
  async function against(host: KindHostView): Promise<{ rerun: string[]; replaced: string[]; provider: unknown; lab: KindLab }> {
    const whole = byName((await build(spec)).recorded);
    const damaged = await build(spec, TINY_MANIFEST, host);
    const now = byName(damaged.recorded);
    const differ = (key?: string): string[] =>
      [...whole.keys()].filter((n) => JSON.stringify(key ? whole.get(n)!.inputs[key] : whole.get(n)!.inputs) !== JSON.stringify(key ? now.get(n)!.inputs[key] : now.get(n)!.inputs)).sort();
    const provider = damaged.recorded.find((r) => r.type === "pulumi:providers:kubernetes")!.inputs.clusterIdentifier;
    return { rerun: differ(), replaced: differ("triggers"), provider, lab: damaged.lab };
  }
  afterEach(() => jest.restoreAllMocks());

  test("a whole lab: every input as the last update left it, so nothing runs and no warning", async () => {
    const warn = jest.spyOn(pulumi.log, "warn");
    expect(await against(wholeHost(spec))).toMatchObject({ rerun: [], replaced: [], provider: "kind-1" });
    expect(warn).not.toHaveBeenCalled();
  });

  test("a kind node stopped: the cluster re-created, containerlab redeployed, a new provider (so every object again), the lab read back and captured again", async () => {
    const warn = jest.spyOn(pulumi.log, "warn");
    const r = await against(wholeHost(spec, (c) => (c.name === "lab-worker" ? { ...c, state: "exited" } : c)));
    expect(r.replaced).toEqual(["lab-clab-lab", "lab-kind-cluster"]);
    expect(r.rerun).toEqual(["lab-bridges-br-lab0", "lab-bridges-br-lab1", "lab-clab-lab", "lab-kind-cluster", "lab-workload-bgp", "lab-workload-ipam", "lab-workload-ready", "lab-workload-routes"]);
    expect(r.provider).toMatch(/^kind-.+-[0-9a-f]{6}$/);
    expect(r.lab.capture(spec.scenarios[0], spec.nodes[0], spec.nodes[1]).environment.LAB_TOPOLOGY_ID).toBe(r.lab.topologyId);
    expect(r.lab.topologyId).not.toBe("clab-1");
    expect(warn.mock.calls.map((c) => c[0])).toEqual(["lab lab is not whole on this host (container lab-worker is exited): this update rebuilds what is missing"]);
  });

  test("a sidecar gone: only containerlab redeployed; the cluster and the provider kept; the bridges, the read-backs and the captures run again", async () => {
    const host = wholeHost(spec);
    const r = await against({ ...host, containers: (lab) => (host.containers(lab) as DockerContainer[]).filter((c) => c.name !== "clab-lab-server2") });
    expect(r.replaced).toEqual(["lab-clab-lab"]);
    expect(r.rerun).toEqual(["lab-bridges-br-lab0", "lab-bridges-br-lab1", "lab-clab-lab", "lab-workload-bgp", "lab-workload-ipam", "lab-workload-ready", "lab-workload-routes"]);
    expect(r.provider).toBe("kind-1");
    expect(r.lab.topologyId).not.toBe("clab-1");
  });

  test("docker not answering: the lab is kept as the stack has it, and a warning says why", async () => {
    const warn = jest.spyOn(pulumi.log, "warn");
    const r = await against({ ...wholeHost(spec), containers: () => ({ error: "Cannot connect to the Docker daemon" }) });
    expect(r).toMatchObject({ rerun: [], replaced: [], provider: "kind-1" });
    expect(warn.mock.calls.map((c) => c[0])).toEqual([
      "cannot tell whether lab lab still exists on this host (docker: Cannot connect to the Docker daemon): this update keeps it as the stack has it",
    ]);
  });
});

describe("kindBackend", () => {
  test("builds a KindLab as a child of the program's component and serves as its LabBackend", async () => {
    const spec = ipipSpec({ labName: "factory" });
    pulumi.runtime.setMocks(
      {
        newResource: (args: pulumi.runtime.MockResourceArgs) => ({
          id: `${args.name}-id`,
          state: args.type === "command:local:Command" ? { ...args.inputs, stdout: stdoutOf(scriptOf(plain(args.inputs) as Record<string, unknown>), spec, TINY_MANIFEST, plain(args.inputs.environment ?? {}) as Record<string, string>) } : args.inputs,
        }),
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
      },
      "calico-ipip-lab",
      "factory",
      false,
    );
    class Program extends pulumi.ComponentResource {
      constructor() {
        super("calico-ipip-lab:index:CalicoIpipLab", "factory", {});
      }
    }
    const parent = new Program();
    const backend = kindBackend(spec, parent);
    expect(backend).toBeInstanceOf(KindLab);
    expect(parentType(await promiseOf((backend as KindLab).urn))).toBe("calico-ipip-lab:index:CalicoIpipLab");
    expect((await promiseOf(backend.pods)).map((p) => p.node)).toEqual(spec.nodes.map((n) => n.name));
  });
});
