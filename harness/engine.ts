/**
 * The engine half of the executing harness. It runs inside a fresh child process (see
 * child.ts): Pulumi mocks whose `newResource` plays the engine and the Command provider —
 * it compares each resource with the stored state, runs the Command's create, update or
 * delete for real, keeps a checkpoint file up to date after every step, and at the end
 * deletes what the program no longer declares.
 *
 * Engine behaviours reproduced (pulumi/pulumi pkg/resource/deploy):
 * - A resource registers once its inputs and `dependsOn` are resolved; independent
 *   resources run in parallel (bounded by `parallel`).
 * - Same / update / replace from the old and new inputs (provider.ts `planStep`).
 *   Replacement is create-before-delete unless `deleteBeforeReplace`; the replaced copy is
 *   deleted at the end of the update (or, if the update stopped, at the start of the next).
 * - The first failure stops the update: nothing new starts, operations under way finish
 *   and are saved, the failed resource is not saved (a failed create leaves no state, a
 *   failed update leaves the old state), nothing is deleted.
 * - A cancel (Ctrl-C on the CLI; `cancel()` here) stops it the same way: nothing new
 *   starts, operations under way finish and are saved, nothing is deleted.
 * - Resources the program no longer registers are deleted after the program finished,
 *   dependents first; destroy deletes everything the same way with the stored inputs.
 * - The provider runs in its own process group and is killed with it when the run ends
 *   (done by the parent, harness.ts): helpers a command leaves in that group die then.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";

/** The protobuf Struct the SDK sends outputs in. */
type Struct = Parameters<typeof pulumi.runtime.deserializeProperties>[0];
import {
  CommandInputs,
  commandInputs,
  deletionOrder,
  execCommand,
  ExecResult,
  parseGoDuration,
  planStep,
  StepPlan,
} from "./provider";
import {
  ChildRequest,
  COMMAND_TYPE,
  HarnessState,
  STACK_TYPE,
  Json,
  JsonObject,
  LogRecord,
  OperationRecord,
  RegistrationRecord,
  ResourceOptionsRecord,
  RunResult,
  StateResource,
  StepOp,
} from "./types";

const UNKNOWN = pulumi.runtime.unknownValue;
/** Keys the Command provider's schema marks replaceOnChanges. */
const COMMAND_REPLACE_KEYS = ["triggers"] as const;

export function emptyState(project: string, stack: string, programDir: string): HarnessState {
  return { version: 1, project, stack, programDir, resources: [], outputs: {}, secretOutputs: [] };
}

export function readStateFile(file: string): HarnessState | null {
  if (!fs.existsSync(file)) return null;
  const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as HarnessState;
  if (parsed.version !== 1 || !Array.isArray(parsed.resources)) throw new Error(`${file} is not a harness state file`);
  return parsed;
}

export function writeStateFile(file: string, state: HarnessState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2) + "\n");
  fs.renameSync(tmp, file);
}

/** A resolved value as plain JSON: secrets unwrapped (and reported), unknowns as Pulumi's unknown marker. */
export function toJson(value: unknown): { value: Json; secret: boolean } {
  let secret = false;
  const walk = (v: unknown): Json => {
    if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
    if (v === undefined) return null;
    if (pulumi.isUnknown(v)) return UNKNOWN;
    if (pulumi.runtime.isRpcSecret(v)) {
      secret = true;
      return walk(pulumi.runtime.unwrapRpcSecret(v));
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object") {
      const proto = Object.getPrototypeOf(v);
      if (proto === Object.prototype || proto === null) {
        const out: JsonObject = {};
        for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = walk(x);
        return out;
      }
      try {
        return JSON.parse(JSON.stringify(v)) as Json;
      } catch {
        return String(v);
      }
    }
    return String(v);
  };
  const result = walk(value);
  return { value: result, secret };
}

