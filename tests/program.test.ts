/**
 * The whole program under Pulumi mocks (a preview: nothing runs; tests/mocks/runner.ts):
 * for both shipped stacks and both backends, the resource graph — types, names, parents,
 * dependency order and the inputs the IPIP mode must reach — and bad configs failing
 * before any resource. The kind backend is proven this way only: its kubernetes and
 * docker plugins cannot run here, so no real engine can preview it.
 */
import * as path from "path";
import { byName, COMMAND_TYPE, previewProgram, Registration, REPO_DIR, stackConfig, STACK_TYPE, UNKNOWN, urnName as short } from "./mocks/runner";

const PROGRAM_DIR = REPO_DIR;

async function preview(stack: string, extra: Record<string, unknown> = {}): Promise<{ ok: boolean; error: string | null; regs: Registration[] }> {
  const r = await previewProgram({ programDir: PROGRAM_DIR, stack, config: { ...stackConfig(PROGRAM_DIR, stack), ...extra } });
  return { ok: r.ok, error: r.error, regs: r.registrations };
}

/** Position of each resource in registration order (a resource registers after its dependencies). */
function order(regs: Registration[]): (name: string) => number {
  return (name) => regs.find((r) => r.name === name)?.order ?? -1;
}

describe.each([
  ["ipip", "Always", "br-ipip"],
  ["crosssubnet", "CrossSubnet", "br-cross"],
])("stack %s on the kind backend", (stack, mode, bridgePrefix) => {
  const lab = `calico-${stack}`;
  let regs: Registration[] = [];
  beforeAll(async () => {
    const r = await preview(stack);
    expect(r.error).toBeNull();
    regs = r.regs;
  });

  it("registers the seed lab's components under one CalicoIpipLab", () => {
    const components = regs.filter((r) => !r.custom).map((r) => `${r.type} ${r.name}`);
    expect(components).toEqual(
      expect.arrayContaining([
        `calico-ipip-lab:index:CalicoIpipLab ${lab}`,
        `calico-ipip-lab:kind:KindLab ${lab}`,
        `calico-ipip-lab:kind:Preflight ${lab}-preflight`,
        `calico-ipip-lab:kind:HostBridges ${lab}-bridges`,
        `calico-ipip-lab:kind:KindCluster ${lab}-kind`,
        `calico-ipip-lab:kind:ContainerlabTopology ${lab}-clab`,
        `calico-ipip-lab:kind:Gateway ${lab}-gateway`,
        `calico-ipip-lab:kind:CalicoInstall ${lab}-calico`,
        `calico-ipip-lab:kind:Workload ${lab}-workload`,
        `calico-ipip-lab:capture:CaptureRun ${lab}-same-subnet`,
        `calico-ipip-lab:capture:CaptureRun ${lab}-cross-subnet`,
      ]),
    );
    expect(short(byName(regs, `${lab}-kind-cluster`).parent)).toBe(`${lab}-kind`);
    expect(short(byName(regs, `${lab}-same-subnet-tcpdump`).parent)).toBe(`${lab}-same-subnet`);
    expect(regs.filter((r) => r.type === COMMAND_TYPE && r.name.startsWith(`${lab}-bridges-`)).map((r) => r.name)).toEqual([
      `${lab}-bridges-${bridgePrefix}0`,
      `${lab}-bridges-${bridgePrefix}1`,
    ]);
  });

  it("orders the lab: preflight → bridges and kind → containerlab → Calico → IPPool → workload → captures", () => {
    const at = order(regs);
    const chain = [
      `${lab}-preflight-check`,
      `${lab}-kind-cluster`,
      `${lab}-clab-lab`,
      `${lab}-calico-ready`,
      `${lab}-calico-ippool`,
      `${lab}-workload-ready`,
      `${lab}-workload-ipam`,
      `${lab}-workload-routes`,
      `${lab}-same-subnet-tcpdump`,
    ];
    const positions = chain.map(at);
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Calico is applied only once containerlab has given every node its net0.
    const calicoObjects = regs.find((r) => r.type === "kubernetes:yaml/v2:ConfigGroup");
    expect(calicoObjects?.dependencies.map(short)).toContain(`${lab}-clab-lab`);
    for (const scenario of ["same-subnet", "cross-subnet"]) {
      expect(byName(regs, `${lab}-${scenario}-tcpdump`).dependencies.map(short)).toEqual(expect.arrayContaining([`${lab}-workload-routes`, `${lab}-workload-ready`]));
    }
  });

  it("carries the mode to the IPPool patch, the route check and the captures", () => {
    expect((byName(regs, `${lab}-calico-ippool`).inputs.environment as Record<string, string>)).toMatchObject({ IPPOOL_PATCH: JSON.stringify({ spec: { ipipMode: mode, vxlanMode: "Never" } }) });
    // IPAM is read again for each mode; the routes expected come from what it read, so a preview cannot know them.
    expect(byName(regs, `${lab}-workload-ipam`).inputs.environment as Record<string, string>).toMatchObject({ POOL_MODES: `${mode} Never`, NEED_VTEPS: "no" });
    expect((byName(regs, `${lab}-workload-routes`).inputs.environment as Record<string, string>).ROUTE_EXPECTATIONS).toBe(UNKNOWN);
    // No BGP on the gateway with an encapsulation: its reconfigure removes any.
    expect((byName(regs, `${lab}-gateway-configure`).inputs.environment as Record<string, string>).FRR_BGP_LINES).toBe("");
    const capture = byName(regs, `${lab}-cross-subnet-tcpdump`).inputs.environment as Record<string, string>;
    expect(capture).toMatchObject({ LAB_IPIP_MODE: mode, CLIENT_NODE: `${lab}-control-plane`, SERVER_NODE: `${lab}-worker2`, CAPTURE_INTERFACE: "net0" });
    expect(capture.CAPTURE_PCAP).toBe(path.join(PROGRAM_DIR, "captures", stack, "cross-subnet.pcap"));
  });
});

