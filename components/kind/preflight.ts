import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { LabSpec } from "../../model/spec";
import { childOptions, scriptCommand } from "./command";
import { preflightStep } from "./steps";

export interface PreflightArgs {
  /** The validated lab; its calico.manifest decides whether curl is needed. */
  spec: LabSpec;
}

/**
 * Checks that docker, kind, containerlab, kubectl and ip (and curl for a manifest URL)
 * are installed and answer, before anything is created; names every missing tool at once
 * and points to `backend: netns` (tools.ts).
 */
export class Preflight extends pulumi.ComponentResource {
  /** The probe; everything that runs a tool depends on it. */
  public readonly check: command.local.Command;

  constructor(name: string, args: PreflightArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:Preflight", name, {}, opts);
    this.check = scriptCommand(`${name}-check`, preflightStep(args.spec), childOptions(this, opts));
    this.registerOutputs({});
  }
}