interface OutputInternals {
  promise(withUnknowns?: boolean): Promise<unknown>;
  isSecret: Promise<boolean>;
}

/** Resolve stack outputs (Outputs nested anywhere) to JSON; unknowns (preview) become the unknown marker. */
export async function resolveDeep(value: unknown): Promise<{ value: Json; secret: boolean }> {
  let secret = false;
  const walk = async (v: unknown): Promise<Json> => {
    if (pulumi.Output.isInstance(v)) {
      const o = v as unknown as OutputInternals;
      if (await o.isSecret) secret = true;
      return walk(await o.promise(true));
    }
    if (v instanceof Promise) return walk(await v);
    if (pulumi.isUnknown(v)) return UNKNOWN;
    if (Array.isArray(v)) {
      const out: Json[] = [];
      for (const x of v) out.push(await walk(x));
      return out;
    }
    if (v !== null && typeof v === "object" && !pulumi.runtime.isRpcSecret(v)) {
      const out: JsonObject = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = await walk(x);
      return out;
    }
    const j = toJson(v);
    if (j.secret) secret = true;
    return j.value;
  };
  const result = await walk(value);
  return { value: result, secret };
}

/** The options of a RegisterResource request that the engine acts on. */
export function optionsOf(req: RegisterResourceRequest): ResourceOptionsRecord {
  const timeouts = req.getCustomtimeouts();
  const trigger = typeof req.getReplacementTrigger === "function" ? req.getReplacementTrigger() : undefined;
  return {
    deleteBeforeReplace: req.getDeletebeforereplace(),
    replaceOnChanges: req.getReplaceonchangesList(),
    ignoreChanges: req.getIgnorechangesList(),
    additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
    retainOnDelete: req.getRetainondelete() === true,
    protect: req.getProtect() === true,
    deletedWith: req.getDeletedwith(),
    customTimeouts: {
      create: timeouts?.getCreate() ?? "",
      update: timeouts?.getUpdate() ?? "",
      delete: timeouts?.getDelete() ?? "",
    },
    replacementTrigger: trigger ? (toJson(trigger.toJavaScript()).value ?? null) : null,
  };
}

export const NO_OPTIONS: ResourceOptionsRecord = {
  deleteBeforeReplace: false,
  replaceOnChanges: [],
  ignoreChanges: [],
  additionalSecretOutputs: [],
  retainOnDelete: false,
  protect: false,
  deletedWith: "",
  customTimeouts: { create: "", update: "", delete: "" },
  replacementTrigger: null,
};

interface PendingRegistration {
  parent: string;
  dependencies: string[];
  options: ResourceOptionsRecord;
  read: boolean;
}

/** Plausible outputs for a few resource types the mocks know (everything else echoes its inputs). */
export function mockOutputs(type: string, name: string, inputs: JsonObject): JsonObject {
  const digest = (s: string): string => crypto.createHash("sha256").update(s).digest("hex");
  switch (type) {
    case "docker:index/remoteImage:RemoteImage": {
      const image = typeof inputs.name === "string" ? inputs.name : name;
      return { ...inputs, imageId: `sha256:${digest(image)}`, repoDigest: `${image.split(":")[0]}@sha256:${digest(`repo:${image}`)}` };
    }
    case "random:index/randomId:RandomId":
      return { ...inputs, hex: digest(name).slice(0, 16), b64Std: Buffer.from(digest(name).slice(0, 16), "hex").toString("base64") };
    default:
      return { ...inputs };
  }
}

class Semaphore {
  private active = 0;
  private readonly waiters: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiters.push(r));
    this.active++;
    return () => {
      this.active--;
      this.waiters.shift()?.();
    };
  }
}

class StepFailure extends Error {}

interface OutputsRequestLike {
  getUrn(): string;
  getOutputs(): Struct | undefined;
}

