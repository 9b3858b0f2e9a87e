/**
 * The kind cluster config (kind.x-k8s.io/v1alpha4), as the seed writes it: no default
 * CNI (Calico comes later), the lab's pod subnet, and each node's kubelet `node-ip` set to
 * its underlay address so the cluster — and Calico's autodetection — uses net0, not
 * Docker's eth0.
 */
import * as yaml from "js-yaml";
import { LabSpec, NodeSpec } from "../../model/spec";
import { kindNodeImageProblem } from "./tools";

export interface KindNodeConfig {
  role: NodeSpec["role"];
  /** kubeadm patches, each a YAML document as text (kind's format). */
  kubeadmConfigPatches: string[];
}

export interface KindClusterConfig {
  kind: "Cluster";
  apiVersion: "kind.x-k8s.io/v1alpha4";
  networking: { disableDefaultCNI: true; podSubnet: string };
  nodes: KindNodeConfig[];
}

/**
 * The kubeadm patch that sets a node's kubelet `node-ip`: InitConfiguration on the
 * control plane, JoinConfiguration on workers. `kubeletExtraArgs` in the map form is
 * kubeadm v1beta3's, used by node images below v1.36 (v1.27.3 by default); v1beta4 wants
 * a list of {name, value} — `kindNodeImageProblem` rejects such images.
 */
export function nodeIpPatch(node: NodeSpec): string {
  const kind = node.role === "control-plane" ? "InitConfiguration" : "JoinConfiguration";
  return yaml.dump({ kind, nodeRegistration: { kubeletExtraArgs: { "node-ip": node.ip } } });
}

export function kindClusterConfig(spec: LabSpec): KindClusterConfig {
  const problem = kindNodeImageProblem(spec.images.kindNode);
  if (problem !== undefined) throw new Error(problem);
  return {
    kind: "Cluster",
    apiVersion: "kind.x-k8s.io/v1alpha4",
    networking: { disableDefaultCNI: true, podSubnet: spec.podSubnet },
    nodes: spec.nodes.map((n) => ({ role: n.role, kubeadmConfigPatches: [nodeIpPatch(n)] })),
  };
}

/** The config as YAML, the text `kind create cluster --config -` reads on stdin. */
export function renderKindConfig(spec: LabSpec): string {
  return yaml.dump(kindClusterConfig(spec), { lineWidth: -1, noRefs: true });
}
