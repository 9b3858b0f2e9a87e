/**
 * A Pulumi program's resource graph under Pulumi mocks, in this (jest) process: what the
 * program registers — type, name, parent, dependencies, inputs, order — and nothing run.
 * For what no real engine can show here (the kind backend: no kubernetes or docker
 * plugin on these machines) and for a config that must fail before any resource.
 *
 *   const run = await previewProgram({ stack: "ipip", config: { ...stackConfig(REPO_DIR, "ipip"), backend: "netns" } });
 *   run.ok; run.error; run.registrations;
 *
 * Each run loads the program afresh (jest.isolateModulesAsync: its own copy of every
 * module, @pulumi/pulumi included) inside a runtime store of its own (the SDK's
 * withLocalStorage, as its automation and provider servers isolate runs), so runs in one
 * file do not see each other. Config is set as the CLI hands it to the language host
 * (setAllConfig: full keys, strings raw, anything else as JSON); stackConfig() reads a
 * Pulumi.<stack>.yaml with js-yaml (Pulumi.yaml declares no config, so there are no
 * project defaults to merge).
 *
 * The mocks answer as the engine answers a preview of a new stack: a Command's stdout and
 * stderr are unknown (nothing ran), every other resource's state is its inputs. A
 * resource is registered only once its inputs and `dependsOn` are resolved, so the order
 * of the registrations respects the graph.
 */
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import type * as Pulumi from "@pulumi/pulumi";
import type { RegisterResourceRequest } from "@pulumi/pulumi/proto/resource_pb";

/** A JSON value as the records hold it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** The type token of @pulumi/command's local Command. */
export const COMMAND_TYPE = "command:local:Command";
/** The type token of the stack resource every program registers first. */
export const STACK_TYPE = "pulumi:pulumi:Stack";
/** Pulumi's marker for an unknown value (the SDK's `runtime.unknownValue`), as inputs hold it. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** One resource registration the program made. */
export interface Registration {
  /** Its place in registration order, from 0 (the stack). */
  order: number;
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  /** Parent URN; empty for the stack. */
  parent: string;
  /** URNs it depends on (`dependsOn` and the resources its inputs came from). */
  dependencies: string[];
  /** Its inputs: secrets in plaintext, unknown values as UNKNOWN. */
  inputs: JsonObject;
}

export interface MockRun {
  /** True when the program ran to its end. */
  ok: boolean;
  /** Why it did not: the program's error as Pulumi prints it (a RunError's message alone). */
  error: string | null;
  registrations: Registration[];
}

export interface PreviewOptions {
  /** The program's folder (its package.json `main`, else index.ts); default this repository. */
  programDir?: string;
  stack: string;
  /** Project name; default Pulumi.yaml's `name`. */
  project?: string;
  /** Config keys (bare or `project:`-namespaced) to values of any JSON type. */
  config?: Record<string, unknown>;
  /** Config keys that are secret. */
  secretKeys?: string[];
}

/** The repository root: the Pulumi program's folder. */
export const REPO_DIR = path.resolve(__dirname, "..", "..");

function readYamlObject(file: string): Record<string, unknown> {
  const doc: unknown = yaml.load(fs.readFileSync(file, "utf8"));
  return doc !== null && typeof doc === "object" && !Array.isArray(doc) ? (doc as Record<string, unknown>) : {};
}

/** The project name in `programDir`'s Pulumi.yaml. */
export function projectName(programDir: string = REPO_DIR): string {
  const name = readYamlObject(path.join(programDir, "Pulumi.yaml")).name;
  if (typeof name !== "string" || name === "") throw new Error(`${programDir}/Pulumi.yaml names no project`);
  return name;
}