describe("stack crosssubnet on the kind backend with route reflectors (nodes 1 and 3)", () => {
  const lab = "calico-crosssubnet";
  let regs: Registration[] = [];
  beforeAll(async () => {
    const r = await preview("crosssubnet", { bgp: { routeReflectors: [1, 3] } });
    expect(r.error).toBeNull();
    regs = r.regs;
  });

  it("registers the mesh off, the BGPPeer to the reflectors and the Node patch under CalicoInstall, before the workload", () => {
    const bgp = regs.filter((r) => r.type.startsWith("kubernetes:crd.projectcalico.org/v1:")).map((r) => `${r.type} ${r.name}`);
    expect(bgp).toEqual([
      `kubernetes:crd.projectcalico.org/v1:BGPConfiguration ${lab}-calico-bgpconfiguration-default`,
      `kubernetes:crd.projectcalico.org/v1:BGPPeer ${lab}-calico-bgppeer-peer-with-route-reflectors`,
    ]);
    const reflectors = byName(regs, `${lab}-calico-reflectors`);
    expect(short(reflectors.parent)).toBe(`${lab}-calico`);
    expect(reflectors.dependencies.map(short)).toContain(`${lab}-calico-manifest`);
    expect(reflectors.inputs.environment as Record<string, string>).toMatchObject({ RR_LABEL: "route-reflector", RR_ANNOTATION: "projectcalico.org/RouteReflectorClusterID" });
    const statefulSet = regs.find((r) => r.type === "kubernetes:apps/v1:StatefulSet")!;
    expect(statefulSet.dependencies.map(short)).toEqual(
      expect.arrayContaining([`${lab}-calico-reflectors`, `${lab}-calico-bgpconfiguration-default`, `${lab}-calico-bgppeer-peer-with-route-reflectors`]),
    );
    const sessions = JSON.parse((byName(regs, `${lab}-workload-bgp`).inputs.environment as Record<string, string>).SESSION_EXPECTATIONS) as Record<string, string[]>;
    expect(sessions[`${lab}-worker`]).toEqual(["Node_10_1_5_10", "Node_10_1_8_10"]);
  });
});

describe("the netns backend", () => {
  it("registers the topology, the gateway's BGP, then the nodes' control plane, then one capture per scenario", async () => {
    const { error, regs } = await preview("crosssubnet", { backend: "netns" });
    expect(error).toBeNull();
    const commands = regs.filter((r) => r.type === COMMAND_TYPE);
    expect(commands.map((r) => r.name)).toEqual([
      "calico-crosssubnet-topology",
      "calico-crosssubnet-gateway-bgp",
      "calico-crosssubnet-controlplane",
      "calico-crosssubnet-same-subnet-tcpdump",
      "calico-crosssubnet-cross-subnet-tcpdump",
    ]);
    expect(regs.filter((r) => r.type === "calico-ipip-lab:netns:Gateway").map((r) => r.name)).toEqual(["calico-crosssubnet-gateway"]);
    expect(regs.some((r) => r.type.startsWith("docker:") || r.type.startsWith("kubernetes:"))).toBe(false);
    expect(byName(regs, "calico-crosssubnet-controlplane").dependencies.map(short)).toEqual(
      expect.arrayContaining(["calico-crosssubnet-topology", "calico-crosssubnet-gateway-bgp"]),
    );
    expect(byName(regs, "calico-crosssubnet-cross-subnet-tcpdump").dependencies.map(short)).toEqual(
      expect.arrayContaining(["calico-crosssubnet-controlplane", "calico-crosssubnet-same-subnet-tcpdump"]),
    );
  });
});

describe("a bad config fails before any resource is registered", () => {
  it.each([
    [{ ipipMode: "Sometimes" }, 'ipipMode: "Sometimes" is not valid; allowed values are Always, CrossSubnet'],
    [{ backend: "docker" }, 'backend: "docker" is not valid; allowed values are kind, netns'],
    [{ podSubnet: "10.1.0.0/16" }, "podSubnet: \"10.1.0.0/16\" is not valid; it overlaps the underlay topology.subnets[0].cidr 10.1.5.0/24"],
    [{ topology: { subnets: [{ cidr: "10.1.5.0/24", gateway: "10.1.5.1", nodes: ["10.1.6.9"] }] } }, "outside its subnet 10.1.5.0/24"],
  ])("%j", async (extra, message) => {
    const { ok, error, regs } = await preview("ipip", extra);
    expect(ok).toBe(false);
    expect(error).toContain(message);
    expect(regs.filter((r) => r.type !== STACK_TYPE)).toEqual([]);
  });
});