interface MockMonitorLike {
  newUrn(parent: string, type: string, name: string): string;
  registerResourceOutputs(req: OutputsRequestLike, callback: unknown): void;
  registerResource(req: RegisterResourceRequest, callback: unknown): Promise<void>;
  readResource(req: unknown, callback: unknown): Promise<void>;
}

/** One run (up, preview or destroy) of the harness, inside the child process. */
export class HarnessEngine {
  private readonly state: HarnessState;
  /** Resources this run registered and completed, in completion order. */
  private readonly news = new Map<string, StateResource>();
  /** Old entries deleted during this run. */
  private readonly removed = new Set<StateResource>();
  private failure: { urn: string; type: string; name: string; message: string } | null = null;
  /** Why the run was cancelled (a signal, or the harness's caller went away); null while it runs on. */
  private cancelled: string | null = null;
  /** Settles when the run is cancelled: stops waits that a cancelled run has no use for. */
  private readonly whenCancelled: Promise<void>;
  private settleCancelled: () => void = () => undefined;
  private readonly operations: OperationRecord[] = [];
  private readonly registrations: RegistrationRecord[] = [];
  private readonly log: LogRecord[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  /** URNs the program registered in this run (completed or not). */
  private readonly registered = new Set<string>();
  private pending: PendingRegistration | null = null;
  private readonly slots: Semaphore;
  private readonly preview: boolean;
  private readonly started = Date.now();

  constructor(private readonly req: ChildRequest) {
    this.whenCancelled = new Promise<void>((resolve) => {
      this.settleCancelled = resolve;
    });
    this.preview = req.mode === "preview";
    this.state = readStateFile(req.stateFile) ?? emptyState(req.project, req.stack, req.programDir);
    this.slots = new Semaphore(req.parallel > 0 ? req.parallel : Number.MAX_SAFE_INTEGER);
  }

  // ------------------------------------------------------------------ bookkeeping

  private snapshot(): StateResource[] {
    const newUrns = new Set(this.news.keys());
    const rest = this.state.resources.filter((r) => !this.removed.has(r) && (r.pendingDelete === true || !newUrns.has(r.urn)));
    return [...this.news.values(), ...rest];
  }

  private persist(extra?: Partial<HarnessState>): void {
    if (this.preview) return;
    writeStateFile(this.req.stateFile, {
      ...this.state,
      programDir: this.req.mode === "destroy" ? this.state.programDir : this.req.programDir,
      resources: this.snapshot(),
      ...extra,
    });
  }

  private liveOld(urn: string): StateResource | undefined {
    return this.state.resources.find((r) => r.urn === urn && r.pendingDelete !== true && !this.removed.has(r));
  }

  private emit(urn: string, stream: LogRecord["stream"], line: string): void {
    this.log.push({ urn, stream, line });
    if (this.req.verbose) process.stderr.write(`[harness] ${urn.split("::").pop()} ${stream === "engine" ? "" : `${stream}: `}${line}\n`);
  }

  private fail(r: { urn: string; type: string; name: string }, message: string): StepFailure {
    if (!this.failure) this.failure = { ...r, message };
    this.emit(r.urn, "engine", `error: ${message}`);
    return new StepFailure(message);
  }

  private notRun(name: string): StepFailure {
    const f = this.failure;
    if (f === null && this.cancelled !== null) return new StepFailure(`${name}: not run, the ${this.req.mode} was cancelled`);
    return new StepFailure(`${name}: not run, the update stopped after ${f ? `${f.type} (${f.name})` : "an earlier error"} failed`);
  }

  private timeoutMs(options: ResourceOptionsRecord, script: "create" | "update" | "delete"): number {
    return parseGoDuration(options.customTimeouts[script]) ?? this.req.commandTimeoutSec * 1000;
  }

  private failAtMatches(name: string, urn: string): boolean {
    const f = this.req.failAt;
    return f !== null && (f.name === name || f.name === urn);
  }

  /** Run one of a Command's scripts (or, when it has none, succeed with the given outputs). */
  private async runScript(
    r: { urn: string; type: string; name: string },
    op: StepOp,
    script: "create" | "update" | "delete",
    command: string | undefined,
    inputs: CommandInputs,
    previous: { stdout: string; stderr: string },
    options: ResourceOptionsRecord,
  ): Promise<ExecResult> {
    const record: OperationRecord = {
      urn: r.urn,
      type: r.type,
      name: r.name,
      op,
      script: command === undefined ? null : script,
      command: command ?? null,
      ok: true,
      exitCode: null,
      signal: null,
      durationMs: 0,
      stdout: "",
      stderr: "",
      error: null,
      planned: this.preview,
    };
    this.operations.push(record);
    if (this.preview || command === undefined) {
      const keep = script === "create" ? { stdout: "", stderr: "" } : previous;
      return { ok: true, exitCode: null, signal: null, ...keep, error: null, hung: false, durationMs: 0 };
    }
    this.emit(r.urn, "engine", `${op}: running ${script}`);
    let result: ExecResult;
    const inject = script !== "delete" && this.failAtMatches(r.name, r.urn) ? this.req.failAt : null;
    if (inject && !inject.after) {
      result = {
        ok: false,
        exitCode: 1,
        signal: null,
        stdout: "",
        stderr: "",
        error: `exit status 1: running ${JSON.stringify(command)}:\nharness: failure injected (failAt ${inject.name}) instead of running ${script}\n`,
        hung: false,
        durationMs: 0,
      };
    } else {
      result = await execCommand({
        command,
        inputs,
        previous,
        baseEnv: process.env,
        defaultDir: this.req.programDir,
        timeoutMs: this.timeoutMs(options, script),
        label: `${r.type} (${r.name}) ${script}`,
        onLine: (stream, line) => this.emit(r.urn, stream, line),
      });
      if (inject && result.ok) {
        result = {
          ...result,
          ok: false,
          exitCode: 1,
          error: `exit status 1: running ${JSON.stringify(command)}:\nharness: failure injected (failAt ${inject.name}) after ${script} succeeded\n`,
        };
      }
    }
    Object.assign(record, {
      ok: result.ok,
      exitCode: result.exitCode,
      signal: result.signal,
      durationMs: result.durationMs,
      stdout: result.stdout,
      stderr: result.stderr,
      error: result.error,
    });
    return result;
  }

  // ------------------------------------------------------------------ mocks

  /** Install the mocks and the hook that lets newResource see the full request. */
  async installMocks(): Promise<void> {
    const engine = this;
    const mocks: pulumi.runtime.Mocks = {
      newResource: (args) => engine.newResource(args),
      call: (args) => engine.call(args),
    };
    await pulumi.runtime.setMocks(mocks, this.req.project, this.req.stack, this.preview);
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
    const register = monitor.registerResource.bind(monitor);
    const read = monitor.readResource.bind(monitor);
    // MockMonitor calls mocks.newResource synchronously at the start of these methods,
    // so the request's options can be handed over through `pending`.
    monitor.registerResource = (req, cb) => {
      this.pending = {
        parent: req.getParent(),
        dependencies: req.getDependenciesList(),
        options: optionsOf(req),
        read: false,
      };
      return register(req, cb);
    };
    monitor.readResource = (req, cb) => {
      this.pending = { parent: "", dependencies: [], options: NO_OPTIONS, read: true };
      return read(req, cb);
    };
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    // The stack's outputs as the engine receives them, secrets marked.
    monitor.registerResourceOutputs = (req, cb) => {
      if (req.getUrn().split("::")[2] === STACK_TYPE) this.stackOutputs = req.getOutputs() ?? null;
      registerOutputs(req, cb);
    };
    this.newUrn = (parent, type, name) => monitor.newUrn(parent, type, name);
  }

  private stackOutputs: Struct | null = null;

  private newUrn: (parent: string, type: string, name: string) => string = () => "";

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = (): void => {
      this.inflight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  private newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    const pending = this.pending ?? { parent: "", dependencies: [], options: NO_OPTIONS, read: false };
    this.pending = null;
    return this.track(this.register(args, pending));
  }

  private async call(args: pulumi.runtime.MockCallArgs): Promise<Record<string, unknown>> {
    if (args.token !== "command:local:run") return {};
    if (this.cancelled !== null) throw this.notRun(args.token);
    // local.run runs on every program run, previews included.
    const { value } = toJson(args.inputs);
    const inputs = (value ?? {}) as JsonObject;
    const cmd = commandInputs(inputs);
    const urn = `invoke::command:local:run`;
    const result = await this.runScript(
      { urn, type: "command:local:run", name: "run" },
      "create",
      "create",
      typeof inputs.command === "string" ? inputs.command : undefined,
      cmd,
      { stdout: "", stderr: "" },
      NO_OPTIONS,
    );
    if (!result.ok) throw new Error(result.error ?? "command failed");
    return { ...inputs, stdout: result.stdout, stderr: result.stderr };
  }

  private async register(
    args: pulumi.runtime.MockResourceArgs,
    pending: PendingRegistration,
  ): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    const urn = this.newUrn(pending.parent, args.type, args.name);
    const { value, secret: secretInputs } = toJson(args.inputs);
    const inputs = (value ?? {}) as JsonObject;
    if (pending.read) {
      const known = this.state.resources.find((r) => r.urn === urn);
      return { id: args.id ?? args.name, state: known ? { ...known.outputs } : { ...inputs } };
    }
    const reg: RegistrationRecord = {
      urn,
      type: args.type,
      name: args.name,
      custom: args.custom === true,
      parent: pending.parent,
      dependencies: pending.dependencies,
      inputs,
      op: "skipped",
      changed: [],
    };
    this.registrations.push(reg);
    this.registered.add(urn);
    if (this.stopped()) throw this.notRun(args.name);
    const base = { urn, type: args.type, name: args.name, custom: args.custom === true, parent: pending.parent, dependencies: pending.dependencies };
    const old = this.liveOld(urn);
    if (args.type === COMMAND_TYPE && args.custom === true) {
      return this.registerCommand(reg, base, old, inputs, pending.options, secretInputs);
    }
    // Anything else: no side effects; its state is what the mock says.
    const { plan, inputs: effective } = planStep(old?.type === args.type ? old : undefined, inputs, pending.options, []);
    reg.op = opOf(plan);
    reg.changed = changedKeys(plan);
    const outputs = plan.kind === "same" && old ? old.outputs : mockOutputs(args.type, args.name, effective);
    const entry: StateResource = {
      ...base,
      id: plan.kind === "same" || plan.kind === "update" ? (old?.id ?? args.name) : args.name,
      inputs: effective,
      outputs,
      options: pending.options,
    };
    if (!this.preview) {
      this.news.set(urn, entry);
      this.persist();
    }
    return { id: entry.id, state: { ...outputs } };
  }

