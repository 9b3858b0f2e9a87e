/**
 * The netns backend: the LabSpec realised with Linux network namespaces on this host,
 * with Calico's data plane programmed as Calico programs it (DESIGN.md sections 3, 4).
 * The topology (up.sh / down.sh), rebuilt only when the topology changes; calico-node's
 * work on every node (controlplane.sh: Felix's share and one BIRD per node in a BGP
 * mesh), re-run in place when the modes change; and the gateway with its BGP.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { BackendFactory, CaptureInvocation, LabBackend } from "../backend";
import { bashScript } from "../../model/shell";
import { controlPlaneCommand } from "./controlPlaneCommand";
import { NetnsGateway } from "./gateway";
import { HostView, labSurvival } from "./survival";
import { warnNotWhole } from "../buildIdentity";
import { ControlPlane, Dataplane, LabOutputs, LabSpec, NodeSpec, NodeState, ScenarioSpec } from "../../model/spec";
import { labPods, NETNS_SCRIPTS, netnsNames, NetnsNames, runDir } from "./names";
import { parseUpOutput, topologyDigest, topologyInvocation, Tunl0Choice } from "./topology";
import { controlPlanePlan, driftProblems, parseControlPlaneOutput } from "./controlPlane";
import { netnsCapturePods, netnsCaptureTargets } from "./capture";

export * from "./names";
export * from "./topology";
export * from "./controlPlane";
export * from "./bird";
export { NetnsGateway } from "./gateway";
export * from "./survival";

export interface NetnsLabArgs {
  /** The validated lab (model/config.ts `buildLabSpec`). */
  spec: LabSpec;
  /**
   * Folder for the helpers' pid files and logs and the generated batch files; default
   * `/run/calico-ipip-lab/<lab>`. Its last part must be the lab name (destroy removes it).
   */
  runDir?: string;
  /** tunl0: `auto` (kernel ipip when its module is loaded, else userspace; default) or `userspace`. */
  tunl0?: Tunl0Choice;
  /** Where the lab's survival is read (components/netns/survival.ts); default this host. */
  host?: HostView;
}

/**
 * One netns lab. Implements LabBackend: `ready` is calico-node's work (controlplane.sh),
 * so captures start only once every table holds the modes' routes; `capture()` runs
 * assets/netns/capture.sh.
 */
export class NetnsLab extends pulumi.ComponentResource implements LabBackend {
  /** up.sh on create, down.sh on delete; replaced (delete first) when the topology changes. */
  public readonly topology: command.local.Command;
  /**
   * What calico-node does on every node (controlplane.sh: Felix's share, BIRD started or
   * reloaded, the wait for the modes' routes). It carries the modes, so a mode change
   * re-runs only this and the gateway.
   */
  public readonly calico: command.local.Command;
  /** The gateway router and its BGP. */
  public readonly gateway: NetnsGateway;
  /** `kernel-ipip` or `userspace-ipip`, as up.sh found the host. */
  public readonly dataplane: pulumi.Output<Dataplane>;
  /** When up.sh built this lab (a capture belongs to one build). */
  public readonly builtAt: pulumi.Output<string>;
  public readonly pods: pulumi.Output<LabOutputs["pods"]>;
  public readonly ready: pulumi.Resource[];
  public readonly controlPlane: ControlPlane = "bird";
  public readonly nodeStates: pulumi.Output<NodeState[]>;
  public readonly namespaces: NetnsNames;
  public readonly runDir: string;
  /** The control plane's identity this update wants (components/netns/survival.ts). */
  public readonly generation: string;
  private readonly spec: LabSpec;

  constructor(name: string, args: NetnsLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:netns:NetnsLab", name, {}, opts);
    const { spec } = args;
    this.spec = spec;
    this.runDir = args.runDir ?? runDir(spec);
    this.namespaces = netnsNames(spec);

    // A lab lost since the last up (reboot, deleted namespace, stopped daemon) gets new
    // identities below, which re-create what is gone; a whole lab keeps its own.
    const survival = labSurvival(spec, this.runDir, args.host);
    warnNotWhole(spec.name, survival.problems);
    this.generation = survival.generation;
    const inv = topologyInvocation(spec, { runDir: this.runDir, tunl0: args.tunl0 });
    this.topology = new command.local.Command(
      `${name}-topology`,
      {
        create: bashScript(NETNS_SCRIPTS.up),
        delete: bashScript(NETNS_SCRIPTS.down),
        environment: { ...inv.environment, NETNS_BUILD_ID: survival.buildId },
        stdin: inv.stdin,
        // Any topology change replaces the lab (down.sh with the old inputs, then up.sh), and
        // so does a lab that is no longer whole.
        triggers: [topologyDigest(inv), survival.buildId],
      },
      { parent: this, deleteBeforeReplace: true },
    );
    const up = this.topology.stdout.apply(parseUpOutput);
    this.dataplane = up.dataplane;
    this.builtAt = up.createdAt;

    // The gateway's BGP first: the nodes' step then waits for its sessions and table too.
    this.gateway = new NetnsGateway(
      `${name}-gateway`,
      { spec, runDir: this.runDir, builtAt: this.builtAt, generation: survival.generation },
      { parent: this, dependsOn: [this.topology] },
    );
    const plan = controlPlanePlan(spec);
    this.calico = controlPlaneCommand(
      `${name}-controlplane`,
      { spec, plan, runDir: this.runDir, builtAt: this.builtAt, generation: survival.generation },
      { parent: this, dependsOn: [this.topology, this.gateway.bgp] },
    );
    this.pods = pulumi.output(labPods(spec));
    this.nodeStates = this.calico.stdout.apply((out) => {
      const result = parseControlPlaneOutput(out);
      const drift = driftProblems(plan, result);
      if (drift.length > 0) throw new Error(`the routes BIRD and Felix installed differ from the model (model/dataplane.ts):\n  ${drift.join("\n  ")}`);
      return result.nodes.map((n) => ({ name: n.name, bgpPeers: n.bgpPeers, routes: n.routes }));
    });
    this.ready = [this.calico];
    this.registerOutputs({ dataplane: this.dataplane, builtAt: this.builtAt, pods: this.pods, nodeStates: this.nodeStates });
  }

  capture(_scenario: ScenarioSpec, client: NodeSpec, server: NodeSpec): CaptureInvocation {
    return {
      script: NETNS_SCRIPTS.capture,
      // A rebuilt lab or a repaired control plane re-runs every capture.
      environment: { ...netnsCaptureTargets(this.spec, client, server, { runDir: this.runDir }), NETNS_BUILT_AT: this.builtAt, NETNS_GENERATION: this.generation },
      pods: netnsCapturePods(client, server),
    };
  }
}

/** The netns backend for CalicoIpipLab: one NetnsLab named after the lab, under `parent`. */
export const netnsBackend: BackendFactory = (spec, parent) => new NetnsLab(spec.name, { spec }, { parent });
