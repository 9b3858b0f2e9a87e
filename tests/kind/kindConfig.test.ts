import * as yaml from "js-yaml";
import { kindClusterConfig, nodeIpPatch, renderKindConfig } from "../../components/kind/kindConfig";
import { kindNodeImageProblem } from "../../components/kind/tools";
import { crossSubnetSpec, expectGolden, ipipSpec, threeSubnetSpec } from "./testing";

describe("kind cluster config", () => {
  test("the seed lab renders the seed's config (golden)", () => {
    expectGolden("kind-config.ipip.yaml", renderKindConfig(ipipSpec()));
  });

  test("three subnets, six nodes (golden)", () => {
    expectGolden("kind-config.tri.yaml", renderKindConfig(threeSubnetSpec()));
  });

  test("what kind reads back: no default CNI, the pod subnet, one node per spec node with its node-ip", () => {
    for (const spec of [ipipSpec(), crossSubnetSpec(), threeSubnetSpec()]) {
      const parsed = yaml.load(renderKindConfig(spec)) as ReturnType<typeof kindClusterConfig>;
      expect(parsed.kind).toBe("Cluster");
      expect(parsed.apiVersion).toBe("kind.x-k8s.io/v1alpha4");
      expect(parsed.networking).toEqual({ disableDefaultCNI: true, podSubnet: spec.podSubnet });
      expect(parsed.nodes.map((n) => n.role)).toEqual(["control-plane", ...spec.nodes.slice(1).map(() => "worker")]);
      parsed.nodes.forEach((n, i) => {
        expect(n.kubeadmConfigPatches).toHaveLength(1);
        const patch = yaml.load(n.kubeadmConfigPatches[0]) as { kind: string; nodeRegistration: { kubeletExtraArgs: Record<string, string> } };
        expect(patch.kind).toBe(i === 0 ? "InitConfiguration" : "JoinConfiguration");
        expect(patch.nodeRegistration.kubeletExtraArgs).toEqual({ "node-ip": spec.nodes[i].ip });
      });
    }
  });

  test("the node-ip patch is kubeadm's map form", () => {
    expect(nodeIpPatch(ipipSpec().nodes[2])).toBe("kind: JoinConfiguration\nnodeRegistration:\n  kubeletExtraArgs:\n    node-ip: 10.1.8.10\n");
  });

  test("node images from v1.36 are refused, naming images.kindNode", () => {
    expect(() => renderKindConfig(ipipSpec({ images: { kindNode: "kindest/node:v1.36.0" } }))).toThrow(
      /^images\.kindNode: "kindest\/node:v1\.36\.0" is not usable; node images from v1\.36 use kubeadm v1beta4/,
    );
    expect(kindNodeImageProblem("kindest/node:v1.35.9")).toBeUndefined();
    expect(kindNodeImageProblem("kindest/node:v2.0.0")).toMatch(/not usable/);
    expect(kindNodeImageProblem("registry:5000/kindest/node:latest")).toBeUndefined();
    expect(kindNodeImageProblem("burlyluo/kindest:v1.27.3")).toBeUndefined();
  });
});
