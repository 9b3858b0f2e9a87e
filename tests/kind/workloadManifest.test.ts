import * as yaml from "js-yaml";
import { workloadStatefulSet } from "../../components/kind/workloadManifest";
import { expectGolden, ipipSpec, threeSubnetSpec } from "./testing";

/** The seed's StatefulSet, as its write-up gives it. */
const SEED_STATEFULSET = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { labels: { app: "nginx" }, name: "pod" },
  spec: {
    replicas: 4,
    selector: { matchLabels: { app: "nginx" } },
    template: {
      metadata: { labels: { app: "nginx" } },
      spec: {
        containers: [
          {
            image: "burlyluo/nettool:latest",
            name: "nettoolbox",
            env: [{ name: "NETTOOL_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
            securityContext: { privileged: true },
          },
        ],
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: "nginx" } }, topologyKey: "kubernetes.io/hostname" }],
          },
        },
      },
    },
  },
};

describe("workload StatefulSet", () => {
  test("the seed lab gets the seed's StatefulSet (plus its namespace)", () => {
    const ss = workloadStatefulSet(ipipSpec());
    expect({ ...ss, metadata: { labels: ss.metadata.labels, name: ss.metadata.name } }).toEqual(SEED_STATEFULSET);
    expect(ss.metadata.namespace).toBe("default");
  });

  test("one replica per node and the configured image (golden)", () => {
    const spec = threeSubnetSpec();
    const ss = workloadStatefulSet({ ...spec, images: { ...spec.images, workload: "registry.test/nettool:v2" } });
    expect(ss.spec.replicas).toBe(6);
    expect(ss.spec.template.spec.containers[0].image).toBe("registry.test/nettool:v2");
    expectGolden("workload.tri.yaml", yaml.dump(ss, { lineWidth: -1, noRefs: true }));
  });
});
