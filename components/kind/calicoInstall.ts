import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { LabSpec, PoolModes } from "../../model/spec";
import { calicoBgpObjects, ReflectorState } from "./bgp";
import { calicoObjects, K8sObject, readManifestFile } from "./calicoManifest";
import { childOptions, scriptCommand } from "./command";
import { calicoWaitStep, ippoolStep, manifestStep, parsePoolModes, parseReflectorNodes, reflectorsStep } from "./steps";

export interface CalicoInstallArgs {
  /** The validated lab: Calico version and manifest, pool modes, pod subnet, MTU. */
  spec: LabSpec;
  /** The cluster's kubeconfig (secret). */
  kubeconfig: pulumi.Input<string>;
  /**
   * What must exist before Calico starts: the nodes' net0 (containerlab), or calico-node
   * autodetects eth0 and CrossSubnet never encapsulates (calico #2542).
   */
  after: pulumi.Input<pulumi.Resource>[];
  /** The cluster's identity (labPresence.ts): a new cluster gets a new provider, and with it every object again. */
  clusterId: string;
}

/**
 * Calico from its manifest, patched for the lab (calicoManifest.ts: the modes, and BIRD or
 * not) and applied once the nodes have net0; then a wait until calico-node is ready
 * everywhere, and the default IPPool's ipipMode and vxlanMode patched to the configured
 * modes. The patch re-runs whenever a mode changes, which is how `pulumi config set
 * vxlanMode ... && pulumi up` switches a running lab (CALICO_IPV4POOL_* only apply when
 * the pool is first created). In mode Never each node also peers with the gateway
 * (BGPPeer objects). With route reflectors the mesh is off (BGPConfiguration default), the
 * reflectors' Nodes are labelled and given the cluster ID (route-reflectors.sh) and every
 * node peers with them (BGPPeer); a switch between the mesh and reflectors adds or removes
 * only these, never the cluster. The component's dependsOn (preflight) holds for the
 * manifest download.
 */
export class CalicoInstall extends pulumi.ComponentResource {
  /** A Kubernetes provider for the lab's cluster. */
  public readonly provider: k8s.Provider;
  /** Downloads calico.manifest at deploy time when it is a URL (a file the program reads itself). */
  public readonly manifest?: command.local.Command;
  /** The patched manifest's objects. */
  public readonly objects: k8s.yaml.v2.ConfigGroup;
  /** calico-node ready on every node. */
  public readonly ready: command.local.Command;
  /** The IPPool's modes set to the configured ones. */
  public readonly ippool: command.local.Command;
  /** The pool's modes as read back after the patch. */
  public readonly poolModes: pulumi.Output<PoolModes>;
  /**
   * The BGP objects (bgp.ts calicoBgpObjects): with route reflectors BGPConfiguration
   * default and the BGPPeer to them; in mode Never each node's BGPPeer to the gateway.
   */
  public readonly bgpPeers: k8s.apiextensions.CustomResource[];
  /** Labels the reflectors' Nodes and gives them the cluster ID (only with route reflectors). */
  public readonly reflectors?: command.local.Command;
  /** Each node's reflector label and cluster ID as read back (empty for the mesh). */
  public readonly reflectorNodes: pulumi.Output<Record<string, ReflectorState>>;
  /** What must be in place before pods are scheduled: the pool in its modes, the BGP objects, the reflectors. */
  public readonly configured: pulumi.Resource[];

  constructor(name: string, args: CalicoInstallArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:CalicoInstall", name, {}, opts);
    const { spec } = args;
    this.provider = new k8s.Provider(
      `${name}-k8s`,
      // A lost cluster's objects are dropped from the state: the cluster that held them no longer answers.
      { kubeconfig: args.kubeconfig, clusterIdentifier: args.clusterId, deleteUnreachable: true },
      { parent: this },
    );
    const download = manifestStep(spec);
    this.manifest = download && scriptCommand(`${name}-manifest`, download, childOptions(this, opts), { quietStdout: true });
    const text = this.manifest?.stdout ?? pulumi.output(readManifestFile(spec.calico.manifest));
    const objs: pulumi.Output<K8sObject[]> = text.apply((t) => calicoObjects(t, spec, spec.calico.manifest));
    this.objects = new k8s.yaml.v2.ConfigGroup(`${name}-manifest`, { objs }, { parent: this, provider: this.provider, dependsOn: args.after });
    this.ready = scriptCommand(`${name}-ready`, calicoWaitStep(spec, args.kubeconfig), { parent: this, dependsOn: [this.objects] });
    this.ippool = scriptCommand(`${name}-ippool`, ippoolStep(spec, args.kubeconfig), { parent: this, dependsOn: [this.ready] });
    this.poolModes = this.ippool.stdout.apply((out) => parsePoolModes(out, spec));
    // The BGPPeer and BGPConfiguration CRDs come with the manifest's objects.
    this.bgpPeers = calicoBgpObjects(spec).map(
      (o) =>
        new k8s.apiextensions.CustomResource(
          `${name}-${String(o.kind).toLowerCase()}-${o.metadata?.name}`,
          { apiVersion: o.apiVersion as string, kind: o.kind as string, metadata: o.metadata, spec: o.spec },
          { parent: this, provider: this.provider, dependsOn: [this.objects] },
        ),
    );
    // The Nodes exist with the cluster; after the manifest's objects, as the BGPPeer that selects the label needs its CRD.
    const reflectors = reflectorsStep(spec, args.kubeconfig);
    this.reflectors = reflectors && scriptCommand(`${name}-reflectors`, reflectors, { parent: this, dependsOn: [this.objects] }, { quietStdout: true });
    this.reflectorNodes = this.reflectors?.stdout.apply((out) => parseReflectorNodes(out, spec)) ?? pulumi.output<Record<string, ReflectorState>>({});
    this.configured = [this.ippool, ...this.bgpPeers, ...(this.reflectors ? [this.reflectors] : [])];
    this.registerOutputs({ poolModes: this.poolModes, reflectorNodes: this.reflectorNodes });
  }
}
