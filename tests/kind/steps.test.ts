/** The pure parts of the kind steps: what the program judges of the scripts' output, and what it hands them. */
import { calicoNotReadyHint, captureEnds, parsePoolModes } from "../../components/kind/steps";
import { crossSubnetSpec, ipipSpec, vxlanSpec } from "./testing";

describe("parsePoolModes", () => {
  test("the modes read back after the patch, when they are the ones patched in", () => {
    expect(parsePoolModes("CrossSubnet Never\n", crossSubnetSpec())).toEqual({ ipipMode: "CrossSubnet", vxlanMode: "Never" });
  });

  test("a pool left in other modes, or output of another shape, is an error naming both", () => {
    expect(() => parsePoolModes("Always Never", crossSubnetSpec())).toThrow(
      "after the patch default-ipv4-ippool has ipipMode Always and vxlanMode Never, not CrossSubnet and Never",
    );
    expect(() => parsePoolModes("Always", ipipSpec())).toThrow('ippool-patch.sh printed something other than "<ipipMode> <vxlanMode>": "Always"');
  });
});

describe("calicoNotReadyHint", () => {
  test("with BIRD, the sessions through the gateway; without, Felix and the VXLAN packets", () => {
    expect(calicoNotReadyHint(ipipSpec())).toBe(
      "calico-node is ready only when BIRD has a BGP session with every other node, and the sessions between subnets cross the gateway clab-calico-ipip-gw0: see `docker logs clab-calico-ipip-gw0` and `kubectl logs -n kube-system <calico-node pod>`",
    );
    expect(calicoNotReadyHint(vxlanSpec())).toMatch(/^without BIRD \(calico_backend vxlan\) calico-node is ready when Felix is; the VXLAN packets between subnets cross the gateway /);
  });
});

describe("captureEnds", () => {
  const spec = ipipSpec();
  const pods = spec.nodes.map((n) => ({ name: n.pod.name, ip: n.pod.ip, node: n.name }));

  test("the pods read back on the client's and the server's nodes", () => {
    expect(captureEnds(pods, spec.nodes[0], spec.nodes[2])).toEqual({ client: { pod: "pod-0", ip: "10.244.0.1" }, server: { pod: "pod-2", ip: "10.244.0.129" } });
  });

  test("a node with no pod, or two, is an error naming the node and what was read", () => {
    const moved = pods.map((p) => (p.name === "pod-2" ? { ...p, node: spec.nodes[1].name } : p));
    expect(() => captureEnds(moved, spec.nodes[0], spec.nodes[2])).toThrow(`the capture needs one workload pod on calico-ipip-worker2; the pods read back: ${JSON.stringify(moved)}`);
    expect(() => captureEnds(moved, spec.nodes[1], spec.nodes[0])).toThrow("the capture needs one workload pod on calico-ipip-worker;");
  });
});
