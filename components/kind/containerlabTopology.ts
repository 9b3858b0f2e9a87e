import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabSpec } from "../../model/spec";
import { childOptions, scriptCommand } from "./command";
import { containerlabStep } from "./steps";
import { containerlabContainer } from "./tools";
import { renderVyosBlock, vyosBaseConfig } from "./vyos";

export interface ContainerlabTopologyArgs {
  /** The validated lab: gateway, segments, one sidecar per node. */
  spec: LabSpec;
  /** Folder for the topology file, the gateway's boot config and containerlab's lab folder. */
  workDir: string;
  /** The lab's identity (labPresence.ts): a new one redeploys it. */
  buildId: string;
  /** Changes that must redeploy the lab, e.g. the kind cluster's id (sidecars join its nodes' namespaces). */
  redeployOn?: pulumi.Input<unknown>[];
}

/**
 * The containerlab lab: the VyOS gateway and, in each kind node's network namespace, a
 * sidecar that adds net0 with the node's underlay address and default route. A changed
 * topology, a change of the gateway's config that no pool mode makes (interfaces,
 * NAT), or a lost lab (a new identity) destroys the old lab before deploying the new one. The part of the boot config
 * a mode switch changes (BGP) is left as deployed: the Gateway reconfigures the running
 * router instead, so a switch never tears the lab down. The component's dependsOn
 * (bridges, cluster, images) holds for the lab.
 */
export class ContainerlabTopology extends pulumi.ComponentResource {
  /** The deploy / destroy command. */
  public readonly lab: command.local.Command;
  /** The gateway's container name. */
  public readonly gateway: string;
  /** The gateway container's id, as the deploy printed it: a new one after every (re)deploy. */
  public readonly gatewayId: pulumi.Output<string>;
  /** Each node's sidecar container, by node name. */
  public readonly sidecars: Record<string, string>;

  constructor(name: string, args: ContainerlabTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:ContainerlabTopology", name, {}, opts);
    const { spec } = args;
    const step = containerlabStep(spec, args.workDir, args.buildId);
    this.lab = scriptCommand(
      `${name}-lab`,
      step,
      { ...childOptions(this, opts), deleteBeforeReplace: true, ignoreChanges: ["environment.GATEWAY_BOOT_CONFIG"] },
      { triggers: [step.environment.CLAB_TOPOLOGY, renderVyosBlock(vyosBaseConfig(spec)), args.buildId, ...(args.redeployOn ?? [])] },
    );
    this.gateway = spec.router.container;
    this.gatewayId = this.lab.stdout.apply((s) => s.trim());
    this.sidecars = Object.fromEntries(spec.nodes.map((n) => [n.name, containerlabContainer(spec.name, n.sidecar)]));
    this.registerOutputs({ gateway: this.gateway, sidecars: this.sidecars });
  }
}
