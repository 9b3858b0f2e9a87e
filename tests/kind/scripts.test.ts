/**
 * The kind backend's scripts, run for real with bash against the stand-in docker, kind,
 * containerlab, kubectl, ip and curl (tests/standins). The steps are the ones the
 * components run (steps.ts), in the order their dependencies impose; between them the
 * test does what Pulumi's Kubernetes resources do (apply Calico, apply the StatefulSet).
 */
import { expectedEncapsulation } from "../../model/expect";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { captureEnvironment, parseCaptureOutput } from "../../components/capture/result";
import { captureFolder } from "../../model/captureDir";
import { HOST_PATHS } from "../../model/hostPaths";
import { LabSpec, NodeSpec, PoolModes } from "../../model/spec";
import { RunResult, RunnableStep, StandinHost } from "../standins/harness";
import * as steps from "../../components/kind/steps";
import { CLUSTER_BUILD_FILE, TOPOLOGY_BUILD_FILE } from "../../components/kind/labPresence";
import { calicoBgpObjects, parseBirdProtocols, REFLECTOR } from "../../components/kind/bgp";
import { renderKindConfig } from "../../components/kind/kindConfig";
import { readManifestFile } from "../../components/kind/calicoManifest";
import { ClusterIpam, expectedRoutes, parseIpam } from "../../components/kind/routes";
import { bgpSpec, crossSubnetSpec, ipipSpec, vxlanCrossSubnetSpec, vxlanSpec } from "./testing";

/** The identities the program would give the cluster and the containerlab lab (labPresence.ts). */
const KIND_ID = "kind-test-1";
const CLAB_ID = "clab-test-1";

/** Short waits: the stand-ins answer at once, and a failing wait must not take minutes. */
function quick(step: steps.ScriptStep<string>): RunnableStep {
  const env = { ...step.environment };
  if ("WAIT_SECONDS" in env) env.WAIT_SECONDS = "2";
  if ("LAB_POLL_SECONDS" in env) env.LAB_POLL_SECONDS = "0.05";
  return { ...step, environment: env };
}

/** The routes step as the program gives it: the expected routes rendered for what IPAM gave the nodes. */
function routesFor(spec: LabSpec, ipam: ClusterIpam): steps.ScriptStep<string> {
  return steps.routesStep(spec, JSON.stringify(expectedRoutes(spec, ipam)));
}

/** What ipam.sh would read from the seed lab's cluster: the model's blocks, and its VTEPs. */
function modelIpam(spec: LabSpec): ClusterIpam {
  return Object.fromEntries(spec.nodes.map((n) => [n.name, { blocks: [n.block], vtep: n.tunnelIp }]));
}

interface Up {
  /** The step that failed, if one did; the run stops there. */
  failed?: string;
  result?: RunResult;
  /** What the workload and the routes steps printed. */
  pods?: RunResult;
  routes?: RunResult;
  kubeconfig: string;
}

/** The gateway container's id, as the containerlab step prints it last. */
function gatewayId(r: RunResult): string {
  return lastLine(r.stdout);
}

/** The create side of the lab, in dependency order; stops at the first failing step. */
function up(host: StandinHost, spec: LabSpec, workDir: string, opts: { fail?: string; initialModes?: PoolModes } = {}): Up {
  const out: Up = { kubeconfig: "" };
  const go = (step: steps.ScriptStep<string>): boolean => {
    const r = host.create(quick(step), { fail: opts.fail });
    if (r.status !== 0) {
      out.failed = step.name;
      out.result = r;
      return false;
    }
    out.result = r;
    return true;
  };
  // (a manifest URL is downloaded first; the base lab's is a file, which the program reads)
  const manifest = steps.manifestStep(spec);
  if (!go(steps.preflightStep(spec)) || (manifest !== undefined && !go(manifest))) return out;
  for (const b of steps.bridgeSteps(spec)) if (!go(b)) return out;
  if (!go(steps.kindClusterStep(spec, workDir, KIND_ID))) return out;
  out.kubeconfig = out.result!.stdout;
  if (!go(steps.containerlabStep(spec, workDir, CLAB_ID))) return out;
  if (!go(steps.gatewayConfigureStep(spec, gatewayId(out.result!)))) return out;
  host.applyCalico(spec.name, opts.initialModes ?? spec);
  host.applyBgp(spec.name, calicoBgpObjects(spec));
  const reflectors = steps.reflectorsStep(spec, out.kubeconfig);
  if (reflectors !== undefined && !go(reflectors)) return out;
  if (!go(steps.calicoWaitStep(spec, out.kubeconfig)) || !go(steps.ippoolStep(spec, out.kubeconfig))) return out;
  host.applyWorkload(spec);
  if (!go(steps.workloadWaitStep(spec, out.kubeconfig))) return out;
  out.pods = out.result;
  if (!go(steps.ipamStep(spec, out.kubeconfig))) return out;
  if (!go(routesFor(spec, parseIpam(out.result!.stdout)))) return out;
  out.routes = out.result;
  const bgp = steps.bgpSessionsStep(spec, out.kubeconfig);
  if (bgp !== undefined) go(bgp);
  return out;
}

/** The delete side, in reverse: containerlab, the cluster, the bridges. */
function down(host: StandinHost, spec: LabSpec, workDir: string, fail?: string): { step: string; result: RunResult }[] {
  const deletable = [...steps.bridgeSteps(spec), steps.kindClusterStep(spec, workDir, KIND_ID), steps.containerlabStep(spec, workDir, CLAB_ID)].reverse();
  return deletable.map((s) => ({ step: s.name, result: host.destroy(quick(s), { fail }) }));
}

/** The seed lab's destroy as the stand-ins saw it, in reverse order of up, and nothing of it left. */
function expectSeedDestroyed(host: StandinHost, workDir: string): void {
  expect(host.lines()).toEqual([
    `containerlab destroy -t ${workDir}/calico-ipip.clab.yml --cleanup`,
    "kind delete cluster --name calico-ipip",
    "ip link show br-ipip1",
    "ip link set br-ipip1 down",
    "ip link del br-ipip1",
    "ip link show br-ipip0",
    "ip link set br-ipip0 down",
    "ip link del br-ipip0",
  ]);
  const after = host.world();
  expect([after.bridges, after.clusters, after.containers, after.labs]).toEqual([{}, {}, {}, {}]);
}

/** The pods the stand-ins run for `spec` (applyWorkload), as the program reads them back. */
function podsOf(spec: LabSpec): { name: string; ip: string; node: string }[] {
  return spec.nodes.map((n) => ({ name: n.pod.name, ip: n.pod.ip, node: n.name }));
}

/**
 * The environment a capture Command gets (captureEnvironment with the kind targets), its
 * pcap named `<client>-<server>.pcap` in a folder of the stand-in host.
 */
function captureEnv(host: StandinHost, spec: LabSpec, client: NodeSpec, server: NodeSpec, kubeconfig: string): Record<string, string> {
  const here = { ...spec, capture: { ...spec.capture, ...captureFolder(path.join(host.root, "captures"), spec.stack, "/", HOST_PATHS), timeoutSeconds: 5 } };
  const scenario = { name: `${client.index}-${server.index}`, client: client.index, server: server.index, expected: expectedEncapsulation(spec, client, server) };
  // The pods as the workload step reads them back: applyWorkload runs them at the spec's addresses.
  const ends = steps.captureEnds(podsOf(spec), client, server);
  const targets = steps.kindCaptureTargets(spec, client, kubeconfig, { clientPod: ends.client.pod, clientIp: ends.client.ip, serverIp: ends.server.ip });
  return { ...captureEnvironment(here, scenario, client, server, targets), LAB_POLL_SECONDS: "0.05", TCPDUMP_START_SECONDS: "1" };
}

