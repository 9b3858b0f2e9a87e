/**
 * The netns backend: the LabSpec realised with Linux network namespaces on this host,
 * with Calico's data plane programmed as Calico programs it (DESIGN.md sections 3, 4).
 * Two Commands: the topology (up.sh / down.sh), rebuilt only when the topology changes,
 * and the routes of the IPIP mode (routes.sh), re-run in place when the mode changes.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { BackendFactory, CaptureInvocation, LabBackend } from "../backend";
import { bashScript } from "../../lab/shell";
import { ControlPlane, Dataplane, LabOutputs, LabSpec, NodeSpec, NodeState, PoolModes, ScenarioSpec } from "../../lab/spec";
import {
  captureEnvironment,
  labPods,
  NETNS_SCRIPTS,
  netnsNames,
  NetnsNames,
  parseUpOutput,
  routesInvocation,
  runDir,
  topologyDigest,
  topologyEnvironment,
  Tunl0Choice,
} from "./plan";

export * from "./plan";

export interface NetnsLabArgs {
  /** The validated lab (lab/config.ts `buildLabSpec`). */
  spec: LabSpec;
  /** The pool modes whose routes are programmed; default the spec's. */
  modes?: PoolModes;
  /**
   * Folder for the helpers' pid files and logs and the generated batch files; default
   * `/run/calico-ipip-lab/<lab>`. Its last part must be the lab name (destroy removes it).
   */
  runDir?: string;
  /** tunl0: `auto` (kernel ipip when its module is loaded, else userspace; default) or `userspace`. */
  tunl0?: Tunl0Choice;
}

/**
 * One netns lab. Implements LabBackend: `ready` is the routes Command, so captures start
 * only once the mode's routes are in place; `capture()` runs assets/netns/capture.sh.
 */
export class NetnsLab extends pulumi.ComponentResource implements LabBackend {
  /** up.sh on create, down.sh on delete; replaced (delete first) when the topology changes. */
  public readonly topology: command.local.Command;
  /** routes.sh on create and update: carries the mode, so a mode change re-runs only this. */
  public readonly routes: command.local.Command;
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
  private readonly spec: LabSpec;

  constructor(name: string, args: NetnsLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:netns:NetnsLab", name, {}, opts);
    const { spec } = args;
    this.spec = spec;
    this.runDir = args.runDir ?? runDir(spec);
    this.namespaces = netnsNames(spec);

    const env = topologyEnvironment(spec, { runDir: this.runDir, tunl0: args.tunl0 });
    this.topology = new command.local.Command(
      `${name}-topology`,
      {
        create: bashScript(NETNS_SCRIPTS.up),
        delete: bashScript(NETNS_SCRIPTS.down),
        environment: env,
        // Any topology change replaces the lab: down.sh with the old inputs, then up.sh.
        triggers: [topologyDigest(env)],
      },
      { parent: this, deleteBeforeReplace: true },
    );
    const up = this.topology.stdout.apply(parseUpOutput);
    this.dataplane = up.dataplane;
    this.builtAt = up.createdAt;

    const routes = routesInvocation(spec, args.modes ?? spec, { runDir: this.runDir });
    this.routes = new command.local.Command(
      `${name}-routes`,
      {
        create: bashScript(NETNS_SCRIPTS.routes),
        update: bashScript(NETNS_SCRIPTS.routes),
        // A rebuilt topology has no routes yet: its new build time re-runs this Command.
        environment: { ...routes.environment, NETNS_BUILT_AT: this.builtAt },
        stdin: routes.stdin,
      },
      { parent: this, dependsOn: [this.topology] },
    );

    this.pods = pulumi.output(labPods(spec));
    this.nodeStates = pulumi.output(spec.nodes.map((n) => ({ name: n.name, bgpPeers: [], routes: [] })));
    this.ready = [this.routes];
    this.registerOutputs({ dataplane: this.dataplane, builtAt: this.builtAt, pods: this.pods });
  }

  capture(_scenario: ScenarioSpec, client: NodeSpec, server: NodeSpec): CaptureInvocation {
    return {
      script: NETNS_SCRIPTS.capture,
      environment: { ...captureEnvironment(this.spec, client, server, { runDir: this.runDir }), NETNS_BUILT_AT: this.builtAt },
    };
  }
}

/** The netns backend for CalicoIpipLab: one NetnsLab named after the lab, under `parent`. */
export const netnsBackend: BackendFactory = (spec, parent) => new NetnsLab(spec.name, { spec }, { parent });
