import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabSpec } from "../../model/spec";
import { childOptions, scriptCommand } from "./command";
import { bridgeSteps, onTopology } from "./steps";

export interface HostBridgesArgs {
  /** The validated lab: one bridge per subnet. */
  spec: LabSpec;
  /** The containerlab lab's identity (labPresence.ts): a new one re-runs `bridge.sh up`, which makes a lost bridge again. */
  topologyId: string;
}

/**
 * One Linux bridge per segment on the host: containerlab's `kind: bridge` nodes need
 * them to exist before deploy. A renamed bridge is deleted before its replacement is made.
 * The component's dependsOn holds for each bridge.
 */
export class HostBridges extends pulumi.ComponentResource {
  /** The bridge commands, in subnet order. */
  public readonly bridges: command.local.Command[];
  /** The bridge names, in subnet order. */
  public readonly names: string[];

  constructor(name: string, args: HostBridgesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:HostBridges", name, {}, opts);
    const steps = bridgeSteps(args.spec).map((s) => onTopology(s, args.topologyId));
    this.names = args.spec.subnets.map((s) => s.bridge);
    this.bridges = steps.map((step, i) =>
      scriptCommand(`${name}-${this.names[i]}`, step, { ...childOptions(this, opts), deleteBeforeReplace: true }, { triggers: [this.names[i]] }),
    );
    this.registerOutputs({ names: this.names });
  }
}
