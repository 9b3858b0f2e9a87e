/**
 * Shapes the executing harness reads and writes: the per-stack state file (the harness's
 * stand-in for a Pulumi checkpoint), the request a harness child process receives, and
 * the result it hands back.
 */

/** A JSON value as stored in state and results. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The type token of @pulumi/command's local Command. */
export const COMMAND_TYPE = "command:local:Command";
/** The type token of the stack resource the language host registers first. */
export const STACK_TYPE = "pulumi:pulumi:Stack";

/** Resource options the engine acts on, as the SDK sent them in RegisterResource. */
export interface ResourceOptionsRecord {
  deleteBeforeReplace: boolean;
  /** Property paths whose change replaces the resource (the Command SDK adds `triggers[*]`). */
  replaceOnChanges: string[];
  ignoreChanges: string[];
  additionalSecretOutputs: string[];
  retainOnDelete: boolean;
  protect: boolean;
  /** URN of the resource whose deletion makes this one's delete unnecessary. */
  deletedWith: string;
  /** Go-style durations ("5m", "30s"); empty when not set. */
  customTimeouts: { create: string; update: string; delete: string };
  /** The `replacementTrigger` option's value (a change replaces), or null. */
  replacementTrigger: Json;
}

/** One resource as the state file keeps it. */
export interface StateResource {
  urn: string;
  type: string;
  name: string;
  /** `name` + 8 hex characters for Commands (as the provider makes it), the name otherwise. */
  id: string;
  custom: boolean;
  /** Parent URN; empty for the stack itself. */
  parent: string;
  /** URNs this resource depends on (explicit `dependsOn` and input dependencies). */
  dependencies: string[];
  inputs: JsonObject;
  /** For Commands: inputs plus `stdout` and `stderr`; for other types what the mock returned. */
  outputs: JsonObject;
  options: ResourceOptionsRecord;
  /**
   * An old copy replaced create-before-delete whose delete has not run yet; it is deleted at
   * the end of a successful update, at the start of the next one, or by destroy.
   */
  pendingDelete?: boolean;
}

/** The harness's checkpoint for one stack. */
export interface HarnessState {
  version: 1;
  project: string;
  stack: string;
  /** The program folder of the last update (destroy runs its deletes from there). */
  programDir: string;
  /** In an order in which every resource comes after the resources it depends on. */
  resources: StateResource[];
  /** Stack outputs of the last update that ran the program to the end. */
  outputs: JsonObject;
  /** Names of top-level stack outputs that are secret. */
  secretOutputs: string[];
}

/** What happened to one resource in one run. */
export type StepOp =
  | "create"
  | "update"
  | "same"
  | "replace-create"
  | "replace-delete"
  | "delete"
  | "delete-pending"
  | "skipped";

/** One command the provider ran (or, in preview, would run). */
export interface OperationRecord {
  urn: string;
  type: string;
  name: string;
  op: StepOp;
  /** Which of the Command's scripts ran: create, update or delete; null if none. */
  script: "create" | "update" | "delete" | null;
  /** The script text, when one ran. */
  command: string | null;
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdout: string;
  stderr: string;
  error: string | null;
  /** True in preview: the step was planned, nothing ran. */
  planned: boolean;
}

/** A resource registration the program made in this run. */
export interface RegistrationRecord {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  dependencies: string[];
  inputs: JsonObject;
  /** The step the engine took for it. */
  op: StepOp;
  /** Input keys that differed from the stored ones (update or replace). */
  changed: string[];
}

/** A diagnostic line: a command's stdout/stderr line as the provider logs it, or the engine's own. */
export interface LogRecord {
  urn: string;
  stream: "stdout" | "stderr" | "engine";
  line: string;
}

/** Options shared by up, preview and destroy. */
export interface RunSettings {
  /**
   * Seconds a command may run (until it exits and its output pipes close) before the
   * harness reports it as hung; a resource's own customTimeouts win. Default 600.
   */
  commandTimeoutSec?: number;
  /** At most this many resource operations at once (Pulumi's --parallel); default unbounded. */
  parallel?: number;
  /** Extra variables for the provider process's environment (the Pulumi CLI's environment). */
  env?: Record<string, string>;
  /** Echo command output and engine events to stderr while running. */
  verbose?: boolean;
  /**
   * Cancels the run, as Ctrl-C cancels `pulumi up`: nothing new starts, the operations
   * under way finish (within their timeout) and are saved, then the run ends with an error.
   */
  signal?: AbortSignal;
}

/** The request file a harness child process reads. */
export interface ChildRequest {
  mode: "up" | "preview" | "destroy";
  programDir: string;
  project: string;
  stack: string;
  /** Config as the Pulumi CLI hands it to the language host: full keys, string values. */
  config: Record<string, string>;
  secretKeys: string[];
  stateFile: string;
  resultFile: string;
  /** The Command whose create/update is made to fail: before it runs, or `after` it succeeded. */
  failAt: { name: string; after: boolean } | null;
  commandTimeoutSec: number;
  parallel: number;
  verbose: boolean;
}

/** What a child process hands back (and what runUp/runPreview/runDestroy return). */
export interface RunResult {
  mode: "up" | "preview" | "destroy";
  ok: boolean;
  /** The error that stopped the run, as Pulumi would print it; null when ok. */
  error: string | null;
  /** Stack outputs, resolved (secrets in plaintext, see secretOutputs); null if the program did not finish. */
  outputs: JsonObject | null;
  secretOutputs: string[];
  registrations: RegistrationRecord[];
  operations: OperationRecord[];
  log: LogRecord[];
  /** The program's own console output (the child's stdout and stderr). */
  programStdout: string;
  programStderr: string;
  durationMs: number;
}

/** A result with nothing in it: a destroy of an empty stack, or a run that could not start. */
export function emptyResult(mode: RunResult["mode"], error: string | null): RunResult {
  return {
    mode,
    ok: error === null,
    error,
    outputs: null,
    secretOutputs: [],
    registrations: [],
    operations: [],
    log: [],
    programStdout: "",
    programStderr: "",
    durationMs: 0,
  };
}