/** `key` → `<project>:key`; keys that already hold a namespace stay as they are. */
export function fullKey(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** The `config:` block of Pulumi.<stack>.yaml in `programDir`, keys as written there. */
export function stackConfig(programDir: string, stack: string): Record<string, Json> {
  const file = path.join(programDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist: no stack named ${stack}`);
  const config = readYamlObject(file).config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new Error(`${file}: config is not a mapping`);
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in v) {
      throw new Error(`${file}: ${k} is a secure value; the mocks cannot decrypt it, pass it in the config instead`);
    }
    out[k] = v as Json;
  }
  return out;
}

/** Config as the CLI hands it to the language host: full keys, strings raw, the rest as JSON. */
export function cliConfig(config: Record<string, unknown>, project: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (v !== undefined) out[fullKey(k, project)] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/** The SDK's per-run store (runtime/state.ts, internal: not in its type declarations). */
interface RuntimeState {
  withLocalStorage<T>(callback: () => Promise<T>): Promise<T>;
}

/** The part of the SDK's MockMonitor this file wraps. */
interface MockMonitorLike {
  registerResource(req: RegisterResourceRequest, callback: unknown): Promise<void>;
  newUrn(parent: string, type: string, name: string): string;
}

/** A value the mocks received, as JSON: secrets unwrapped, unknowns as UNKNOWN. */
function toJson(pulumi: typeof Pulumi, v: unknown): Json {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (v === undefined) return null;
  if (pulumi.isUnknown(v)) return UNKNOWN;
  if (pulumi.runtime.isRpcSecret(v)) return toJson(pulumi, pulumi.runtime.unwrapRpcSecret(v));
  if (Array.isArray(v)) return v.map((x) => toJson(pulumi, x));
  if (typeof v === "object") {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = toJson(pulumi, x);
    return out;
  }
  return String(v);
}

function errorText(pulumi: typeof Pulumi, e: unknown): string {
  if (pulumi.RunError.isInstance(e)) return e.message;
  if (e instanceof Error) return e.stack ?? e.message;
  return String(e);
}

/**
 * `pulumi preview` of a new stack under mocks: run the program once, record every
 * registration, run nothing. An error the program throws while it is loaded (a config
 * that fails validation) is returned in `error`; a rejection it leaves unhandled later
 * fails the calling test (jest reports it). The working directory is the program's
 * folder while it runs.
 */
export async function previewProgram(opts: PreviewOptions): Promise<MockRun> {
  const programDir = path.resolve(opts.programDir ?? REPO_DIR);
  const project = opts.project ?? projectName(programDir);
  const config = cliConfig(opts.config ?? {}, project);
  const secretKeys = (opts.secretKeys ?? []).map((k) => fullKey(k, project));
  const registrations: Registration[] = [];
  let error: string | null = null;
  const cwd = process.cwd();
  const exitListeners = new Set(process.listeners("exit"));
  try {
    process.chdir(programDir);
    await jest.isolateModulesAsync(async () => {
      // Loaded inside the isolated registry: this run's own copy of the SDK and the program.
      const pulumi = require("@pulumi/pulumi") as typeof Pulumi;
      const state = require("@pulumi/pulumi/runtime/state") as RuntimeState;
      await state.withLocalStorage(async () => {
        /** The request being registered, handed from the monitor to newResource (see below). */
        let pending: { parent: string; dependencies: string[] } | null = null;
        let monitor: MockMonitorLike | null = null;
        const mocks: Pulumi.runtime.Mocks = {
          newResource: (args: Pulumi.runtime.MockResourceArgs): Pulumi.runtime.MockResourceResult => {
            const { parent, dependencies } = pending ?? { parent: "", dependencies: [] };
            pending = null;
            const inputs = toJson(pulumi, args.inputs) as JsonObject;
            registrations.push({
              order: registrations.length,
              urn: monitor?.newUrn(parent, args.type, args.name) ?? "",
              type: args.type,
              name: args.name,
              custom: args.custom === true,
              parent,
              dependencies,
              inputs,
            });
            const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
            // Nothing ran: what a Command prints is unknown until the update.
            if (args.type === COMMAND_TYPE) Object.assign(state, { stdout: pulumi.runtime.unknownValue, stderr: pulumi.runtime.unknownValue });
            return { id: args.custom === true ? undefined : args.name, state };
          },
          call: (args: Pulumi.runtime.MockCallArgs): Pulumi.runtime.MockCallResult => args.inputs as Pulumi.runtime.MockCallResult,
        };
        await pulumi.runtime.setMocks(mocks, project, opts.stack, true);
        pulumi.runtime.setAllConfig(config, secretKeys);
        monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
        const register = monitor.registerResource.bind(monitor);
        // MockMonitor calls newResource synchronously at the start of registerResource, and
        // newResource sees neither parent nor dependencies: hand them over through `pending`.
        monitor.registerResource = (req, callback) => {
          pending = { parent: req.getParent(), dependencies: req.getDependenciesList() };
          return register(req, callback);
        };
        await pulumi.runtime.runInPulumiStack(async () => {
          // As the nodejs language host does: require the program, await what it exports.
          // Its error is caught here, not left to fail the stack resource: the rejected
          // promises the SDK derives from a failed stack are nobody's to handle in this
          // process (the language host's process-wide handler reports them).
          try {
            const exported: unknown = require(programDir);
            return (await (exported instanceof Function ? (exported as () => unknown)() : exported)) as Record<string, unknown>;
          } catch (e) {
            error = errorText(pulumi, e);
            return {};
          }
        });
        await pulumi.runtime.disconnect();
      });
    });
  } finally {
    process.chdir(cwd);
    // Each copy of the SDK schedules a leak check for process exit; the run is over, and
    // a check per run would only pile up listeners.
    for (const l of process.listeners("exit")) if (!exitListeners.has(l)) process.off("exit", l);
  }
  return { ok: error === null, error, registrations };
}

/** The registration named `name` (the first, if several share it); throws naming what there is. */
export function byName(regs: Registration[], name: string): Registration {
  const r = regs.find((x) => x.name === name);
  if (r === undefined) throw new Error(`no resource named ${name}; registered: ${regs.map((x) => x.name).join(", ")}`);
  return r;
}

/** A URN's last part: the resource's name. */
export function urnName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}
