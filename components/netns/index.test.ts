import * as pulumi from "@pulumi/pulumi";
import { buildLabSpec } from "../../model/config";
import { IpipMode } from "../../model/spec";
import { ControlPlanePlan } from "./controlPlane";
import { HostView } from "./survival";
import { bashScript } from "../../model/shell";
import { controlPlanePlan, gatewayPlan, NetnsLab, netnsBackend, NETNS_SCRIPTS, topologyDigest, topologyInvocation } from "./index";
import { ipipOnly } from "../../model/expect";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

const UP_STDOUT = 'netns-lab: up\n{"lab":"calico-ipip","dataplane":"userspace-ipip","runDir":"/run/calico-ipip-lab/calico-ipip","namespaces":10,"nodes":4,"seconds":0.8,"createdAt":"2026-01-01T00:00:00Z"}\n';

/** What controlplane.sh prints when the tables became exactly what its plan expects. */
function convergedStdout(inputs: { environment: Record<string, string> }): string {
  const plan = JSON.parse(inputs.environment.NETNS_CONTROL_PLAN) as ControlPlanePlan;
  const unit = (u: { name: string; ns: string; routes: string[]; peers: { ip: string }[] }) => ({
    name: u.name,
    ns: u.ns,
    routes: u.routes,
    bgpPeers: u.peers.map((p) => ({ peer: p.ip, state: "Established" })),
  });
  return `${JSON.stringify({ nodes: plan.nodes.map(unit), gateway: plan.gateway ? unit(plan.gateway) : null, seconds: 2 })}\n`;
}

/**
 * One mock monitor for the whole file, recording into the current build's list: a monitor
 * reset between builds would miss the outputs a previous build registers late.
 */
let current: Recorded[] = [];

function recordInto(recorded: Recorded[]): void {
  current = recorded;
}

pulumi.runtime.setMocks(
    {
      newResource: (args: pulumi.runtime.MockResourceArgs) => {
        current.push({ type: args.type, name: args.name, inputs: args.inputs as Record<string, unknown> });
        if (args.type !== "command:local:Command") return { id: `${args.name}-id`, state: args.inputs };
        const stdout = args.name.endsWith("-topology") ? UP_STDOUT : convergedStdout(args.inputs as { environment: Record<string, string> });
        return { id: `${args.name}-id`, state: { ...args.inputs, stdout, stderr: "" } };
      },
      call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
    },
    "calico-ipip-lab",
    "ipip",
    false,
  );

function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** A host where the lab is whole: its namespaces exist and its files name build b1, generation g1, every daemon alive. */
const WHOLE: HostView = {
  exists: () => true,
  read: (file) => (file.endsWith("build-id") ? "b1" : file.endsWith("generation") ? "g1" : "42"),
  runs: () => true,
};

async function build(mode: IpipMode, host: HostView = WHOLE): Promise<{ lab: NetnsLab; recorded: Recorded[] }> {
  const recorded: Recorded[] = [];
  recordInto(recorded);
  const spec = buildLabSpec({ backend: "netns", ipipMode: mode }, { stack: "ipip", cwd: "/work/lab" });
  const lab = new NetnsLab(spec.name, { spec, host });
  await value(lab.dataplane);
  await value(lab.nodeStates);
  return { lab, recorded };
}

function byName(recorded: Recorded[], name: string): Recorded {
  const r = recorded.find((x) => x.name === name);
  if (r === undefined) throw new Error(`${name} was not registered; registered: ${recorded.map((x) => x.name).join(", ")}`);
  return r;
}

