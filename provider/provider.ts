/**
 * The project's own provider for `command:local:Command` (the type @pulumi/command 1.2.1
 * registers), for hosts where the official plugin cannot be installed. It follows
 * upstream's lifecycle:
 * - check passes the inputs through; diff replaces on `triggers` and updates on any
 *   other change;
 * - create runs `create` (never in preview: the engine does not call it there, so the
 *   program sees stdout/stderr as unknown); the outputs are the inputs plus stdout/stderr,
 *   both secret when any input holds a secret; the id is the name and 8 hex digits;
 * - update runs `update`, else `create`, with the previous outputs in the environment
 *   (with neither, the previous outputs stay);
 * - output lines go to the engine's log in order while the script runs, all of them
 *   before its step ends;
 * - delete runs `delete` with the stored inputs;
 * - a failed create saves nothing and a failed update keeps the old state, the engine's
 *   rule for an operation that returns an error;
 * - cancel stops the running scripts' process groups.
 */
import * as crypto from "crypto";
import type * as provider from "@pulumi/pulumi/provider";
import { commandInputs, diffCommand, previousOutputs, Props, withOutputs } from "./inputs";
import { runScript, stopAll } from "./exec";

export const COMMAND_TYPE = "command:local:Command";
/** The @pulumi/command release whose plugin this provider stands in for. */
export const COMMAND_VERSION = "1.2.1";

/** Where a script's output lines and warnings go (the engine's log in production). */
export interface Log {
  /** Deliver one output line; resolves (never rejects) once it is delivered or given up on. */
  line(urn: string, stream: "stdout" | "stderr", text: string): Promise<void>;
  warn(urn: string, text: string): void;
}

function typeOf(urn: string): string {
  // urn:pulumi:<stack>::<project>::<parent types$>type::<name>
  const qualified = urn.split("::")[2] ?? "";
  return qualified.split("$").pop() ?? "";
}

/** The resource's name: the URN's last part. */
export function nameOf(urn: string): string {
  return urn.split("::").slice(3).join("::");
}

/** Upstream's id: the resource's name followed by 8 random hex digits. */
export function commandId(urn: string): string {
  return `${nameOf(urn)}${crypto.randomBytes(4).toString("hex")}`;
}

export class CommandProvider implements provider.Provider {
  readonly version = COMMAND_VERSION;

  constructor(
    private readonly log: Log,
    private readonly baseEnv: NodeJS.ProcessEnv = process.env,
    private readonly defaultDir: string = process.cwd(),
  ) {}

  private supported(urn: string): void {
    const type = typeOf(urn);
    if (type !== COMMAND_TYPE) throw new Error(`this command provider serves only ${COMMAND_TYPE}, not ${type} (${urn})`);
  }

  /**
   * Run a script and return the new state. Without a script the outputs stay what they
   * were (none on create). Output lines reach the log in order, and all of them before the
   * step ends, as upstream's synchronous logging does.
   */
  private async run(urn: string, script: string | undefined, props: Props, state: Props | undefined): Promise<Props> {
    const previous = previousOutputs(state);
    if (script === undefined || script === "") return withOutputs(props, previous);
    let delivered: Promise<void> = Promise.resolve();
    try {
      const outputs = await runScript({
        script,
        inputs: commandInputs(props),
        previous,
        baseEnv: this.baseEnv,
        defaultDir: this.defaultDir,
        onLine: (stream, text) => {
          delivered = delivered.then(() => this.log.line(urn, stream, text));
        },
        onHeldPipes: (holders) =>
          this.log.warn(
            urn,
            `the command exited but its stdout/stderr are still open${holders.length > 0 ? ` (held by ${holders.join(", ")})` : ""}: ` +
              "the update waits until they close; a process it starts must detach (setsid, stdin from /dev/null, output to files)",
          ),
      });
      return withOutputs(props, outputs);
    } finally {
      await delivered;
    }
  }

  async check(urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
    this.supported(urn);
    return { inputs: news };
  }

  async diff(_id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
    this.supported(urn);
    const d = diffCommand(olds, news);
    return { changes: d.changed.length > 0, replaces: d.replaces };
  }

  async create(urn: string, inputs: Props): Promise<provider.CreateResult> {
    this.supported(urn);
    const outs = await this.run(urn, commandInputs(inputs).create, inputs, undefined);
    return { id: commandId(urn), outs };
  }

  async read(id: string, urn: string, props: Props): Promise<provider.ReadResult> {
    this.supported(urn);
    return { id, props };
  }

  async update(_id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
    this.supported(urn);
    const c = commandInputs(news);
    return { outs: await this.run(urn, c.update ?? c.create, news, olds) };
  }

  async delete(_id: string, urn: string, props: Props): Promise<void> {
    this.supported(urn);
    await this.run(urn, commandInputs(props).delete, props, props);
  }

  async cancel(): Promise<void> {
    stopAll();
  }
}