function capture(host: StandinHost, spec: LabSpec, client: number, server: number, kubeconfig: string, fail?: string): RunResult {
  const c = spec.nodes[client - 1];
  const s = spec.nodes[server - 1];
  return host.run(steps.asset("capture.sh"), captureEnv(host, spec, c, s, kubeconfig), { fail });
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1];
}

/** Everything a successful up leaves on the host, compared between runs. */
function labState(host: StandinHost, spec: LabSpec): unknown {
  const w = host.world();
  const net0 = Object.fromEntries(spec.nodes.map((n) => [n.name, w.containers[n.name]?.net?.links.net0?.addrs ?? null]));
  const routes = Object.fromEntries(spec.nodes.map((n) => [n.name, w.containers[n.name]?.net?.defaultRoute ?? null]));
  return {
    bridges: w.bridges,
    clusters: Object.keys(w.clusters),
    taints: w.clusters[spec.name]?.taints,
    containers: Object.keys(w.containers).sort(),
    labs: Object.keys(w.labs),
    net0,
    routes,
    pool: w.clusters[spec.name]?.ippool,
  };
}

const SEED_NODES = ["calico-ipip-control-plane", "calico-ipip-worker", "calico-ipip-worker2", "calico-ipip-worker3"];

function seedUpLines(workDir: string): string[] {
  return [
    // preflight
    "docker info --format {{.ServerVersion}}",
    "kind version",
    "containerlab version",
    "kubectl version --client",
    "ip -V",
    // host bridges
    "ip -d link show br-ipip0",
    "ip link add br-ipip0 type bridge",
    "ip link set br-ipip0 up",
    "ip -d link show br-ipip1",
    "ip link add br-ipip1 type bridge",
    "ip link set br-ipip1 up",
    // the cluster, its kubeconfig, the untainted control plane
    "kind get clusters",
    "kind create cluster --name calico-ipip --image burlyluo/kindest:v1.27.3 --config -",
    "kind get kubeconfig --name calico-ipip",
    "kubectl taint nodes calico-ipip-control-plane node-role.kubernetes.io/control-plane:NoSchedule-",
    // containerlab: no stale net0, deploy, then check what the sidecars' exec did
    ...SEED_NODES.map((n) => `docker exec ${n} ip link show dev net0`),
    `containerlab deploy -t ${workDir}/calico-ipip.clab.yml --reconfigure`,
    ...SEED_NODES.flatMap((n) => [`docker exec ${n} ip -4 -o addr show dev net0`, `docker exec ${n} ip route show default`]),
    "docker inspect -f {{.Id}} clab-calico-ipip-gw0",
    // the gateway's BGP as the modes need it (none in IPIP), read back from FRR
    ...gatewayLines("clab-calico-ipip-gw0"),
    // Calico ready, the pool's modes
    "kubectl rollout status daemonset/calico-node -n kube-system --timeout=2s",
    "kubectl get ippools.crd.projectcalico.org default-ipv4-ippool -o name",
    'kubectl patch ippools.crd.projectcalico.org default-ipv4-ippool --type merge -p {"spec":{"ipipMode":"Always","vxlanMode":"Never"}} -o jsonpath={.spec.ipipMode} {.spec.vxlanMode}',
    // the workload, one pod per node, read back
    "kubectl rollout status statefulset/pod -n default --timeout=2s",
    "kubectl get pods -n default -l app=nginx -o json",
    // what Calico's IPAM gave the nodes, then the pool routes as the model has them for that
    ...IPAM,
    ...SEED_NODES.map((n) => `docker exec ${n} ip route`),
    // BIRD's sessions on every node
    CALICO_PODS,
    ...SEED_NODES.map((_n, i) => `kubectl exec -n kube-system calico-node-${i} -c calico-node -- birdcl -s /var/run/calico/bird.ctl show protocols`),
  ];
}

const IPAM = ["kubectl get blockaffinities.crd.projectcalico.org -o json", "kubectl get nodes -o json"];
const CALICO_PODS = "kubectl get pods -n kube-system -l k8s-app=calico-node -o json";
const GATEWAY_SCRIPT = "/tmp/calico-ipip-lab-gateway.vbash";

/** What configuring the gateway calls: the script written in, run by vbash, FRR read back, the script removed. */
function gatewayLines(gw: string): string[] {
  return [
    `docker exec -i ${gw} sh -c cat >"$1" sh ${GATEWAY_SCRIPT}`,
    `docker exec ${gw} sg vyattacfg -c /bin/vbash ${GATEWAY_SCRIPT}`,
    `docker exec ${gw} vtysh -c show running-config`,
    `docker exec ${gw} rm -f ${GATEWAY_SCRIPT}`,
  ];
}

function workDirOf(host: StandinHost): string {
  return path.join(host.root, "work", "calico-ipip");
}

