import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabSpec } from "../../model/spec";
import { childOptions, scriptCommand } from "./command";
import { gatewayConfigureStep } from "./steps";
import { renderVyosBootConfig } from "./vyos";

export interface GatewayArgs {
  /** The validated lab: the router's name and container, the segments, the pool's modes. */
  spec: LabSpec;
  /**
   * The id of the gateway container containerlab runs (ContainerlabTopology.gatewayId): a
   * new container boots from the config of the deploy that made it, so it is configured
   * again.
   */
  containerId: pulumi.Input<string>;
}

/**
 * The lab's VyOS gateway: its config for the pool's modes (vyos.ts: the boot config
 * containerlab gives it, with iBGP to every node in mode Never) and a live reconfigure of
 * the running router, re-run whenever the modes change what it must run or a new
 * container boots. A mode switch therefore changes the router in place: containerlab
 * does not redeploy (ContainerlabTopology keeps the boot config it deployed with). The
 * component's dependsOn (the containerlab lab) holds for the reconfigure.
 */
export class Gateway extends pulumi.ComponentResource {
  /** The gateway's container (`clab-<lab>-<router>`). */
  public readonly container: string;
  /** Its config.boot for the spec's modes. */
  public readonly bootConfig: string;
  /** Whether it runs BGP with the nodes (mode Never). */
  public readonly bgp: boolean;
  /** Brings the running router's BGP to the modes' (assets/kind/gateway-configure.sh). */
  public readonly configure: command.local.Command;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:Gateway", name, {}, opts);
    const { spec } = args;
    this.container = spec.router.container;
    this.bootConfig = renderVyosBootConfig(spec);
    this.bgp = spec.pool.gatewayPeers;
    this.configure = scriptCommand(`${name}-configure`, gatewayConfigureStep(spec, args.containerId), childOptions(this, opts));
    this.registerOutputs({ container: this.container, bgp: this.bgp });
  }
}
