import * as pulumi from "@pulumi/pulumi";
import { CaptureInvocation, LabBackend } from "../backend";
import { poolRoutes } from "../../model/dataplane";
import { ControlPlane, Dataplane, LabOutputs, LabSpec, NodeSpec, NodeState, ScenarioSpec } from "../../model/spec";
import { parseBirdProtocols } from "./bgp";
import { CalicoInstall } from "./calicoInstall";
import { ContainerlabTopology } from "./containerlabTopology";
import { Gateway } from "./gateway";
import { KindHostView, kindLabPresence, LOCAL_KIND_HOST } from "./labPresence";
import { warnNotWhole } from "../buildIdentity";
import { HostBridges } from "./hostBridges";
import { Images } from "./images";
import { KindCluster } from "./kindCluster";
import { Preflight } from "./preflight";
import { asset, captureEnds, defaultWorkDir, kindCaptureTargets } from "./steps";
import { Workload } from "./workload";

export interface KindLabArgs {
  /** The validated lab (model/config.ts `buildLabSpec`). */
  spec: LabSpec;
  /** Folder for containerlab's files; default `<repo>/.cache/kind/<lab name>` (git-ignored). */
  workDir?: string;
  /** Where the lab is looked for (labPresence.ts); default this host and its docker. */
  host?: KindHostView;
}

/**
 * The seed's lab on Docker: Preflight → Images → HostBridges → KindCluster →
 * ContainerlabTopology (gateway + sidecars) → Gateway (its BGP for the modes) →
 * CalicoInstall → Workload. Order comes from the data each stage needs and from
 * `dependsOn` where a stage needs another's side effect (net0 before Calico, Calico and
 * the gateway's BGP before pods).
 */
export class KindLab extends pulumi.ComponentResource implements LabBackend {
  public readonly preflight: Preflight;
  public readonly images: Images;
  public readonly bridges: HostBridges;
  public readonly cluster: KindCluster;
  public readonly topology: ContainerlabTopology;
  public readonly gateway: Gateway;
  public readonly calico: CalicoInstall;
  public readonly workload: Workload;
  /** tunl0 is the kernel's, programmed by Calico itself. */
  public readonly dataplane: pulumi.Output<Dataplane>;
  public readonly pods: pulumi.Output<LabOutputs["pods"]>;
  /** Each node's routing table as read back (kind only: the real routes, for comparison with the expected ones). */
  public readonly routes: pulumi.Output<Record<string, string[]>>;
  public readonly ready: pulumi.Resource[];
  public readonly controlPlane: ControlPlane = "calico";
  public readonly nodeStates: pulumi.Output<NodeState[]>;
  /** The containerlab lab's identity this update wants (labPresence.ts). */
  public readonly topologyId: string;
  private readonly spec: LabSpec;

  constructor(name: string, args: KindLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:KindLab", name, {}, opts);
    const { spec } = args;
    this.spec = spec;
    const workDir = args.workDir ?? defaultWorkDir(spec);
    // A lab lost since the last up (reboot, `kind delete`, a removed container) gets new
    // identities, which re-create what is gone and what follows; a whole lab keeps its own.
    // Only a real update asks docker: a preview uses the recorded identities.
    const presence = kindLabPresence(spec, workDir, args.host ?? LOCAL_KIND_HOST, !pulumi.runtime.isDryRun());
    if (presence.unknown !== undefined) {
      void pulumi.log.warn(`cannot tell whether lab ${spec.name} still exists on this host (docker: ${presence.unknown}): this update keeps it as the stack has it`);
    }
    warnNotWhole(spec.name, presence.problems);
    this.topologyId = presence.topology;
    this.preflight = new Preflight(`${name}-preflight`, { spec }, { parent: this });
    const checked = { parent: this, dependsOn: [this.preflight.check] };
    this.images = new Images(`${name}-images`, { spec }, checked);
    this.bridges = new HostBridges(`${name}-bridges`, { spec, topologyId: presence.topology }, checked);
    this.cluster = new KindCluster(
      `${name}-kind`,
      { spec, workDir, buildId: presence.cluster },
      { parent: this, dependsOn: [this.preflight.check, this.images.kindNode] },
    );
    this.topology = new ContainerlabTopology(
      `${name}-clab`,
      { spec, workDir, buildId: presence.topology, redeployOn: [this.cluster.cluster.id] },
      { parent: this, dependsOn: [...this.bridges.bridges, this.cluster.cluster, this.images.gateway, this.images.sidecar] },
    );
    this.gateway = new Gateway(`${name}-gateway`, { spec, containerId: this.topology.gatewayId }, { parent: this, dependsOn: [this.topology.lab] });
    this.calico = new CalicoInstall(
      `${name}-calico`,
      { spec, kubeconfig: this.cluster.kubeconfig, after: [this.topology.lab], clusterId: presence.cluster },
      { parent: this, dependsOn: [this.preflight.check] },
    );
    this.workload = new Workload(
      `${name}-workload`,
      { spec, kubeconfig: this.cluster.kubeconfig, provider: this.calico.provider, after: [...this.calico.configured, this.gateway.configure, this.cluster.cluster], topologyId: presence.topology },
      { parent: this },
    );
    this.dataplane = pulumi.output<Dataplane>("calico");
    this.pods = this.workload.pods;
    this.routes = this.workload.routes;
    this.nodeStates = pulumi.all([this.routes, this.workload.bgpProtocols]).apply(([tables, protocols]) =>
      spec.nodes.map((n) => ({
        name: n.name,
        bgpPeers: parseBirdProtocols((protocols[n.name] ?? []).join("\n")),
        routes: poolRoutes(tables[n.name] ?? [], spec.podSubnet),
      })),
    );
    // Captures start once every pod runs and the routes match the mode.
    this.ready = [this.workload.ready, this.workload.routesRead];
    this.registerOutputs({ dataplane: this.dataplane, pods: this.pods, routes: this.routes });
  }

  /** tcpdump in the client node's sidecar (it shares the node's net0), traffic from the client pod to the server pod as read back. */
  capture(_scenario: ScenarioSpec, client: NodeSpec, server: NodeSpec): CaptureInvocation {
    const pods = this.pods.apply((read) => captureEnds(read, client, server));
    const targets = kindCaptureTargets(this.spec, client, this.cluster.kubeconfig, {
      clientPod: pods.client.pod,
      clientIp: pods.client.ip,
      serverIp: pods.server.ip,
    });
    // A redeployed (or re-created) lab re-runs every capture.
    return { script: asset("capture.sh"), environment: { ...targets, LAB_TOPOLOGY_ID: this.topologyId }, pods };
  }
}