describe("kind backend scripts against the stand-ins", () => {
  /** One lab brought up once; each test starts from a copy of it. */
  let base: StandinHost;
  let baseUp: Up;
  let upLines: string[];
  let spec: LabSpec;
  let host: StandinHost;
  let workDir: string;
  let kubeconfig: string;

  beforeAll(() => {
    base = StandinHost.create();
    const manifest = path.join(base.root, "calico.yaml");
    fs.writeFileSync(manifest, "kind: DaemonSet\nmetadata:\n  name: calico-node\n");
    spec = ipipSpec({ calico: { manifest } });
    baseUp = up(base, spec, workDirOf(base));
    upLines = base.lines();
    kubeconfig = baseUp.kubeconfig;
  });
  afterAll(() => base.dispose());

  beforeEach(() => {
    host = base.clone();
    workDir = workDirOf(host);
  });
  afterEach(() => host.dispose());

  test("up runs every step in order, with the rendered kind config on stdin; capture; destroy runs in reverse", () => {
    const run = baseUp;
    expect(run.failed).toBeUndefined();
    expect(upLines).toEqual(seedUpLines(workDirOf(base)));
    const kindCreate = base.calls().find((c) => c.cmd === "kind" && c.argv[0] === "create");
    expect(kindCreate?.stdin).toBe(renderKindConfig(spec));
    expect(run.kubeconfig).toContain("current-context: kind-calico-ipip");

    // the lab as containerlab left it: the files, every node's net0 and default route
    expect(fs.readFileSync(path.join(workDir, "startup-conf", "gw0-boot.cfg"), "utf8")).toContain('host-name "gw0"');
    const w = host.world();
    expect(w.containers["calico-ipip-worker2"].net?.links.net0.addrs).toEqual(["10.1.8.10/24"]);
    expect(w.containers["calico-ipip-worker2"].net?.defaultRoute).toBe("default via 10.1.8.1 dev net0");
    expect(w.containers["clab-calico-ipip-server3"].netnsOf).toBe("calico-ipip-worker2");
    expect(w.clusters["calico-ipip"].taints["calico-ipip-control-plane"]).toEqual([]);

    // the pods, routes and BGP sessions the components read back
    expect(steps.parsePods(run.pods!.stdout)).toEqual(podsOf(spec));
    const routes = steps.parseRoutes(run.routes!.stdout);
    expect(Object.keys(routes)).toEqual(SEED_NODES);
    expect(routes["calico-ipip-control-plane"]).toContain("10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink");
    const sessions = steps.parseBgpSessions(run.result!.stdout);
    expect(parseBirdProtocols(sessions["calico-ipip-control-plane"].join("\n"))).toEqual(
      ["10.1.5.11", "10.1.8.10", "10.1.8.11"].map((peer) => ({ peer, state: "Established" })),
    );

    // capture: pods found on the nodes, tcpdump in the client's sidecar, traffic, stop by PID, copy, routes
    host.clearLog();
    const c = capture(host, spec, 1, 3, run.kubeconfig);
    expect(c.status).toBe(0);
    const side = "clab-calico-ipip-server1";
    const remote = "/tmp/calico-ipip-lab-1-3.pcap";
    expect(host.lines()).toEqual([
      `docker exec -d ${side} sh -c echo $$ >"$1"; exec timeout -s INT "$2" tcpdump -i "$3" --immediate-mode -U -c "$4" -w "$5" "$6" 2>"$7" sh ${remote}.pid 5 net0 200 ${remote} ip proto 4 or (host 10.244.0.1 and host 10.244.0.129) ${remote}.err`,
      `docker exec ${side} test -e ${remote}`,
      "kubectl exec -n default pod-0 -- ping -c 5 -W 1 10.244.0.129",
      "kubectl exec -n default pod-0 -- curl -s -o /dev/null -w %{http_code} -m 3 http://10.244.0.129/",
      `docker exec ${side} cat ${remote}.pid`,
      `docker exec ${side} sh -c kill -INT "$1" sh 4000`,
      `docker exec ${side} sh -c ! kill -0 "$1" 2>/dev/null sh 4000`,
      `docker cp ${side}:${remote} ${host.root}/captures/1-3.pcap`,
      `docker exec ${side} rm -f ${remote} ${remote}.pid ${remote}.err`,
      "docker exec calico-ipip-control-plane ip route get 10.244.0.129",
      "docker exec calico-ipip-worker2 ip route get 10.244.0.1",
    ]);
    // What the script observed only: the pods and the pcap's path are the program's.
    expect(Object.keys(JSON.parse(lastLine(c.stdout)))).toEqual(["routes"]);
    expect(parseCaptureOutput(c.stdout, steps.captureEnds(podsOf(spec), spec.nodes[0], spec.nodes[2]))).toEqual({
      client: { pod: "pod-0", ip: "10.244.0.1" },
      server: { pod: "pod-2", ip: "10.244.0.129" },
      routes: {
        client: ["10.244.0.129 via 10.1.8.10 dev tunl0 src 10.244.0.0 uid 0"],
        server: ["10.244.0.1 via 10.1.5.10 dev tunl0 src 10.244.0.128 uid 0"],
      },
    });
    expect(fs.readFileSync(`${host.root}/captures/1-3.pcap`).subarray(0, 4).toString("hex")).toBe("d4c3b2a1");
    expect(host.world().containers[side].files).toEqual({});

    // destroy, in reverse
    host.clearLog();
    const gone = down(host, spec, workDir);
    expect(gone.map((g) => [g.step, g.result.status])).toEqual([
      ["containerlab", 0],
      ["cluster", 0],
      ["bridge-br-ipip1", 0],
      ["bridge-br-ipip0", 0],
    ]);
    expectSeedDestroyed(host, workDir);
    expect(fs.existsSync(workDir)).toBe(false);
  });

  test("a stack whose state predates the up/down scripts still destroys: its delete runs the old script names", () => {
    const workDir = path.join(host.root, "work");
    up(host, spec, workDir);
    host.clearLog();
    // The delete scripts such a state holds, with the environment the steps still give them.
    const old: [string, steps.ScriptStep<string>][] = [
      ["clab-destroy.sh", steps.containerlabStep(spec, workDir, CLAB_ID)],
      ["kind-delete.sh", steps.kindClusterStep(spec, workDir, KIND_ID)],
      ...steps.bridgeSteps(spec).reverse().map((b): [string, steps.ScriptStep<string>] => ["bridge-down.sh", b]),
    ];
    expect(old.map(([script, step]) => host.run(steps.asset(script), quick(step).environment).status)).toEqual([0, 0, 0, 0]);
    expectSeedDestroyed(host, workDir);
  });

  test("a failing step stops the run with what ran and what it printed", () => {
    host.dispose();
    host = StandinHost.create();
    workDir = workDirOf(host);
    const run = up(host, spec, workDir, { fail: "^kubectl rollout status daemonset" });
    expect(run.failed).toBe("calico-ready");
    expect(run.result!.stderr).toContain(
      "calico-wait: calico-node is not ready: `kubectl rollout status daemonset/calico-node -n kube-system --timeout=2s` failed (exit 1): stand-in kubectl: failing on purpose",
    );
    expect(run.result!.stderr).toContain("its pods: calico-node-0");
    expect(run.result!.stderr).toContain("cross the gateway clab-calico-ipip-gw0");
    expect(host.lines().slice(-2)).toEqual(["kubectl rollout status daemonset/calico-node -n kube-system --timeout=2s", "kubectl get pods -n kube-system -l k8s-app=calico-node -o wide"]);
  });

  test("within a script, a failure stops it: nothing after the failing call runs", () => {
    const c = capture(host, spec, 1, 2, kubeconfig, "^docker cp ");
    expect(c.status).not.toBe(0);
    expect(c.stderr).toMatch(/capture: `docker cp clab-calico-ipip-server1:\/tmp\/calico-ipip-lab-1-2\.pcap \S+\/captures\/1-2\.pcap` failed \(exit 1\): stand-in docker: failing on purpose/);
    const lines = host.lines();
    expect(lines.some((l) => l.includes("ip route get"))).toBe(false);
    // the exit handler still stops tcpdump and removes its files in the sidecar
    expect(lines[lines.length - 1]).toMatch(/^docker exec clab-calico-ipip-server1 sh -c kill -INT "\$\(cat "\$1"\)"/);
    expect(host.world().containers["clab-calico-ipip-server1"].files).toEqual({});
  });

  test("re-running up after a partial failure converges to the same lab", () => {
    host.dispose();
    host = StandinHost.create();
    workDir = workDirOf(host);
    {
      // kind created the cluster, then the step failed (reading the kubeconfig)
      const first = up(host, spec, workDir, { fail: "^kind get kubeconfig" });
      expect(first.failed).toBe("cluster");
      expect(first.result!.stderr).toContain("kind up: `kind get kubeconfig --name calico-ipip` failed (exit 1)");
      // containerlab then failed too
      const second = up(host, spec, workDir, { fail: "^containerlab deploy" });
      expect(second.failed).toBe("containerlab");
      host.clearLog();
      const third = up(host, spec, workDir);
      expect(third.failed).toBeUndefined();
      const lines = host.lines();
      expect(lines).not.toContain("kind create cluster --name calico-ipip --image burlyluo/kindest:v1.27.3 --config -");
      expect(lines).not.toContain("ip link add br-ipip0 type bridge");
      expect(labState(host, spec)).toEqual(labState(base, spec));
    }
  });

  test("containerlab redeploys over a stale net0 left in a kind node", () => {
    const clab = quick(steps.containerlabStep(spec, workDir, CLAB_ID));
    // the sidecars go, the nodes' net0 stays (its namespace is the kind node's)
    host.update((w) => {
      for (const c of w.labs["calico-ipip"].containers) delete w.containers[c];
      delete w.labs["calico-ipip"];
    });
    host.clearLog();
    const r = host.create(clab);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("removing a stale net0 from calico-ipip-worker3");
    expect(host.lines().filter((l) => l.endsWith("ip link del dev net0"))).toEqual(SEED_NODES.map((n) => `docker exec ${n} ip link del dev net0`));
    expect(host.world().containers["calico-ipip-worker3"].net?.links.net0.addrs).toEqual(["10.1.8.11/24"]);
  });

  test("a sidecar exec that did nothing is caught after deploy", () => {
    const clab = quick(steps.containerlabStep(spec, workDir, CLAB_ID));
    const broken = { ...clab, environment: { ...clab.environment, CLAB_TOPOLOGY: clab.environment.CLAB_TOPOLOGY.replace("ip addr add 10.1.8.10/24 dev net0", "ip addr ad 10.1.8.10/24 dev net0") } };
    const r = host.create(broken);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      "clab up: calico-ipip-worker2: net0 should hold 10.1.8.10/24 after deploy; `docker exec calico-ipip-worker2 ip -4 -o addr show dev net0` shows: (nothing)",
    );
  });

  test("deletes tolerate objects already gone", () => {
    const lab = host;
    host = StandinHost.create();
    workDir = workDirOf(host);
    const gone = down(host, spec, workDir);
    expect(gone.map((g) => [g.step, g.result.status, g.result.stderr])).toEqual([
      ["containerlab", 0, "INFO no containerlab containers found\n"],
      ["cluster", 0, 'Deleting cluster "calico-ipip" ...\n'],
      ["bridge-br-ipip1", 0, "bridge down: bridge br-ipip1 is already gone\n"],
      ["bridge-br-ipip0", 0, "bridge down: bridge br-ipip0 is already gone\n"],
    ]);
    // a containerlab that errors on a missing lab is tolerated when no container of the lab is left...
    const clab = quick(steps.containerlabStep(spec, workDir, CLAB_ID));
    const failing = host.destroy(clab, { fail: "^containerlab destroy" });
    expect(failing.status).toBe(0);
    expect(failing.stderr).toContain("clab down: lab calico-ipip is already gone (stand-in containerlab: failing on purpose");
    host.dispose();
    host = lab;
    workDir = workDirOf(host);
    // ...but not when containers remain
    const stuck = host.destroy(quick(steps.containerlabStep(spec, workDir, CLAB_ID)), { fail: "^containerlab destroy" });
    expect(stuck.status).toBe(1);
    expect(stuck.stderr).toMatch(/clab down: `containerlab destroy` failed and containers of lab calico-ipip remain \(\w+/);
  });

  test("the cluster and the containerlab lab record their identities in the work folder; a redeploy keeps the cluster's", () => {
    const read = (file: string): string => fs.readFileSync(path.join(workDir, file), "utf8");
    expect([read(CLUSTER_BUILD_FILE), read(TOPOLOGY_BUILD_FILE)]).toEqual([`${KIND_ID}\n`, `${CLAB_ID}\n`]);
    // a lost containerlab lab: destroyed and deployed with a new identity; the cluster's stays
    expect(host.destroy(quick(steps.containerlabStep(spec, workDir, CLAB_ID))).status).toBe(0);
    expect(fs.readdirSync(workDir)).toEqual([CLUSTER_BUILD_FILE]);
    expect(host.create(quick(steps.containerlabStep(spec, workDir, "clab-test-2"))).status).toBe(0);
    expect([read(CLUSTER_BUILD_FILE), read(TOPOLOGY_BUILD_FILE)]).toEqual([`${KIND_ID}\n`, "clab-test-2\n"]);
    // destroy: containerlab's files, then the cluster's record and the folder
    expect(host.destroy(quick(steps.containerlabStep(spec, workDir, "clab-test-2"))).status).toBe(0);
    expect(host.destroy(quick(steps.kindClusterStep(spec, workDir, KIND_ID))).status).toBe(0);
    expect(fs.existsSync(workDir)).toBe(false);
  });

  test("deletes of a stack made before the identities were recorded still work", () => {
    const { KIND_BUILD_FILE: _k, ...oldClab } = steps.containerlabStep(spec, workDir, CLAB_ID).environment;
    expect(host.destroy(quick({ ...steps.containerlabStep(spec, workDir, CLAB_ID), environment: oldClab })).status).toBe(0);
    expect(fs.existsSync(workDir)).toBe(false);
    const kind = steps.kindClusterStep(spec, workDir, KIND_ID);
    const r = host.destroy(quick({ ...kind, environment: { KIND_CLUSTER_NAME: kind.environment.KIND_CLUSTER_NAME } }));
    expect([r.status, host.world().clusters]).toEqual([0, {}]);
  });

  test("the cluster step is re-runnable: neither the cluster nor the untaint is done again", () => {
    const kind = host.create(quick(steps.kindClusterStep(spec, workDir, KIND_ID)));
    expect([kind.status, kind.stdout]).toEqual([0, kubeconfig]);
    expect(kind.stderr).toContain("kind up: cluster calico-ipip exists; not creating it again");
    expect(kind.stderr).toContain("kind up: calico-ipip-control-plane has no taint node-role.kubernetes.io/control-plane:NoSchedule");
    expect(host.lines()).toEqual(["kind get clusters", "kind get kubeconfig --name calico-ipip", "kubectl taint nodes calico-ipip-control-plane node-role.kubernetes.io/control-plane:NoSchedule-"]);
  });

  /** IPAM read, then a routes step with room for the stand-ins' stale reads. */
  function routesAfterChange(target: LabSpec, kc: string): RunResult {
    const ipam = host.create(quick(steps.ipamStep(target, kc)));
    expect(ipam.status).toBe(0);
    const step = quick(routesFor(target, parseIpam(ipam.stdout)));
    return host.create({ ...step, environment: { ...step.environment, WAIT_SECONDS: "10" } });
  }

  /** The same lab (its name and manifest) in other modes. */
  const same = (make: typeof ipipSpec): LabSpec => make({ labName: "calico-ipip", calico: spec.calico });

  test("switching the mode of a running lab: the IPPool is patched and the routes follow", () => {
    const run = baseUp;
    const cross = same(crossSubnetSpec);
    // BIRD takes a moment: the first reads still show the old routes
    host.update((w) => (w.clusters["calico-ipip"].staleRouteReads = 6));
    const patch = host.create(quick(steps.ippoolStep(cross, run.kubeconfig)));
    expect(patch.status).toBe(0);
    expect(steps.parsePoolModes(patch.stdout, cross)).toEqual({ ipipMode: "CrossSubnet", vxlanMode: "Never" });
    expect(host.world().clusters["calico-ipip"].ippool).toEqual({ ipipMode: "CrossSubnet", vxlanMode: "Never" });
    const routes = routesAfterChange(cross, run.kubeconfig);
    expect(routes.status).toBe(0);
    const table = steps.parseRoutes(routes.stdout);
    expect(table["calico-ipip-control-plane"]).toContain("10.244.0.64/26 via 10.1.5.11 dev net0 proto bird");
    expect(table["calico-ipip-control-plane"]).toContain("10.244.0.128/26 via 10.1.8.10 dev tunl0 proto bird onlink");
    const c = capture(host, cross, 1, 2, run.kubeconfig);
    expect(parseCaptureOutput(c.stdout, steps.captureEnds(podsOf(cross), cross.nodes[0], cross.nodes[1])).routes.client).toEqual(["10.244.0.65 via 10.1.5.11 dev net0 src 10.1.5.10 uid 0"]);
  });

  test("IPIP → VXLAN live: both modes patched at once, calico-node without BIRD, Felix's routes via the VTEPs", () => {
    const run = baseUp;
    const vxlan = same(vxlanSpec);
    host.clearLog();
    const patch = host.create(quick(steps.ippoolStep(vxlan, run.kubeconfig)));
    expect(patch.status).toBe(0);
    expect(host.lines()).toContain('kubectl patch ippools.crd.projectcalico.org default-ipv4-ippool --type merge -p {"spec":{"ipipMode":"Never","vxlanMode":"Always"}} -o jsonpath={.spec.ipipMode} {.spec.vxlanMode}');
    expect(steps.parsePoolModes(patch.stdout, vxlan)).toEqual({ ipipMode: "Never", vxlanMode: "Always" });
    // Pulumi applies the manifest patched for VXLAN: calico_backend vxlan, so BIRD is gone.
    host.update((w) => {
      w.clusters["calico-ipip"].backend = "vxlan";
      w.clusters["calico-ipip"].staleRouteReads = 4;
    });
    const routes = routesAfterChange(vxlan, run.kubeconfig);
    expect(routes.status).toBe(0);
    expect(steps.parseRoutes(routes.stdout)["calico-ipip-control-plane"]).toEqual(
      expect.arrayContaining([
        "blackhole 10.244.0.0/26 proto 80",
        "10.244.0.64/26 via 10.244.0.64 dev vxlan.calico proto 80 onlink",
        "10.244.0.128/26 via 10.244.0.128 dev vxlan.calico proto 80 onlink",
      ]),
    );
    // no BIRD, no sessions: nothing to ask calico-node
    expect(steps.bgpSessionsStep(vxlan, run.kubeconfig)).toBeUndefined();
    const c = capture(host, vxlan, 1, 3, run.kubeconfig);
    expect(parseCaptureOutput(c.stdout, steps.captureEnds(podsOf(vxlan), vxlan.nodes[0], vxlan.nodes[2])).routes.client).toEqual(["10.244.0.129 via 10.244.0.128 dev vxlan.calico src 10.244.0.0 uid 0"]);
  });

  test("VXLAN CrossSubnet from scratch: plain within a subnet (Felix, onlink), VXLAN across", () => {
    host.dispose();
    host = StandinHost.create();
    const cross = vxlanCrossSubnetSpec({ labName: "calico-ipip", calico: spec.calico });
    const run = up(host, cross, workDirOf(host));
    expect(run.failed).toBeUndefined();
    expect(steps.bgpSessionsStep(cross, run.kubeconfig)).toBeUndefined();
    expect(steps.parseRoutes(run.routes!.stdout)["calico-ipip-worker"]).toEqual(
      expect.arrayContaining([
        "blackhole 10.244.0.64/26 proto 80",
        "10.244.0.0/26 via 10.1.5.10 dev net0 proto 80 onlink",
        "10.244.0.192/26 via 10.244.0.192 dev vxlan.calico proto 80 onlink",
      ]),
    );
  });

  test("mode Never live: the gateway peers with every node, cross-subnet blocks go via the gateway, and back", () => {
    const run = baseUp;
    const bgp = same(bgpSpec);
    const gw = "clab-calico-ipip-gw0";
    host.clearLog();
    const configured = host.create(quick(steps.gatewayConfigureStep(bgp, gatewayId(run.result!))));
    expect(configured.status).toBe(0);
    expect(configured.stderr).toContain(
      `gateway-configure: ${gw}'s FRR holds: router bgp 64512; neighbor 10.1.5.10 remote-as 64512; neighbor 10.1.5.11 remote-as 64512; neighbor 10.1.8.10 remote-as 64512; neighbor 10.1.8.11 remote-as 64512`,
    );
    expect(host.lines()).toEqual(gatewayLines(gw));
    expect(host.world().containers[gw].vyos!.filter((l) => l.startsWith("set protocols bgp"))).toEqual([
      ...["10.1.5.10", "10.1.5.11", "10.1.8.10", "10.1.8.11"].flatMap((n) => [
        `set protocols bgp neighbor ${n} address-family ipv4-unicast`,
        `set protocols bgp neighbor ${n} remote-as '64512'`,
      ]),
      "set protocols bgp system-as '64512'",
    ]);
    // the BGPPeers Pulumi applies, the pool patched
    host.applyBgp("calico-ipip", calicoBgpObjects(bgp));
    expect(host.create(quick(steps.ippoolStep(bgp, run.kubeconfig))).status).toBe(0);
    const routes = routesAfterChange(bgp, run.kubeconfig);
    expect(routes.status).toBe(0);
    expect(steps.parseRoutes(routes.stdout)["calico-ipip-control-plane"]).toEqual(
      expect.arrayContaining(["10.244.0.64/26 via 10.1.5.11 dev net0 proto bird", "10.244.0.128/26 via 10.1.5.1 dev net0 proto bird"]),
    );
    const sessions = steps.parseBgpSessions(host.create(quick(steps.bgpSessionsStep(bgp, run.kubeconfig)!)).stdout);
    expect(parseBirdProtocols(sessions["calico-ipip-worker2"].join("\n"))).toEqual([
      ...["10.1.5.10", "10.1.5.11", "10.1.8.11"].map((peer) => ({ peer, state: "Established" })),
      { peer: "10.1.8.1", state: "Established" },
    ]);
    // re-running changes nothing; switching back to IPIP removes BGP from the gateway
    expect(host.create(quick(steps.gatewayConfigureStep(bgp, gatewayId(run.result!)))).status).toBe(0);
    const back = host.create(quick(steps.gatewayConfigureStep(spec, gatewayId(run.result!))));
    expect(back.status).toBe(0);
    expect(back.stderr).toContain(`gateway-configure: ${gw}'s FRR holds: no BGP`);
    expect(host.world().containers[gw].vyos!.some((l) => l.startsWith("set protocols bgp"))).toBe(false);
  });

  test("mode Never from scratch: the gateway boots with BGP, and every session is up, the gateway's too", () => {
    host.dispose();
    host = StandinHost.create();
    const bgp = same(bgpSpec);
    const run = up(host, bgp, workDirOf(host));
    expect(run.failed).toBeUndefined();
    const gw = host.world().containers["clab-calico-ipip-gw0"];
    expect(gw.vyos).toContain("set protocols bgp neighbor 10.1.8.11 address-family ipv4-unicast");
    expect(gw.vyos).toContain("set protocols bgp system-as '64512'");
    const sessions = steps.parseBgpSessions(run.result!.stdout);
    for (const node of SEED_NODES) expect(parseBirdProtocols(sessions[node].join("\n")).every((p) => p.state === "Established")).toBe(true);
    expect(parseBirdProtocols(sessions["calico-ipip-worker3"].join("\n")).map((p) => p.peer)).toEqual(["10.1.5.10", "10.1.5.11", "10.1.8.10", "10.1.8.1"]);
  });

  test("a gateway whose BGP never shows in FRR fails, saying what it lacks", () => {
    const r = host.create(quick(steps.gatewayConfigureStep(same(bgpSpec), "x")), { fail: "^docker exec \\S+ sg vyattacfg" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("gateway-configure: `docker exec clab-calico-ipip-gw0 sg vyattacfg -c '/bin/vbash /tmp/calico-ipip-lab-gateway.vbash'` failed (exit 1)");
    // the commit that never happened: FRR still shows no BGP
    const step = quick(steps.gatewayConfigureStep(same(bgpSpec), "x"));
    const lost = host.create({ ...step, environment: { ...step.environment, VYOS_SCRIPT: "configure\nexit\n" } });
    expect(lost.status).toBe(1);
    expect(lost.stderr).toContain("the gateway's BGP as the pool's modes need it: not reached within 2s");
    expect(lost.stderr).toContain("the gateway lacks:\nrouter bgp 64512\n neighbor 10.1.5.10 remote-as 64512\n neighbor 10.1.5.11 remote-as 64512\n");
    // and the script it copied in is gone
    expect(host.world().containers["clab-calico-ipip-gw0"].files).toEqual({});
    // BGP that stays where no mode needs it: what FRR runs is shown
    expect(host.create(step).status).toBe(0);
    const ipip = quick(steps.gatewayConfigureStep(spec, "x"));
    const stays = host.create({ ...ipip, environment: { ...ipip.environment, VYOS_SCRIPT: "configure\nexit\n" } });
    expect(stays.status).toBe(1);
    expect(stays.stderr).toContain("the gateway still runs BGP, which no mode but Never needs:\nrouter bgp 64512\n");
  });

  test("Calico's IPAM, not the model, picks the blocks: ipam.sh reads them, and the routes are expected for those", () => {
    // the cluster gave each node another block than the model planned
    const real = ["10.244.7.0/26", "10.244.3.64/26", "10.244.9.128/26", "10.244.1.192/26"];
    host.update((w) => (w.clusters["calico-ipip"].blocks = Object.fromEntries(SEED_NODES.map((n, i) => [n, real[i]]))));
    const ipam = host.create(quick(steps.ipamStep(spec, kubeconfig)));
    expect(ipam.status).toBe(0);
    // no VXLAN: no VTEP allocated, and none awaited
    expect(parseIpam(ipam.stdout)).toEqual(Object.fromEntries(SEED_NODES.map((n, i) => [n, { blocks: [real[i]], vtep: null }])));
    const r = host.create(quick(routesFor(spec, parseIpam(ipam.stdout))));
    expect(r.status).toBe(0);
    expect(steps.parseRoutes(r.stdout)["calico-ipip-control-plane"]).toContain("10.244.3.64/26 via 10.1.5.11 dev tunl0 proto bird onlink");
  });

  test("ipam.sh waits for a block on every node, and for the VTEPs when the pool routes via VXLAN", () => {
    host.update((w) => delete w.clusters["calico-ipip"].blocks["calico-ipip-worker3"]);
    const r = host.create(quick(steps.ipamStep(spec, kubeconfig)));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("ipam: a block on every node: not reached within 2s: `complete` failed (exit 1):");
    expect(r.stderr).toContain('"calico-ipip-worker3":{"blocks":[],"vtep":null}');
    // VXLAN expected while the pool still has IPIP: calico-node allocated no VTEP
    const v = host.create(quick(steps.ipamStep(same(vxlanSpec), kubeconfig)));
    expect(v.status).toBe(1);
    expect(v.stderr).toContain("ipam: a block and a VXLAN tunnel address on every node: not reached within 2s");
  });

  test("routes that never match the model fail, listing both sides", () => {
    // CrossSubnet expected, but the pool still says Always (the env-only mode change of #1976)
    const r = host.create(quick(routesFor(same(crossSubnetSpec), modelIpam(spec))));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("routes: every node's pool routes as the model has them: not reached within 2s: `as_expected` failed (exit 1)");
    expect(r.stderr).toContain("calico-ipip-control-plane: expected, the node lacks: 10.244.0.64/26 via 10.1.5.11 dev net0 proto bird\n");
    expect(r.stderr).toContain("calico-ipip-control-plane: the node has, not expected: 10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink\n");
    // and VXLAN expected where BIRD still programs IPIP: every block differs, BIRD's blackhole too
    const v = host.create(quick(routesFor(same(vxlanSpec), modelIpam(spec))));
    expect(v.stderr).toContain(
      "calico-ipip-worker3: expected, the node lacks: 10.244.0.0/26 via 10.244.0.0 dev vxlan.calico proto 80 onlink; 10.244.0.128/26 via 10.244.0.128 dev vxlan.calico proto 80 onlink; 10.244.0.64/26 via 10.244.0.64 dev vxlan.calico proto 80 onlink; blackhole 10.244.0.192/26 proto 80\n",
    );
  });

  test("the IPPool is awaited (calico-node creates it), and its absence is reported; Calico refuses both encapsulations", () => {
    host.applyCalico(spec.name, { ipipMode: "CrossSubnet", vxlanMode: "Never" }, 3);
    host.clearLog();
    const late = host.create(quick(steps.ippoolStep(spec, kubeconfig)));
    expect(late.status).toBe(0);
    expect(host.lines().filter((l) => l.endsWith("-o name"))).toHaveLength(3);
    expect(host.world().clusters["calico-ipip"].ippool?.ipipMode).toBe("Always");

    host.applyCalico(spec.name, { ipipMode: "Always", vxlanMode: "Never" }, 1000);
    const never = host.create(quick(steps.ippoolStep(spec, kubeconfig)));
    expect(never.status).toBe(1);
    expect(never.stderr).toContain(
      'ippool-patch: the IPPool default-ipv4-ippool that calico-node creates: not reached within 2s: `kubectl get ippools.crd.projectcalico.org default-ipv4-ippool -o name` failed (exit 1): Error from server (NotFound): ippools.crd.projectcalico.org "default-ipv4-ippool" not found',
    );

    // (the config's validation refuses both on; so does Calico, and the patch fails saying so)
    host.applyCalico(spec.name, { ipipMode: "Always", vxlanMode: "Never" });
    const step = quick(steps.ippoolStep(spec, kubeconfig));
    const both = host.create({ ...step, environment: { ...step.environment, IPPOOL_PATCH: steps.ippoolPatch({ ipipMode: "Always", vxlanMode: "Always" }) } });
    expect(both.status).toBe(1);
    expect(both.stderr).toContain("Error from server: IPIP and VXLAN cannot both be enabled on an IP pool");
    expect(host.world().clusters["calico-ipip"].ippool).toEqual({ ipipMode: "Always", vxlanMode: "Never" });
  });

  test("the workload wait reports nodes without exactly one running pod", () => {
    const run = baseUp;
    host.update((w) => {
      w.clusters["calico-ipip"].pods[3].node = "calico-ipip-worker2";
      w.clusters["calico-ipip"].pods[1].phase = "Pending";
    });
    const r = host.create(quick(steps.workloadWaitStep(spec, run.kubeconfig)));
    expect(r.status).toBe(1);
    const running = [0, 2, 3].map((i) => ({ name: `pod-${i}`, ip: spec.nodes[i].pod.ip, node: spec.nodes[i === 3 ? 2 : i].name }));
    expect(r.stderr).toContain(`expected one Running pod with an IP on each node and none elsewhere, found: ${JSON.stringify(running)}\n`);
    // a pod that has no IP yet is not running for the lab either
    host.update((w) => {
      w.clusters["calico-ipip"].pods[3].node = "calico-ipip-worker3";
      w.clusters["calico-ipip"].pods[1].phase = "Running";
      w.clusters["calico-ipip"].pods[1].ip = "";
    });
    expect(host.create(quick(steps.workloadWaitStep(spec, run.kubeconfig))).stderr).toContain(`found: ${JSON.stringify([running[0], ...podsOf(spec).slice(2)])}\n`);
  });

  test("capture: tcpdump that never starts is reported with what it said; failed traffic is only a warning", () => {
    const run = baseUp;
    host.update((w) => (w.tcpdumpFails = true));
    const dead = capture(host, spec, 1, 2, run.kubeconfig);
    expect(dead.status).toBe(1);
    expect(dead.stderr).toContain(
      "capture: tcpdump listening in clab-calico-ipip-server1 (/tmp/calico-ipip-lab-1-2.pcap): not reached within 1s: `listening` failed (exit 1): tcpdump: net0: No such device exists",
    );

    host.update((w) => (w.tcpdumpFails = false));
    const quiet = capture(host, spec, 1, 3, run.kubeconfig, "^kubectl exec .* -- curl ");
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toContain("capture: warning: `kubectl exec -n default pod-0 -- curl -s -o /dev/null -w %{http_code} -m 3 http://10.244.0.129/` failed (exit 1)");
    expect(parseCaptureOutput(quiet.stdout, steps.captureEnds(podsOf(spec), spec.nodes[0], spec.nodes[2])).routes.client).toEqual(["10.244.0.129 via 10.1.8.10 dev tunl0 src 10.244.0.0 uid 0"]);
  });

});

describe("route reflectors against the stand-ins (CrossSubnet, nodes 1 and 3)", () => {
  let host: StandinHost;
  // A manifest file, which the program reads (a URL would be downloaded first).
  const manifestDir = fs.mkdtempSync(path.join(os.tmpdir(), "kind-rr-"));
  const manifest = path.join(manifestDir, "calico.yaml");
  fs.writeFileSync(manifest, "kind: DaemonSet\nmetadata:\n  name: calico-node\n");
  const lab = (routeReflectors: number[]): LabSpec => crossSubnetSpec({ labName: "calico-ipip", calico: { manifest }, bgp: { routeReflectors } });
  const rrSpec = lab([1, 3]);
  const meshSpec = lab([]);
  const ips = (lines: string[]): string[] => parseBirdProtocols(lines.join("\n")).map((p) => p.peer);
  const established = (lines: string[]): boolean => parseBirdProtocols(lines.join("\n")).every((p) => p.state === "Established");
  beforeEach(() => {
    host = StandinHost.create();
  });
  afterEach(() => host.dispose());
  afterAll(() => fs.rmSync(manifestDir, { recursive: true, force: true }));

  test("from scratch: the reflectors labelled and given the cluster ID, a client's sessions only to them, a reflector's to every other node", () => {
    const run = up(host, rrSpec, workDirOf(host));
    expect(run.failed).toBeUndefined();
    const c = host.world().clusters["calico-ipip"];
    expect(c.meshEnabled).toBe(false);
    expect(Object.fromEntries(SEED_NODES.map((n) => [n, [c.nodeMeta[n].labels[REFLECTOR.label] ?? null, c.nodeMeta[n].annotations[REFLECTOR.clusterIdAnnotation] ?? null]]))).toEqual({
      "calico-ipip-control-plane": ["true", "244.0.0.1"],
      "calico-ipip-worker": [null, null],
      "calico-ipip-worker2": ["true", "244.0.0.1"],
      "calico-ipip-worker3": [null, null],
    });
    const sessions = steps.parseBgpSessions(run.result!.stdout);
    expect(Object.fromEntries(SEED_NODES.map((n) => [n, ips(sessions[n])]))).toEqual({
      "calico-ipip-control-plane": ["10.1.5.11", "10.1.8.10", "10.1.8.11"],
      "calico-ipip-worker": ["10.1.5.10", "10.1.8.10"],
      "calico-ipip-worker2": ["10.1.5.10", "10.1.5.11", "10.1.8.11"],
      "calico-ipip-worker3": ["10.1.5.10", "10.1.8.10"],
    });
    expect(SEED_NODES.every((n) => established(sessions[n]))).toBe(true);
    // the routes are the mesh's: the routes step waited for the same expectations
    const meshHost = StandinHost.create();
    try {
      const mesh = up(meshHost, meshSpec, workDirOf(meshHost));
      expect(steps.parseRoutes(run.routes!.stdout)).toEqual(steps.parseRoutes(mesh.routes!.stdout));
    } finally {
      meshHost.dispose();
    }
  });

  test("live: mesh → reflectors → mesh; the sessions read-back waits for confd and says what is missing", () => {
    const run = up(host, meshSpec, workDirOf(host));
    expect(run.failed).toBeUndefined();
    expect(ips(steps.parseBgpSessions(run.result!.stdout)["calico-ipip-worker"])).toEqual(["10.1.5.10", "10.1.8.10", "10.1.8.11"]);
    // Pulumi applied the BGP objects, the Nodes are not labelled yet: no sessions, the read-back fails saying which
    host.applyBgp("calico-ipip", calicoBgpObjects(rrSpec));
    const early = host.create(quick(steps.bgpSessionsStep(rrSpec, run.kubeconfig)!));
    expect(early.status).toBe(1);
    expect(early.stderr).toContain("bgp-sessions: every node's BGP sessions as Calico's config gives them: not reached within 2s");
    expect(early.stderr).toContain("calico-ipip-worker: expected, BIRD lacks: Node_10_1_5_10, Node_10_1_8_10");
    host.clearLog();
    const labelled = host.create(quick(steps.reflectorsStep(rrSpec, run.kubeconfig)!));
    expect(labelled.status).toBe(0);
    expect(host.lines()).toEqual(
      SEED_NODES.map((n, i) => {
        const patch = [0, 2].includes(i) ? `{"metadata":{"labels":{"route-reflector":"true"},"annotations":{"projectcalico.org/RouteReflectorClusterID":"244.0.0.1"}}}` : `{"metadata":{"labels":{"route-reflector":null},"annotations":{"projectcalico.org/RouteReflectorClusterID":null}}}`;
        return `kubectl patch node ${n} --type merge -p ${patch} -o json`;
      }),
    );
    expect(labelled.stderr).toContain('route-reflectors up: route reflectors: ["calico-ipip-control-plane","calico-ipip-worker2"]');
    expect(steps.parseReflectorNodes(labelled.stdout, rrSpec)["calico-ipip-worker2"]).toEqual({ label: "true", clusterId: "244.0.0.1" });
    const rr = host.create(quick(steps.bgpSessionsStep(rrSpec, run.kubeconfig)!));
    expect(rr.status).toBe(0);
    expect(ips(steps.parseBgpSessions(rr.stdout)["calico-ipip-worker"])).toEqual(["10.1.5.10", "10.1.8.10"]);
    // another list re-runs up: node 3 unlabelled, node 2 labelled
    const other = lab([1, 2]);
    expect(steps.parseReflectorNodes(host.create(quick(steps.reflectorsStep(other, run.kubeconfig)!)).stdout, other)["calico-ipip-worker2"]).toEqual({ label: null, clusterId: null });
    // back to the mesh: Pulumi deletes the objects and the step, whose down unlabels every node
    host.applyBgp("calico-ipip", calicoBgpObjects(meshSpec));
    expect(host.destroy(quick(steps.reflectorsStep(other, run.kubeconfig)!)).status).toBe(0);
    const c = host.world().clusters["calico-ipip"];
    expect(SEED_NODES.filter((n) => REFLECTOR.label in c.nodeMeta[n].labels || REFLECTOR.clusterIdAnnotation in c.nodeMeta[n].annotations)).toEqual([]);
    const mesh = host.create(quick(steps.bgpSessionsStep(meshSpec, run.kubeconfig)!));
    expect(mesh.status).toBe(0);
    expect(ips(steps.parseBgpSessions(mesh.stdout)["calico-ipip-worker"])).toEqual(["10.1.5.10", "10.1.8.10", "10.1.8.11"]);
  });

  test("down on a cluster that no longer answers has nothing to unlabel", () => {
    const run = up(host, rrSpec, workDirOf(host));
    expect(host.destroy(quick(steps.kindClusterStep(rrSpec, workDirOf(host), KIND_ID))).status).toBe(0);
    const r = host.destroy(quick(steps.reflectorsStep(rrSpec, run.kubeconfig)!));
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/route-reflectors down: the cluster does not answer \(The connection to the server \S+ was refused.*\): nothing to unlabel/);
  });
});

describe("preflight", () => {
  const spec = ipipSpec();

  test("names every missing tool at once, pointing to the netns backend", () => {
    const host = StandinHost.create({ hide: ["kind", "containerlab"] });
    try {
      const r = host.create(steps.preflightStep(spec));
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("preflight: the kind backend cannot run on this host:\n");
      expect(r.stderr).toContain("  - kind is not installed: it creates the cluster");
      expect(r.stderr).toContain("  - containerlab is not installed: it wires the gateway");
      expect(r.stderr.match(/pulumi config set backend netns/g)).toHaveLength(2);
      expect(host.lines()).toEqual(["docker info --format {{.ServerVersion}}", "kubectl version --client", "ip -V", "curl --version"]);
    } finally {
      host.dispose();
    }
  });

  test("a tool that fails its probe, and containerlab 0.78.0, are reported too", () => {
    const host = StandinHost.create();
    try {
      host.update((w) => (w.clabVersion = "0.78.0"));
      const r = host.create(steps.preflightStep(spec), { fail: "^docker info" });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("  - docker is installed but its daemon does not answer (`docker info` failed)");
      expect(r.stderr).toContain("`docker info --format {{.ServerVersion}}` said: stand-in docker: failing on purpose");
      expect(r.stderr).toContain("  - containerlab 0.78.0 cannot deploy bridge nodes; upgrade to 0.78.1 or later\n");
    } finally {
      host.dispose();
    }
  });

  test("curl is required only for a manifest URL", () => {
    const host = StandinHost.create({ hide: ["curl"] });
    try {
      const local = host.create(steps.preflightStep(ipipSpec({ calico: { manifest: "/srv/calico.yaml" } })));
      expect(local.status).toBe(0);
      expect(local.stderr).toBe("preflight: found docker kind containerlab kubectl ip jq\n");
      const remote = host.create(steps.preflightStep(spec));
      expect(remote.status).toBe(1);
      expect(remote.stderr).toContain("curl is not installed: calico.manifest is a URL");
    } finally {
      host.dispose();
    }
  });
});

describe("manifest", () => {
  let host: StandinHost;
  beforeEach(() => (host = StandinHost.create()));
  afterEach(() => host.dispose());

  test("a path is no step: the program reads the file; a missing one names calico.manifest", () => {
    const file = path.join(host.root, "calico.yaml");
    fs.writeFileSync(file, "kind: DaemonSet\n");
    expect(steps.manifestStep(ipipSpec({ calico: { manifest: file } }))).toBeUndefined();
    expect(readManifestFile(file)).toBe("kind: DaemonSet\n");
    expect(() => readManifestFile(`${file}.gone`)).toThrow(`calico.manifest: cannot read ${file}.gone: ENOENT: no such file or directory`);
  });

  test("a URL is downloaded with curl; a failed download names calico.manifest and what curl said", () => {
    const file = path.join(host.root, "served.yaml");
    fs.writeFileSync(file, "kind: DaemonSet\nmetadata:\n  name: calico-node\n");
    const url = "https://docs.tigera.io/archive/v3.23/manifests/calico.yaml";
    host.update((w) => (w.urls[url] = file));
    const ok = host.create(steps.manifestStep(ipipSpec())!);
    expect([ok.status, ok.stdout]).toEqual([0, fs.readFileSync(file, "utf8")]);
    expect(host.lines()).toEqual([`curl -fsSL --retry 2 --max-time 120 ${url}`]);
    const bad = host.create(steps.manifestStep(ipipSpec({ calico: { manifest: "https://example.invalid/calico.yaml" } }))!);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(
      "manifest: calico.manifest: cannot download https://example.invalid/calico.yaml: `curl -fsSL --retry 2 --max-time 120 https://example.invalid/calico.yaml` failed (exit 6): curl: (6) Could not resolve host: example.invalid",
    );
  });
});

describe("lib.sh", () => {
  test("a script run without its environment names every missing variable", () => {
    const host = StandinHost.create();
    try {
      const r = host.run(steps.asset("ippool-patch.sh"), { LAB_KUBECONFIG: "x", IPPOOL_NAME: "p" });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        "ippool-patch: missing environment variables: IPPOOL_RESOURCE IPPOOL_PATCH WAIT_SECONDS LAB_POLL_SECONDS (components/kind/steps.ts sets them)\n",
      );
      expect(host.lines()).toEqual([]);
      expect(fs.readdirSync(host.tmp)).toEqual([]); // its scratch folder is removed on exit
    } finally {
      host.dispose();
    }
  });
});

describe("clab scripts", () => {
  test("refuse a work folder that is not an absolute folder of its own (destroy removes it)", () => {
    const host = StandinHost.create();
    try {
      const step = steps.containerlabStep(ipipSpec(), "/", CLAB_ID);
      for (const dir of ["/", "relative/dir", "/tmp"]) {
        const r = host.destroy({ ...step, environment: { ...step.environment, LAB_WORK_DIR: dir } });
        expect([dir, r.status, r.stderr]).toEqual([dir, 1, `clab down: LAB_WORK_DIR must be an absolute folder below another, not '${dir}'\n`]);
      }
      expect(host.lines()).toEqual([]);
    } finally {
      host.dispose();
    }
  });
});