  private async registerCommand(
    reg: RegistrationRecord,
    base: Omit<StateResource, "id" | "inputs" | "outputs" | "options">,
    oldAny: StateResource | undefined,
    newInputs: JsonObject,
    options: ResourceOptionsRecord,
    secretInputs: boolean,
  ): Promise<{ id: string | undefined; state: Record<string, unknown> }> {
    const old = oldAny?.type === COMMAND_TYPE ? oldAny : undefined;
    const { plan, inputs } = planStep(old, newInputs, options, COMMAND_REPLACE_KEYS);
    reg.op = opOf(plan);
    reg.changed = changedKeys(plan);
    const cmd = commandInputs(inputs);
    const r = { urn: base.urn, type: base.type, name: base.name };
    const previous = {
      stdout: typeof old?.outputs.stdout === "string" ? old.outputs.stdout : "",
      stderr: typeof old?.outputs.stderr === "string" ? old.outputs.stderr : "",
    };
    const release = this.preview ? () => undefined : await this.slots.acquire();
    try {
      if (this.stopped()) {
        reg.op = "skipped";
        throw this.notRun(base.name);
      }
      let id = old?.id ?? newCommandId(base.name);
      let out: { stdout: string; stderr: string };
      switch (plan.kind) {
        case "same":
          out = previous;
          break;
        case "create": {
          id = newCommandId(base.name);
          const res = await this.runScript(r, "create", "create", cmd.create, cmd, { stdout: "", stderr: "" }, options);
          if (!res.ok) throw this.fail(r, res.error ?? "create failed");
          out = { stdout: res.stdout, stderr: res.stderr };
          break;
        }
        case "update": {
          const script = cmd.update !== undefined ? "update" : "create";
          const text = cmd.update ?? cmd.create;
          const res = await this.runScript(r, "update", script, text, cmd, previous, options);
          if (!res.ok) throw this.fail(r, res.error ?? "update failed");
          out = text === undefined ? previous : { stdout: res.stdout, stderr: res.stderr };
          break;
        }
        case "replace": {
          const oldEntry = old as StateResource;
          if (plan.deleteBeforeReplace) {
            await this.deleteEntry(oldEntry, "replace-delete", new Set());
            if (!this.preview) {
              this.removed.add(oldEntry);
              this.persist();
            }
          }
          id = newCommandId(base.name);
          const res = await this.runScript(r, "replace-create", "create", cmd.create, cmd, { stdout: "", stderr: "" }, options);
          if (!res.ok) throw this.fail(r, res.error ?? "create failed");
          out = { stdout: res.stdout, stderr: res.stderr };
          if (!plan.deleteBeforeReplace && !this.preview) oldEntry.pendingDelete = true;
          break;
        }
      }
      const unknownOut = this.preview && (plan.kind === "create" || plan.kind === "replace");
      const outputs: JsonObject = unknownOut
        ? { ...inputs, stdout: UNKNOWN, stderr: UNKNOWN }
        : { ...inputs, stdout: out.stdout, stderr: out.stderr };
      const entry: StateResource = { ...base, id, inputs, outputs, options };
      if (!this.preview) {
        this.news.set(base.urn, entry);
        this.persist();
      }
      // The provider's outputs all depend on all inputs: one secret input makes every output secret.
      const secretKeys = new Set(secretInputs ? Object.keys(outputs) : options.additionalSecretOutputs);
      const state: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(outputs)) state[k] = secretKeys.has(k) && v !== UNKNOWN ? pulumi.secret(v) : v;
      return { id, state };
    } finally {
      release();
    }
  }

  /** Run a stored resource's delete (Commands only; others have nothing to run). */
  private async deleteEntry(r: StateResource, op: StepOp, batch: Set<string>): Promise<void> {
    if (r.options.protect) {
      throw this.fail(r, `unable to delete resource ${JSON.stringify(r.urn)}: it is protected`);
    }
    if (r.type !== COMMAND_TYPE || !r.custom) return;
    if (r.options.retainOnDelete) {
      this.emit(r.urn, "engine", `${op}: retainOnDelete, not running delete`);
      return;
    }
    if (r.options.deletedWith !== "" && batch.has(r.options.deletedWith)) {
      this.emit(r.urn, "engine", `${op}: deleted with ${r.options.deletedWith}, not running delete`);
      return;
    }
    const cmd = commandInputs(r.inputs);
    const previous = {
      stdout: typeof r.outputs.stdout === "string" ? r.outputs.stdout : "",
      stderr: typeof r.outputs.stderr === "string" ? r.outputs.stderr : "",
    };
    const res = await this.runScript(r, op, "delete", cmd.delete, cmd, previous, r.options);
    if (!res.ok) throw this.fail(r, res.error ?? "delete failed");
  }

  /** Delete a set of stored resources, dependents first; stops at the first failure. */
  private async deleteAll(entries: StateResource[], opOf: (r: StateResource) => StepOp): Promise<void> {
    const batch = new Set(entries.map((e) => e.urn));
    for (const r of deletionOrder(entries)) {
      if (this.cancelled !== null) throw this.notRun(r.name);
      const release = this.preview ? () => undefined : await this.slots.acquire();
      try {
        await this.deleteEntry(r, opOf(r), batch);
      } finally {
        release();
      }
      if (!this.preview) {
        this.removed.add(r);
        this.persist();
      } else {
        this.removed.add(r);
      }
    }
  }

  // ------------------------------------------------------------------ runs

  private result(outputs: JsonObject | null, secretOutputs: string[], error: string | null): RunResult {
    return {
      mode: this.req.mode,
      ok: error === null,
      error,
      outputs,
      secretOutputs,
      registrations: this.registrations,
      operations: this.operations,
      log: this.log,
      programStdout: "",
      programStderr: "",
      durationMs: Date.now() - this.started,
    };
  }

  private failureText(): string | null {
    const f = this.failure;
    const failed = f ? `${f.type} (${f.name}):\n    error: ${f.message}` : null;
    if (this.cancelled === null) return failed;
    const cancelled = `the ${this.req.mode} was cancelled (${this.cancelled}): nothing new started, the operations under way finished`;
    return failed === null ? cancelled : `${cancelled}\n${failed}`;
  }

  /**
   * Stop the run as a cancelled `pulumi up` stops: nothing new starts, the operations
   * under way finish (within their timeout) and are saved, nothing is deleted at the end,
   * and the run fails saying why.
   */
  cancel(reason: string): void {
    if (this.cancelled !== null) return;
    this.cancelled = reason;
    this.settleCancelled();
  }

  private stopped(): boolean {
    return this.failure !== null || this.cancelled !== null;
  }

  async destroy(): Promise<RunResult> {
    try {
      await this.deleteAll(this.state.resources, (r) => (r.pendingDelete ? "delete-pending" : "delete"));
    } catch (e) {
      if (!(e instanceof StepFailure)) throw e;
    }
    const error = this.failureText();
    if (error === null) this.persist({ resources: [], outputs: {}, secretOutputs: [] });
    else this.persist();
    return this.result(null, [], error);
  }

  /** A state file belongs to one stack, as a Pulumi checkpoint does. */
  private otherStack(): string | null {
    if (this.state.stack === this.req.stack || this.state.resources.length === 0) return null;
    return `${this.req.stateFile} holds stack ${JSON.stringify(this.state.stack)}, not ${JSON.stringify(this.req.stack)}: use one state file per stack`;
  }

  async up(): Promise<RunResult> {
    const other = this.otherStack();
    if (other !== null) return this.result(null, [], other);
    // Replaced copies a stopped update left behind go first.
    const leftover = this.state.resources.filter((r) => r.pendingDelete === true);
    if (leftover.length > 0) {
      try {
        await this.deleteAll(leftover, () => "delete-pending");
      } catch (e) {
        if (!(e instanceof StepFailure)) throw e;
        return this.result(null, [], this.failureText());
      }
    }

    pulumi.runtime.setAllConfig(this.req.config, this.req.secretKeys);
    await this.installMocks();

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on("unhandledRejection", onUnhandled);

    let programError: unknown = null;
    let outputs: JsonObject | null = null;
    let secretOutputs: string[] = [];
    const program = async (): Promise<void> => {
      const exported = await pulumi.runtime.runInPulumiStack(async () => {
        // As the nodejs language host does: require the program folder, call an exported
        // function, await what it returns.
        const dir = this.req.programDir.endsWith("/") ? this.req.programDir : `${this.req.programDir}/`;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const programExport: unknown = require(dir);
        const invoked = programExport instanceof Function ? (programExport as () => unknown)() : programExport;
        return (await invoked) as Record<string, unknown>;
      });
      outputs = {};
      for (const [k, v] of Object.entries(exported ?? {})) {
        if (v === undefined) continue;
        const resolved = await resolveDeep(v);
        outputs[k] = resolved.value;
        if (resolved.secret) secretOutputs.push(k);
      }
    };
    // Outputs of resources that never register (their dependency failed) stay pending
    // for ever: when nothing is left to run, the program has stalled rather than finished.
    let onIdle: (() => void) | null = null;
    const stalled = new Promise<"stalled">((resolve) => {
      onIdle = () => resolve("stalled");
      process.once("beforeExit", onIdle);
    });
    const outcome = await Promise.race([
      program().then(
        () => "done" as const,
        (e: unknown) => {
          programError = e;
          return "failed" as const;
        },
      ),
      stalled,
    ]);
    if (onIdle) process.off("beforeExit", onIdle);
    if (outcome === "stalled") {
      programError = new Error(
        "the program did not finish: some of its outputs never resolved (they wait on resources that failed or never registered)",
      );
      outputs = null;
    }
    // Let every registration under way finish (and be saved) before anything else.
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    // The SDK's disconnect waits for its outstanding calls; after a cancel some never end
    // (registrations refused mid-program), and like the CLI a cancelled run does not wait.
    if (outcome !== "stalled") {
      await Promise.race([withTimeout(pulumi.runtime.disconnect(), 30_000).catch(() => undefined), this.whenCancelled]);
    }
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    // (The handler stays: rejections of outputs that depended on a failed resource may
    // still surface while the deletes below run, and must not end the process.)

    if (programError === null && this.stackOutputs !== null) {
      // Prefer what the stack registered: the same values, with their secretness.
      const registered = pulumi.runtime.deserializeProperties(this.stackOutputs, true) as Record<string, unknown>;
      outputs = {};
      secretOutputs = [];
      for (const [k, v] of Object.entries(registered)) {
        if (v === undefined) continue;
        const j = toJson(v);
        outputs[k] = j.value;
        if (j.secret) secretOutputs.push(k);
      }
    }

    let error = this.failureText();
    if (error === null && programError !== null) error = programErrorText(programError);
    if (error === null && unhandled.length > 0) error = programErrorText(unhandled[0]);

    if (error === null) {
      // Deletes of what the program no longer declares, and of replaced copies.
      const newUrns = this.preview ? this.registered : new Set(this.news.keys());
      const gone = this.state.resources.filter(
        (r) => !this.removed.has(r) && (r.pendingDelete === true || !newUrns.has(r.urn)),
      );
      try {
        await this.deleteAll(gone, (r) => (r.pendingDelete ? "replace-delete" : "delete"));
      } catch (e) {
        if (!(e instanceof StepFailure)) throw e;
        error = this.failureText();
      }
    }
    if (error !== null) {
      secretOutputs = [];
      if (this.stopped()) outputs = null;
    }
    if (error === null) this.persist({ outputs: outputs ?? {}, secretOutputs });
    else this.persist();
    return this.result(outputs, secretOutputs, error);
  }
}

function opOf(plan: StepPlan): StepOp {
  switch (plan.kind) {
    case "create":
      return "create";
    case "same":
      return "same";
    case "update":
      return "update";
    case "replace":
      return "replace-create";
  }
}

function changedKeys(plan: StepPlan): string[] {
  return plan.kind === "update" || plan.kind === "replace" ? plan.changed : [];
}

function newCommandId(name: string): string {
  return `${name}${crypto.randomBytes(4).toString("hex")}`;
}

function programErrorText(e: unknown): string {
  if (e instanceof pulumi.RunError) return e.message;
  if (e instanceof Error) return e.stack ?? e.message;
  return String(e);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout")), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}
