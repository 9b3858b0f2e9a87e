/**
 * The lab's gateway on the netns backend: the router namespace up.sh builds, and the BGP
 * it runs when the pool's modes need it (mode Never: an iBGP peer of every node, so the
 * cross-subnet hop knows every block). A mode change reconfigures it in place.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabSpec } from "../../model/spec";
import { controlPlaneCommand } from "./controlPlaneCommand";
import { gatewayPlan } from "./controlPlane";
import { netnsNames } from "./names";

export interface NetnsGatewayArgs {
  /** The validated lab. */
  spec: LabSpec;
  /** The lab's run folder (BIRD's files go to `<runDir>/bird`). */
  runDir: string;
  /** The lab's build time: a rebuilt topology re-runs the gateway's set-up. */
  builtAt: pulumi.Input<string>;
  /** The control plane's identity (components/netns/survival.ts): a new one re-runs the set-up. */
  generation: string;
}

export class NetnsGateway extends pulumi.ComponentResource {
  /** controlplane.sh with the gateway's plan: starts, reloads or stops its BIRD (the nodes' step waits for its table). */
  public readonly bgp: command.local.Command;
  /** The gateway's namespace. */
  public readonly namespace: string;

  constructor(name: string, args: NetnsGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:netns:Gateway", name, {}, opts);
    this.namespace = netnsNames(args.spec).router;
    const { spec, runDir, builtAt, generation } = args;
    this.bgp = controlPlaneCommand(`${name}-bgp`, { spec, plan: gatewayPlan(spec), runDir, builtAt, generation }, { parent: this });
    this.registerOutputs({ namespace: this.namespace });
  }
}
