import { buildLabSpec, withModes } from "../../model/config";
import { expectedDataplane, renderRoute, vxlanMac } from "../../model/dataplane";
import { ipipOnly } from "../../model/expect";
import { nodeBirdConfig } from "./bird";
import { BIRD_LISTEN_BACKLOG, ENV_PLAN_LIMIT, birdListenQueue, controlPlaneInvocation, controlPlanePlan, convergenceTimeout, driftProblems, gatewayPlan } from "./controlPlane";

const ctx = { stack: "ipip", cwd: "/work/lab" };
const seed = buildLabSpec({ backend: "netns" }, ctx);

function bigLab(nodes: number) {
  const perSubnet = Math.ceil(nodes / 4);
  const subnets = [0, 1, 2, 3].map((s) => ({
    cidr: `10.${s + 1}.0.0/24`,
    gateway: `10.${s + 1}.0.1`,
    nodes: Array.from({ length: perSubnet }, (_, k) => `10.${s + 1}.0.${k + 10}`),
  }));
  return buildLabSpec({ backend: "netns", labName: "big", topology: { subnets } }, ctx);
}

describe("control plane plan", () => {
  it("gives every node its BIRD config, its peers, Felix's share and the model's routes", () => {
    const plan = controlPlanePlan(seed, ipipOnly("CrossSubnet"));
    expect(plan.wait).toBe(true);
    expect(plan.nodes.map((n) => [n.ns, n.key, n.manage])).toEqual([
      ["calico-ipip-n1", "n1", true],
      ["calico-ipip-n2", "n2", true],
      ["calico-ipip-n3", "n3", true],
      ["calico-ipip-n4", "n4", true],
    ]);
    expect(plan.nodes[0].routes).toEqual(expectedDataplane(seed, ipipOnly("CrossSubnet"))[0].routes.map(renderRoute));
    expect(plan.nodes[0].bird).toBe(nodeBirdConfig(withModes(seed, ipipOnly("CrossSubnet")), seed.nodes[0]));
    expect(plan.nodes[0].peers.map((p) => p.ip)).toEqual(["10.1.5.11", "10.1.8.10", "10.1.8.11"]);
    expect(plan.nodes[0].felix).toMatchObject({ vxlan: [], routes: [], pod: ["link set eth0 mtu 1480"], podNs: "calico-ipip-p1" });
    expect(plan.nodes[0].felix.node).toContain("address replace 10.244.0.0/32 dev tunl0");
    // The gateway is read, not run, by the nodes' step; it has no routes outside mode Never.
    expect(plan.gateway).toMatchObject({ ns: "calico-ipip-gw0", bird: null, routes: [], manage: false });
  });

  it("VXLAN: Felix's device, VTEP peers and routes; IPIP off; pods at 1450", () => {
    const felix = controlPlanePlan(seed, { ipipMode: "Never", vxlanMode: "Always" }).nodes[0].felix;
    // Nothing of IPIP: tunl0 without its address and down; the proto-80 routes are kept.
    expect(felix.node).toEqual(["address flush dev tunl0", "link set tunl0 down", "link set calic220f2ba281 mtu 1450"]);
    expect(felix.pod).toEqual(["link set eth0 mtu 1450"]);
    expect(felix.vxlan).toEqual([
      `link add vxlan.calico address ${vxlanMac(seed.nodes[0].name)} mtu 1450 type vxlan id 4096 local 10.1.5.10 dev net0 dstport 4789 nolearning`,
      "address add 10.244.0.0/32 dev vxlan.calico",
      "link set vxlan.calico up",
      ...felix.vxlan.slice(3, 6),
    ]);
    expect(felix.vxlan.slice(3).map((l) => l.split(" ")[2])).toEqual(["10.244.0.64", "10.244.0.128", "10.244.0.192"]);
    expect(felix.vxlan[3]).toMatch(/^neigh replace 10\.244\.0\.64 lladdr 66(:[0-9a-f]{2}){5} dev vxlan.calico nud permanent$/);
    expect(felix.fdb.map((l) => l.replace(/^fdb replace \S+/, "fdb replace MAC"))).toEqual(
      ["10.1.5.11", "10.1.8.10", "10.1.8.11"].map((ip) => `fdb replace MAC dev vxlan.calico dst ${ip} self permanent`),
    );
    expect(felix.routes).toEqual([
      "10.244.0.64/26 via 10.244.0.64 dev vxlan.calico proto 80 onlink",
      "10.244.0.128/26 via 10.244.0.128 dev vxlan.calico proto 80 onlink",
      "10.244.0.192/26 via 10.244.0.192 dev vxlan.calico proto 80 onlink",
    ]);
  });

  it("IPIP: tunl0 addressed and up, Felix's routes flushed, no vxlan.calico", () => {
    const felix = controlPlanePlan(seed, ipipOnly("Always")).nodes[0].felix;
    expect(felix.node).toEqual(["route flush proto 80", "link set tunl0 mtu 1480 up", "address replace 10.244.0.0/32 dev tunl0", "link set calic220f2ba281 mtu 1480"]);
    expect([felix.vxlan, felix.fdb, felix.routes]).toEqual([[], [], []]);
    expect(controlPlanePlan(seed, ipipOnly("Never")).nodes[0].felix.node).toEqual([
      "route flush proto 80",
      "address flush dev tunl0",
      "link set tunl0 down",
      "link set calic220f2ba281 mtu 1500",
    ]);
  });

  it("the gateway's own step runs BIRD only in mode Never, without waiting", () => {
    const never = gatewayPlan(seed, ipipOnly("Never"));
    expect(never).toMatchObject({ wait: false, nodes: [], gateway: { ns: "calico-ipip-gw0", key: "gateway", manage: true } });
    expect(never.gateway?.bird).toContain("neighbor 10.1.8.11 as 64512;");
    expect(never.gateway?.routes).toContain("10.244.0.128/26 via 10.1.8.10 dev eth2 proto bird");
    expect(gatewayPlan(seed, ipipOnly("Always")).gateway?.bird).toBeNull();
  });

  it("widens a BIRD's listen queue only when more peers connect to it than BIRD's 8 hold", () => {
    expect([BIRD_LISTEN_BACKLOG, BIRD_LISTEN_BACKLOG + 1].map(birdListenQueue)).toEqual([null, 9]);
    // The seed lab: at most 3 peers connect to a node, 4 to the gateway.
    expect(controlPlanePlan(seed).nodes.map((n) => n.listenQueue)).toEqual([null, null, null, null]);
    expect(gatewayPlan(seed, ipipOnly("Never")).gateway?.listenQueue).toBeNull();
    // 40 nodes in a mesh: the passive side is the one whose peer's address sorts after its
    // own, so the k-th address in that order (from 0) is connected to by the 39 - k after it.
    const big = bigLab(40);
    const queues = controlPlanePlan(big).nodes.map((n) => n.listenQueue);
    const byAddress = [...big.nodes].sort((a, b) => (a.ip < b.ip ? -1 : 1)).map((n) => queues[n.index - 1]);
    expect(byAddress.slice(0, 31)).toEqual(Array.from({ length: 31 }, (_, k) => 39 - k));
    expect(byAddress.slice(31)).toEqual(Array(9).fill(null));
    // Every node connects to the gateway in mode Never; with no BIRD there, no queue.
    expect(gatewayPlan(big, ipipOnly("Never")).gateway?.listenQueue).toBe(40);
    expect(gatewayPlan(big, ipipOnly("Always")).gateway?.listenQueue).toBeNull();
  });

  it("rides in the environment for small labs and on stdin past the environment's limits", () => {
    const plan = controlPlanePlan(seed, ipipOnly("Always"));
    const small = controlPlaneInvocation(seed, plan);
    expect(small.stdin).toBeUndefined();
    expect(small.environment.NETNS_CONTROL_PLAN).toBe(JSON.stringify(plan));
    expect(plan.modes).toEqual({ ipipMode: "Always", vxlanMode: "Never" });
    expect(Object.keys(small.environment).sort()).toEqual(["NETNS_CONTROL_PLAN", "NETNS_LAB", "NETNS_RUN_DIR"]);
    const big = bigLab(64);
    const inv = controlPlaneInvocation(big, controlPlanePlan(big, ipipOnly("Always")));
    expect(Buffer.byteLength(inv.stdin ?? "")).toBeGreaterThan(ENV_PLAN_LIMIT);
    expect(inv.environment.NETNS_CONTROL_PLAN).toBe("-");
  });

  it("refuses a run dir under which BIRD's control sockets would not fit a unix socket path", () => {
    const plan = controlPlanePlan(seed, ipipOnly("Always"));
    // The gateway's is the longest: <run dir>/bird/gateway.ctl, 17 bytes more than the run dir.
    const fits = `/${"x".repeat(89)}`;
    expect(controlPlaneInvocation(seed, plan, { runDir: fits }).environment.NETNS_RUN_DIR).toBe(fits);
    expect(() => controlPlaneInvocation(seed, plan, { runDir: `${fits}y` })).toThrow(`the run dir ${fits}y is too long: BIRD's control sockets under it need 108 bytes`);
  });

  it("the drift check names both sides of every difference", () => {
    const plan = controlPlanePlan(seed, ipipOnly("CrossSubnet"));
    const always = controlPlanePlan(seed, ipipOnly("Always"));
    const result = {
      nodes: always.nodes.map((n) => ({ name: n.name, ns: n.ns, routes: n.routes, bgpPeers: [] })),
      gateway: { name: "gw0", ns: "calico-ipip-gw0", routes: [], bgpPeers: [] },
      seconds: 1,
    };
    expect(driftProblems(plan, result)).toEqual([
      'calico-ipip-control-plane (calico-ipip-n1): the model expects ["10.244.0.64/26 via 10.1.5.11 dev net0 proto bird"] which the table lacks; the table has ["10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink"] which the model does not',
      'calico-ipip-worker (calico-ipip-n2): the model expects ["10.244.0.0/26 via 10.1.5.10 dev net0 proto bird"] which the table lacks; the table has ["10.244.0.0/26 via 10.1.5.10 dev tunl0 proto bird onlink"] which the model does not',
      'calico-ipip-worker2 (calico-ipip-n3): the model expects ["10.244.0.192/26 via 10.1.8.11 dev net0 proto bird"] which the table lacks; the table has ["10.244.0.192/26 via 10.1.8.11 dev tunl0 proto bird onlink"] which the model does not',
      'calico-ipip-worker3 (calico-ipip-n4): the model expects ["10.244.0.128/26 via 10.1.8.10 dev net0 proto bird"] which the table lacks; the table has ["10.244.0.128/26 via 10.1.8.10 dev tunl0 proto bird onlink"] which the model does not',
    ]);
    expect(driftProblems(plan, { ...result, nodes: plan.nodes.map((n) => ({ name: n.name, ns: n.ns, routes: n.routes, bgpPeers: [] })) })).toEqual([]);
  });

  it("gives large meshes more time to converge", () => {
    expect(convergenceTimeout(4)).toBe(21);
    expect(convergenceTimeout(64)).toBe(121);
  });
});
