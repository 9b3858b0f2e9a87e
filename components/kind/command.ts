/** A ScriptStep (steps.ts) as a `command:local:Command` that runs `bash <script>`. */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { bashScript, shellQuote } from "../../model/shell";
import { ScriptCall, ScriptStep } from "./steps";

/** `bash '<script>' '<arg>'...`. */
export function bashCall([script, ...args]: ScriptCall): string {
  return [bashScript(script), ...args.map(shellQuote)].join(" ");
}

export interface ScriptCommandOptions {
  /** Replace (rather than re-run) the command when these change. */
  triggers?: pulumi.Input<unknown>[];
  /**
   * Steps whose stdout is data (a kubeconfig, a manifest, JSON) keep it out of the
   * console: only stderr, the scripts' log, is shown.
   */
  quietStdout?: boolean;
}

export function scriptCommand(
  name: string,
  step: ScriptStep<pulumi.Input<string>>,
  opts: pulumi.CustomResourceOptions,
  more: ScriptCommandOptions = {},
): command.local.Command {
  return new command.local.Command(
    name,
    {
      create: bashCall(step.create),
      ...(step.delete === undefined ? {} : { delete: bashCall(step.delete) }),
      environment: step.environment,
      ...(step.stdin === undefined ? {} : { stdin: step.stdin }),
      ...(more.triggers === undefined ? {} : { triggers: more.triggers }),
      ...(more.quietStdout ? { logging: command.types.enums.local.Logging.Stderr } : {}),
    },
    opts,
  );
}

/**
 * Options for a component's children: parented to it, and waiting for what the component
 * itself was told to wait for (Pulumi does not pass a component's dependsOn on to its
 * children by itself).
 */
export function childOptions(parent: pulumi.ComponentResource, opts?: pulumi.ComponentResourceOptions): pulumi.CustomResourceOptions {
  return opts?.dependsOn === undefined ? { parent } : { parent, dependsOn: opts.dependsOn };
}
