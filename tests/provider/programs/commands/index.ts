/**
 * The command provider's conformance program: one @pulumi/command 1.2.1 `local.Command`
 * per entry of the config key `commands` (name → CommandSpec), so a test drives create,
 * update, replace and delete by rewriting the stack's config between runs (the tests are
 * in ../../conformance.test.ts). Exports each Command's id, stdout and stderr under its name.
 */
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";

/** One Command of the program's config (the conformance test writes them). */
export interface CommandSpec {
  create?: string;
  update?: string;
  delete?: string;
  environment?: Record<string, string>;
  /** Keys of `environment` passed as secrets. */
  secretEnvironment?: string[];
  /** Environment variables set to another Command's stdout (unknown in preview until it ran). */
  environmentFrom?: Record<string, string>;
  dir?: string;
  stdin?: string;
  triggers?: unknown[];
  interpreter?: string[];
  addPreviousOutputInEnv?: boolean;
  logging?: "stdout" | "stderr" | "stdoutAndStderr" | "none";
  /** Names of other Commands this one waits for. */
  dependsOn?: string[];
}

const config = new pulumi.Config();
const specs = config.requireObject<Record<string, CommandSpec>>("commands");

const made: Record<string, local.Command> = {};
function make(name: string): local.Command {
  const existing = made[name];
  if (existing) return existing;
  const spec = specs[name];
  const { secretEnvironment, environmentFrom, dependsOn, environment, ...args } = spec;
  const secret = new Set(secretEnvironment ?? []);
  const entries: [string, pulumi.Output<string>][] = [
    ...Object.entries(environment ?? {}).map(([k, v]): [string, pulumi.Output<string>] => [k, secret.has(k) ? pulumi.secret(v) : pulumi.output(v)]),
    ...Object.entries(environmentFrom ?? {}).map(([k, from]): [string, pulumi.Output<string>] => [k, make(from).stdout]),
  ];
  const env = entries.length > 0 ? Object.fromEntries(entries) : undefined;
  const cmd = new local.Command(name, { ...args, environment: env }, { dependsOn: (dependsOn ?? []).map(make) });
  made[name] = cmd;
  return cmd;
}
for (const name of Object.keys(specs)) make(name);

export const commands = Object.fromEntries(
  Object.entries(made).map(([name, cmd]) => [name, { id: cmd.id, stdout: cmd.stdout, stderr: cmd.stderr }]),
);
