/**
 * A controlplane.sh Command for one plan: the nodes' (calico-node's work) or the
 * gateway's (its BGP). Both re-run in place when the modes change, when the topology is
 * rebuilt (its build time) and when the control plane must be repaired (its generation).
 * No delete: the topology's down.sh stops every BIRD of the lab with its namespaces.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { bashScript } from "../../model/shell";
import { LabSpec } from "../../model/spec";
import { controlPlaneInvocation, ControlPlanePlan } from "./controlPlane";
import { NETNS_SCRIPTS } from "./names";

export interface ControlPlaneCommandArgs {
  spec: LabSpec;
  plan: ControlPlanePlan;
  /** The lab's run folder (BIRD's files go to `<runDir>/bird`). */
  runDir: string;
  /** When up.sh built the lab. */
  builtAt: pulumi.Input<string>;
  /** The control plane's identity (components/netns/survival.ts). */
  generation: string;
}

export function controlPlaneCommand(name: string, args: ControlPlaneCommandArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
  const inv = controlPlaneInvocation(args.spec, args.plan, { runDir: args.runDir });
  return new command.local.Command(
    name,
    {
      create: bashScript(NETNS_SCRIPTS.controlPlane),
      update: bashScript(NETNS_SCRIPTS.controlPlane),
      environment: { ...inv.environment, NETNS_BUILT_AT: args.builtAt, NETNS_GENERATION: args.generation },
      stdin: inv.stdin,
    },
    opts,
  );
}
