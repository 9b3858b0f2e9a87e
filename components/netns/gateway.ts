/**
 * The lab's gateway on the netns backend: the router namespace up.sh builds, and the BGP
 * it runs when the pool's modes need it (mode Never: an iBGP peer of every node, so the
 * cross-subnet hop knows every block). A mode change reconfigures it in place.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { bashScript } from "../../lab/shell";
import { LabSpec, PoolModes } from "../../lab/spec";
import { controlPlaneInvocation, gatewayPlan, NETNS_SCRIPTS, netnsNames } from "./plan";

export interface NetnsGatewayArgs {
  /** The validated lab. */
  spec: LabSpec;
  /** The pool modes the gateway serves; default the spec's. */
  modes?: PoolModes;
  /** The lab's run folder (BIRD's files go to `<runDir>/bird`). */
  runDir: string;
  /** The lab's build time: a rebuilt topology re-runs the gateway's set-up. */
  builtAt: pulumi.Input<string>;
  /** The control plane's identity (components/netns/health.ts): a new one re-runs the set-up. */
  generation: string;
}

export class NetnsGateway extends pulumi.ComponentResource {
  /** controlplane.sh with the gateway's plan: starts, reloads or stops its BIRD (the nodes' step waits for its table). */
  public readonly bgp: command.local.Command;
  /** The gateway's namespace. */
  public readonly namespace: string;
  constructor(name: string, args: NetnsGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:netns:Gateway", name, {}, opts);
    const modes = args.modes ?? args.spec;
    this.namespace = netnsNames(args.spec).router;
    const inv = controlPlaneInvocation(args.spec, gatewayPlan(args.spec, modes), modes, { runDir: args.runDir });
    // No delete: the topology's down.sh stops every BIRD of the lab with its namespaces.
    this.bgp = new command.local.Command(
      `${name}-bgp`,
      {
        create: bashScript(NETNS_SCRIPTS.controlPlane),
        update: bashScript(NETNS_SCRIPTS.controlPlane),
        environment: { ...inv.environment, NETNS_BUILT_AT: args.builtAt, NETNS_GENERATION: args.generation },
        stdin: inv.stdin,
      },
      { parent: this },
    );
    this.registerOutputs({ namespace: this.namespace });
  }
}
