import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabSpec } from "../../model/spec";
import { childOptions, scriptCommand } from "./command";
import { kindClusterStep } from "./steps";

export interface KindClusterArgs {
  /** The validated lab: cluster name = lab name, node image, nodes and their node-ip. */
  spec: LabSpec;
  /** The lab's work folder, where `kind.sh up` records the cluster's identity. */
  workDir: string;
  /** The cluster's identity (labPresence.ts): a new one re-creates the cluster. */
  buildId: string;
}

/**
 * The kind cluster: created from the rendered config on stdin (`kind create cluster
 * --config -`), its kubeconfig kept as a secret output, and the control plane untainted
 * so the workload lands one pod on every node. A changed config or node image, or a lost
 * cluster (a new identity), replaces the cluster (the old one is deleted first: the names are the same). The component's
 * dependsOn (preflight, the node image) holds for the cluster.
 */
export class KindCluster extends pulumi.ComponentResource {
  /** The cluster command (kind create / kind delete). */
  public readonly cluster: command.local.Command;
  /** The cluster's kubeconfig (secret). */
  public readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: KindClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:KindCluster", name, {}, opts);
    const step = kindClusterStep(args.spec, args.workDir, args.buildId);
    this.cluster = scriptCommand(
      `${name}-cluster`,
      step,
      { ...childOptions(this, opts), deleteBeforeReplace: true, additionalSecretOutputs: ["stdout"] },
      { triggers: [step.stdin ?? "", args.spec.images.kindNode, args.buildId], quietStdout: true },
    );
    this.kubeconfig = pulumi.secret(this.cluster.stdout);
    this.registerOutputs({ kubeconfig: this.kubeconfig });
  }
}
