import { outputsProblems } from "./outputs";
import { nodeOutputs, specOutputs } from "../components/lab";
import { buildLabSpec } from "./config";

const spec = buildLabSpec({ backend: "netns" }, { stack: "ipip", cwd: "/" });
const fixed = specOutputs(spec);
const states = spec.nodes.map((n) => ({ name: n.name, bgpPeers: [{ peer: "10.1.5.1", state: "Established" }], routes: [`blackhole ${n.block} proto bird`] }));
const outputs = { ...fixed, lab: { ...fixed.lab, controlPlane: "bird", dataplane: "userspace-ipip" }, nodes: nodeOutputs(spec, states), pods: [], captures: [], verdict: "fail" };

describe("outputsProblems", () => {
  it("accepts what the program exports, router and mtu included", () => {
    expect(outputsProblems(outputs)).toEqual([]);
    expect(fixed.router.interfaces).toEqual([
      { name: "eth1", ip: "10.1.5.1", subnet: "10.1.5.0/24", segment: "br-ipip0" },
      { name: "eth2", ip: "10.1.8.1", subnet: "10.1.8.0/24", segment: "br-ipip1" },
    ]);
  });

  it("accepts outputs of labs made before router and mtu existed", () => {
    const { router: _router, ...older } = outputs;
    expect(outputsProblems({ ...older, lab: { ...outputs.lab, mtu: undefined } })).toEqual([]);
  });

  it("names a bad router address and a bad mtu by path", () => {
    const bad = { ...outputs, lab: { ...outputs.lab, mtu: 0 }, router: { name: "gw0", interfaces: [{ name: "eth1", ip: "10.1.5", subnet: "10.1.5.0/24", segment: "b" }] } };
    expect(outputsProblems(bad)).toEqual([
      "lab.mtu: expected an integer from 68 to 65535, got number 0",
      'router.interfaces[0].ip: expected an IPv4 address, got string "10.1.5"',
    ]);
  });
});
