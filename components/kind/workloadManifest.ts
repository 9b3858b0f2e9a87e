/**
 * The seed's workload: StatefulSet `pod`, one privileged nettool pod (nginx on port 80)
 * per node — required anti-affinity on the hostname spreads them, which is why the
 * control plane is untainted.
 */
import { LabSpec } from "../../model/spec";
import { WORKLOAD } from "./tools";

export interface StatefulSetObject {
  apiVersion: "apps/v1";
  kind: "StatefulSet";
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: {
          name: string;
          image: string;
          env: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }[];
          securityContext: { privileged: boolean };
        }[];
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { labelSelector: { matchLabels: Record<string, string> }; topologyKey: string }[];
          };
        };
      };
    };
  };
}

export function workloadStatefulSet(spec: LabSpec): StatefulSetObject {
  const labels = { ...WORKLOAD.labels };
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: WORKLOAD.name, namespace: WORKLOAD.namespace, labels: { ...labels } },
    spec: {
      replicas: spec.nodes.length,
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          containers: [
            {
              name: WORKLOAD.container,
              image: spec.images.workload,
              env: [{ name: "NETTOOL_NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
              securityContext: { privileged: true },
            },
          ],
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { ...labels } }, topologyKey: "kubernetes.io/hostname" }],
            },
          },
        },
      },
    },
  };
}
