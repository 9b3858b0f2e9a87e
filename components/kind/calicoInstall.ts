import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { LabSpec } from "../../lab/spec";
import { calicoObjects, K8sObject } from "./calicoManifest";
import { childOptions, scriptCommand } from "./command";
import { calicoWaitStep, ippoolStep, manifestStep } from "./steps";

export interface CalicoInstallArgs {
  /** The validated lab: Calico version and manifest, IPIP mode, pod subnet, MTU. */
  spec: LabSpec;
  /** The cluster's kubeconfig (secret). */
  kubeconfig: pulumi.Input<string>;
  /**
   * What must exist before Calico starts: the nodes' net0 (containerlab), or calico-node
   * autodetects eth0 and CrossSubnet never encapsulates (calico #2542).
   */
  after: pulumi.Input<pulumi.Resource>[];
}

/**
 * Calico from its manifest, patched for the lab (calicoManifest.ts) and applied once the
 * nodes have net0; then a wait until calico-node is ready everywhere, and the default
 * IPPool's ipipMode patched to the configured mode. The patch re-runs whenever the mode
 * changes, which is how `pulumi config set ipipMode ... && pulumi up` switches a running
 * lab (CALICO_IPV4POOL_IPIP only applies when the pool is first created). The component's
 * dependsOn (preflight) holds for the manifest read.
 */
export class CalicoInstall extends pulumi.ComponentResource {
  /** A Kubernetes provider for the lab's cluster. */
  public readonly provider: k8s.Provider;
  /** Reads calico.manifest at deploy time (downloads a URL, reads a path). */
  public readonly manifest: command.local.Command;
  /** The patched manifest's objects. */
  public readonly objects: k8s.yaml.v2.ConfigGroup;
  /** calico-node ready on every node. */
  public readonly ready: command.local.Command;
  /** The IPPool's ipipMode set to the configured mode. */
  public readonly ippool: command.local.Command;
  /** The pool's ipipMode as read back after the patch. */
  public readonly ipipMode: pulumi.Output<string>;

  constructor(name: string, args: CalicoInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:CalicoInstall", name, {}, opts);
    const { spec } = args;
    this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: args.kubeconfig }, { parent: this });
    this.manifest = scriptCommand(`${name}-manifest`, manifestStep(spec), childOptions(this, opts), { quietStdout: true });
    const objs: pulumi.Output<K8sObject[]> = this.manifest.stdout.apply((text) => calicoObjects(text, spec, spec.calico.manifest));
    this.objects = new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { objs }, { parent: this, provider: this.provider, dependsOn: args.after });
    this.ready = scriptCommand(`${name}-ready`, calicoWaitStep(spec, args.kubeconfig), { parent: this, dependsOn: [this.objects] });
    this.ippool = scriptCommand(`${name}-ippool`, ippoolStep(spec, args.kubeconfig), { parent: this, dependsOn: [this.ready] });
    this.ipipMode = this.ippool.stdout.apply((s) => s.trim());
    this.registerOutputs({ ipipMode: this.ipipMode });
  }
}