describe("NetnsLab under mocks", () => {
  it("registers the component, the topology (up/down), the gateway with its BGP and calico-node's work (create = update = controlplane.sh)", async () => {
    const { recorded } = await build("Always");
    const spec = buildLabSpec({ backend: "netns" }, { stack: "ipip", cwd: "/work/lab" });
    expect(recorded.map((r) => [r.type, r.name])).toEqual([
      ["calico-ipip-lab:netns:NetnsLab", "calico-ipip"],
      ["command:local:Command", "calico-ipip-topology"],
      ["calico-ipip-lab:netns:Gateway", "calico-ipip-gateway"],
      ["command:local:Command", "calico-ipip-gateway-bgp"],
      ["command:local:Command", "calico-ipip-controlplane"],
    ]);
    const topology = byName(recorded, "calico-ipip-topology").inputs;
    expect(topology.create).toBe(bashScript(NETNS_SCRIPTS.up));
    expect(topology.delete).toBe(bashScript(NETNS_SCRIPTS.down));
    const inv = topologyInvocation(spec);
    expect(topology.environment).toEqual({ ...inv.environment, NETNS_BUILD_ID: "b1" });
    expect(topology.stdin).toBe(inv.stdin);
    expect(topology.triggers).toEqual([topologyDigest(inv), "b1"]);
    for (const [name, plan] of [
      ["calico-ipip-controlplane", controlPlanePlan(spec, ipipOnly("Always"))],
      ["calico-ipip-gateway-bgp", gatewayPlan(spec, ipipOnly("Always"))],
    ] as const) {
      const inputs = byName(recorded, name).inputs;
      expect(inputs.create).toBe(bashScript(NETNS_SCRIPTS.controlPlane));
      expect(inputs.update).toBe(bashScript(NETNS_SCRIPTS.controlPlane));
      expect(inputs.environment).toMatchObject({
        NETNS_CONTROL_PLAN: JSON.stringify(plan),
        NETNS_BUILT_AT: "2026-01-01T00:00:00Z",
        NETNS_GENERATION: "g1",
      });
    }
  });

  it("a lab no longer whole gets new identities: the topology is replaced, or only the control plane and captures re-run", async () => {
    const whole = await build("Always");
    const noNamespaces = await build("Always", { ...WHOLE, exists: (file) => !file.includes("/var/run/netns/") });
    const deadBird = await build("Always", { ...WHOLE, runs: (_pid, arg) => !arg.endsWith("n2.pid") });
    const triggers = (r: Recorded[]) => byName(r, "calico-ipip-topology").inputs.triggers as string[];
    const generation = (r: Recorded[], name: string) => (byName(r, name).inputs.environment as Record<string, string>).NETNS_GENERATION;
    expect(triggers(noNamespaces.recorded)[1]).toMatch(/^build-/);
    expect(triggers(noNamespaces.recorded)[0]).toBe(triggers(whole.recorded)[0]);
    expect(triggers(deadBird.recorded)).toEqual(triggers(whole.recorded));
    for (const name of ["calico-ipip-controlplane", "calico-ipip-gateway-bgp", "calico-ipip-cross-subnet-tcpdump"].slice(0, 2)) {
      expect(generation(deadBird.recorded, name)).toMatch(/^cp-/);
      expect(generation(whole.recorded, name)).toBe("g1");
    }
  });

  it("a mode change touches only the control plane's and the gateway's inputs", async () => {
    const always = await build("Always");
    const cross = await build("CrossSubnet");
    expect(byName(cross.recorded, "calico-ipip-topology").inputs).toEqual(byName(always.recorded, "calico-ipip-topology").inputs);
    for (const name of ["calico-ipip-controlplane", "calico-ipip-gateway-bgp"]) {
      const a = byName(always.recorded, name).inputs.environment as Record<string, string>;
      const c = byName(cross.recorded, name).inputs.environment as Record<string, string>;
      expect(Object.keys(a).filter((k) => a[k] !== c[k])).toEqual(["NETNS_CONTROL_PLAN"]);
    }
    // The gateway runs no BGP in either mode: only the modes its plan names differ.
    const plans = [always, cross].map((b) => JSON.parse((byName(b.recorded, "calico-ipip-gateway-bgp").inputs.environment as Record<string, string>).NETNS_CONTROL_PLAN) as ControlPlanePlan);
    expect(plans.map((p) => p.modes.ipipMode)).toEqual(["Always", "CrossSubnet"]);
    expect({ ...plans[0], modes: null }).toEqual({ ...plans[1], modes: null });
  });

  it("reports every node's sessions and pool routes as read back, after the drift check", async () => {
    const { lab } = await build("Never");
    const states = await value(lab.nodeStates);
    expect(states[0].bgpPeers.map((p) => p.peer)).toEqual(["10.1.5.11", "10.1.8.10", "10.1.8.11", "10.1.5.1"]);
    expect(states[0].routes).toContain("10.244.0.128/26 via 10.1.5.1 dev net0 proto bird");
    expect(lab.controlPlane).toBe("bird");
  });

  it("is a LabBackend: dataplane from up.sh's JSON, pods from the spec, ready = the control plane, capture = capture.sh", async () => {
    const { lab } = await build("CrossSubnet");
    expect(await value(lab.dataplane)).toBe("userspace-ipip");
    expect((await value(lab.pods)).map((p) => p.name)).toEqual(["pod-0", "pod-1", "pod-2", "pod-3"]);
    expect(lab.ready).toEqual([lab.calico]);
    const spec = buildLabSpec({ backend: "netns" }, { stack: "ipip", cwd: "/work/lab" });
    const inv = lab.capture(spec.scenarios[1], spec.nodes[0], spec.nodes[2]);
    expect(inv.script).toBe(NETNS_SCRIPTS.capture);
    expect(inv.environment).toMatchObject({ CLIENT_NODE_NS: "calico-ipip-n1", SERVER_NODE_NS: "calico-ipip-n3", SERVER_POD_IP: "10.244.0.129" });
    expect(await value(pulumi.output(inv.environment.NETNS_BUILT_AT))).toBe("2026-01-01T00:00:00Z");
  });

  it("netnsBackend builds one NetnsLab under the given parent", async () => {
    const recorded: Recorded[] = [];
    recordInto(recorded);
    const spec = buildLabSpec({ backend: "netns" }, { stack: "ipip", cwd: "/work/lab" });
    class Parent extends pulumi.ComponentResource {
      constructor() {
        super("test:index:Parent", "parent", {});
      }
    }
    const backend = netnsBackend(spec, new Parent());
    await value(backend.dataplane);
    expect(backend).toBeInstanceOf(NetnsLab);
    expect(recorded.filter((r) => r.type === "calico-ipip-lab:netns:NetnsLab")).toHaveLength(1);
  });
});
