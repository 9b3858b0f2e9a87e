import { outputsProblems } from "./outputs";
import { nodeOutputs, specOutputs } from "../components/calicoIpipLab";
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

  it("checks VXLAN's outer ports and VNI and the packets set aside, when present", () => {
    const capture = {
      scenario: "s",
      client: { pod: "pod-0", ip: "10.244.0.1", node: "n1", nodeIp: "10.1.5.10" },
      server: { pod: "pod-2", ip: "10.244.0.129", node: "n3", nodeIp: "10.1.8.10" },
      point: { node: "n1", interface: "net0" },
      pcap: "/x.pcap",
      packets: 10,
      expected: "vxlan",
      observed: "vxlan",
      outer: { src: "10.1.5.10", dst: "10.1.8.10", protocol: 17, srcPort: 40000, dstPort: 4789, vni: 4096 },
      pass: true,
      reason: "",
      ignored: [{ packets: 2, reason: "VXLAN on UDP port 8472 (the lab's VXLAN port is 4789)" }],
      routes: { client: [], server: [] },
    };
    expect(outputsProblems({ ...outputs, captures: [capture] })).toEqual([]);
    const bad = { ...capture, outer: { ...capture.outer, dstPort: 70000, vni: -1 }, ignored: [{ packets: "2" }] };
    expect(outputsProblems({ ...outputs, captures: [bad] })).toEqual([
      "captures[0].outer.dstPort: expected an integer from 0 to 65535, got number 70000",
      "captures[0].outer.vni: expected an integer from 0 to 16777215, got number -1",
      'captures[0].ignored[0].packets: expected an integer from 0 to 9007199254740991, got string "2"',
      "captures[0].ignored[0].reason: expected a string, got nothing (missing)",
    ]);
  });
});
