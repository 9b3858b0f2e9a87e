/**
 * The project's command provider (provider/) under the real Pulumi engine, held to what
 * @pulumi/command 1.2.1's `command:local:Command` does: each scenario is a stack of the
 * program in programs/commands (one Command per entry of its config), driven by
 * `pulumi preview`/`up`/`destroy` through PulumiStack, with its own state folder, config
 * file and journal (each script records its environment, working directory and stdin
 * there through rec.sh). The scenarios run concurrently, one stack each.
 *
 * Every scenario ends with no process of its stack left (found by the state folder in
 * their environment), no temp folder and no Pulumi.<stack>.yaml beside the program.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { OWN_PROVIDER_DIR, toolchainDir } from "../../toolchain";
import { CliResult, describeFailure, PulumiStack, Step } from "../../toolchain/stack";
import type { CommandSpec } from "./programs/commands";

const PROGRAM = path.join(__dirname, "programs", "commands");
const PROJECT = "conformance-commands";
/** The engine's marker for a value not known yet. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
/**
 * `up` runs the update without its preview pass (which would run the program a second
 * time): previews are run, and checked, on their own.
 */
const SKIP_PREVIEW = ["--skip-preview"];
/** Set in the CLI's environment: the provider and its scripts inherit it. */
const BASE_MARK = "CONFORMANCE_BASE";

// Each scenario brings its own timeout; this is for the hooks.
jest.setTimeout(120_000);

// ---------------------------------------------------------------------------------------
// The program's config

interface Exported {
  id: string;
  stdout: string;
  stderr: string;
}

// ---------------------------------------------------------------------------------------
// The engine's events, as its event log holds them (one JSON object a line)

interface StepMetadata {
  op: string;
  urn: string;
  type: string;
  new?: { id?: string; outputs?: Record<string, unknown> } | null;
}

interface EngineEvent {
  sequence: number;
  /** Seconds since the epoch. */
  timestamp: number;
  diagnosticEvent?: { urn?: string; message: string; severity: string; ephemeral?: boolean };
  resourcePreEvent?: { metadata: StepMetadata };
  resOutputsEvent?: { metadata: StepMetadata };
  resOpFailedEvent?: { metadata: StepMetadata };
}

interface EventRun {
  code: number | null;
  stdout: string;
  stderr: string;
  events: EngineEvent[];
  steps: Step[];
  errors: string[];
}

// ---------------------------------------------------------------------------------------
// Processes

function environOf(pid: string): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  } catch {
    return [];
  }
}

function cmdlineOf(pid: number | string): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** A process's parent. */
function ppidOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return 0;
  }
}

/** Whether a process runs (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).charAt(0) !== "Z";
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------
// One scenario: a stack of the program, its temp folder, journal and cleanup

/**
 * Appends one line to the journal: the tag, the working directory, what came on stdin,
 * then each named variable as NAME=<base64 of its value>, or NAME! when it is unset.
 */
const REC_SH = `#!/bin/sh
journal=$1; tag=$2; shift 2
line="$tag pwd=$(pwd | base64 -w0) stdin=$(cat | base64 -w0)"
for v in "$@"; do
  if eval "[ -n \\"\\\${$v+set}\\" ]"; then line="$line $v=$(eval "printf %s \\"\\\$$v\\"" | base64 -w0)"; else line="$line $v!"; fi
done
printf '%s\\n' "$line" >> "$journal"
`;

interface JournalEntry {
  tag: string;
  pwd: string;
  stdin: string;
  /** The recorded variables; undefined when unset. */
  vars: Record<string, string | undefined>;
}

class Scenario {
  readonly name: string;
  readonly tmp: string;
  readonly work: string;
  readonly journalFile: string;
  /** A file a create touches (to show it did not run in a preview). */
  readonly marker: string;
  readonly stack: PulumiStack;
  private readonly rec: string;
  private readonly pidsToKill: number[] = [];

  constructor(
    readonly binDir: string,
    tag: string,
  ) {
    this.name = `conf-${tag}-${crypto.randomBytes(3).toString("hex")}`;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `conformance-${tag}-`));
    this.work = path.join(this.tmp, "work");
    fs.mkdirSync(this.work);
    this.journalFile = path.join(this.tmp, "journal");
    this.marker = path.join(this.tmp, "created-marker");
    this.rec = path.join(this.tmp, "rec.sh");
    fs.writeFileSync(this.rec, REC_SH);
    this.stack = new PulumiStack({
      stack: this.name,
      binDir,
      programDir: PROGRAM,
      backendUrl: this.backendUrl,
      configFile: path.join(this.tmp, "config.yaml"),
      env: this.env,
    });
  }

  /**
   * Laid over this process's environment for every CLI run: a Pulumi home of its own, so
   * the CLI's automatic logs stay in the temp folder and no plugin cache can stand in for
   * the project's provider, and the mark the scripts record.
   */
  get env(): NodeJS.ProcessEnv {
    return { PULUMI_HOME: path.join(this.tmp, "pulumi-home"), [BASE_MARK]: this.name };
  }

  get backendUrl(): string {
    return `file://${this.tmp}`;
  }

  /** Shell text that records TAG and the named variables in the journal. */
  record(tag: string, vars: string[] = []): string {
    return `sh ${this.rec} ${this.journalFile} ${tag} ${vars.join(" ")}`;
  }

  journal(): JournalEntry[] {
    if (!fs.existsSync(this.journalFile)) return [];
    const b64 = (s: string): string => Buffer.from(s, "base64").toString("utf8");
    return fs
      .readFileSync(this.journalFile, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((line) => {
        const [tag, ...fields] = line.split(" ");
        const e: JournalEntry = { tag, pwd: "", stdin: "", vars: {} };
        for (const f of fields) {
          if (f.endsWith("!")) e.vars[f.slice(0, -1)] = undefined;
          else {
            const i = f.indexOf("=");
            const [k, v] = [f.slice(0, i), b64(f.slice(i + 1))];
            if (k === "pwd") e.pwd = v.replace(/\n$/, "");
            else if (k === "stdin") e.stdin = v;
            else e.vars[k] = v;
          }
        }
        return e;
      });
  }

  tags(): string[] {
    return this.journal().map((e) => e.tag);
  }

  entry(tag: string): JournalEntry {
    const found = this.journal().filter((e) => e.tag === tag);
    if (found.length !== 1) throw new Error(`journal holds ${found.length} entries tagged ${tag}: ${this.tags().join(", ")}`);
    return found[0];
  }

  async init(commands: Record<string, CommandSpec>): Promise<void> {
    const r = await this.stack.init({ commands });
    if (r.code !== 0) throw new Error(describeFailure(r));
  }

  configure(commands: Record<string, CommandSpec>): void {
    this.stack.writeConfig({ commands });
  }

  /** Run `up` and fail the test with the CLI's output when it does not succeed. */
  async up(): Promise<CliResult> {
    const r = await this.stack.up(SKIP_PREVIEW);
    if (r.code !== 0) throw new Error(describeFailure(r));
    return r;
  }

  async outputs(): Promise<Record<string, Exported>> {
    const o = await this.stack.outputs();
    return ((o ?? {}).commands ?? {}) as Record<string, Exported>;
  }

  /** The stack's Command resources as the state file holds them (secrets still encrypted). */
  state(): Map<string, { id: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }> {
    const file = path.join(this.tmp, ".pulumi", "stacks", PROJECT, `${this.name}.json`);
    const resources = new Map<string, { id: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }>();
    if (!fs.existsSync(file)) return resources;
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as {
      checkpoint: { latest?: { resources?: { urn: string; type: string; id: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[] } };
    };
    for (const r of doc.checkpoint.latest?.resources ?? []) {
      if (r.type === "command:local:Command") resources.set(r.urn.split("::").pop() ?? r.urn, { id: r.id, inputs: r.inputs, outputs: r.outputs });
    }
    return resources;
  }

  /** Pending operations the state file records (an interrupted step leaves one). */
  pendingOperations(): unknown[] {
    const file = path.join(this.tmp, ".pulumi", "stacks", PROJECT, `${this.name}.json`);
    if (!fs.existsSync(file)) return [];
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { checkpoint: { latest?: { pending_operations?: unknown[] } } };
    return doc.checkpoint.latest?.pending_operations ?? [];
  }

  /** A CLI run with the engine's events kept. */
  async runWithEvents(args: string[]): Promise<EventRun> {
    const r = await this.stack.run([...args, "--skip-plugin-pre-install"]);
    return { ...r, events: r.events as unknown as EngineEvent[] };
  }

  /** Processes of this stack: the CLI, its plugins and their scripts all carry the state folder in their environment. */
  processes(): number[] {
    const mark = `PULUMI_BACKEND_URL=${this.backendUrl}`;
    return fs
      .readdirSync("/proc")
      .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
      .filter((p) => environOf(p).includes(mark))
      .map(Number);
  }

  /** A process the scenario started on purpose, killed (by its PID) in cleanup. */
  own(pid: number): void {
    this.pidsToKill.push(pid);
  }

  /**
   * Destroy what is left, remove the stack, its temp folder and processes; then say what
   * was left behind that should not have been.
   */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    for (const pid of this.pidsToKill) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone already
      }
    }
    // The CLI and its plugins exit when a run ends; give a provider a moment to follow.
    const stray = await waitFor("the stack's processes to end", () => (this.processes().length === 0 ? [] : undefined), 3000).catch(() => this.processes());
    for (const pid of stray) {
      problems.push(`process ${pid} left: ${cmdlineOf(pid)}`);
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    if (this.state().size > 0) {
      const d = await this.stack.destroy();
      if (d.code !== 0) problems.push(`destroy failed: ${describeFailure(d)}`);
    }
    // What may remain, the stack resource and its default provider, exist only in the state.
    const rm = await this.stack.run(["stack", "rm", "--yes", "--force", "--preserve-config"]);
    if (rm.code !== 0) problems.push(`stack rm failed: ${describeFailure(rm)}`);
    const stackFile = path.join(PROGRAM, `Pulumi.${this.name}.yaml`);
    if (fs.existsSync(stackFile)) {
      problems.push(`${stackFile} left beside the program`);
      fs.rmSync(stackFile, { force: true });
    }
    fs.rmSync(this.tmp, { recursive: true, force: true });
    return problems;
  }
}

/** Run a scenario's body, then its cleanup; leftovers fail the test as the body's own failures do. */
async function scenario(tag: string, body: (s: Scenario) => Promise<void>): Promise<void> {
  const s = new Scenario(toolchainDir(), tag);
  let failure: unknown;
  try {
    await body(s);
  } catch (e) {
    failure = e;
  }
  const problems = await s.cleanup();
  if (failure !== undefined) throw failure;
  expect(problems).toEqual([]);
}

function stepOps(steps: Step[], name: string): string[] {
  return steps.filter((s) => s.name === name && s.type === "command:local:Command").map((s) => s.op);
}

function failedSteps(steps: Step[]): string[] {
  return steps.filter((s) => s.failed).map((s) => s.name);
}

function diagnosticsOf(r: EventRun, name: string): { message: string; timestamp: number; sequence: number; severity: string; ephemeral: boolean }[] {
  return r.events
    .filter((e) => e.diagnosticEvent?.urn?.endsWith(`::command:local:Command::${name}`))
    .map((e) => ({
      message: e.diagnosticEvent?.message ?? "",
      timestamp: e.timestamp,
      sequence: e.sequence,
      severity: e.diagnosticEvent?.severity ?? "",
      ephemeral: e.diagnosticEvent?.ephemeral === true,
    }));
}

/** The event that ends a Command's step (its outputs). */
function outputsEvent(r: EventRun, name: string): EngineEvent {
  const e = r.events.find((x) => x.resOutputsEvent?.metadata.urn.endsWith(`::command:local:Command::${name}`));
  if (!e) throw new Error(`no outputs event for ${name}`);
  return e;
}

/** The stack outputs a preview ends with (the last outputs event of the stack resource). */
function previewedOutputs(r: EventRun): Record<string, Exported> | undefined {
  const stackOutputs = r.events.filter((e) => e.resOutputsEvent?.metadata.type === "pulumi:pulumi:Stack").pop();
  return stackOutputs?.resOutputsEvent?.metadata.new?.outputs?.commands as Record<string, Exported> | undefined;
}

function isSecretValue(v: unknown): boolean {
  return typeof v === "object" && v !== null && SECRET_SIG_KEY in v;
}

// ---------------------------------------------------------------------------------------

describe("command:local:Command under the real engine (project provider, as pulumi-command 1.2.1)", () => {
  const recVars = ["FOO", "PULUMI_COMMAND_STDOUT", "PULUMI_COMMAND_STDERR", BASE_MARK];

  /** The lifecycle's Commands, at version `v` of their inputs. */
  function lifecycle(s: Scenario, v: string): Record<string, CommandSpec> {
    return {
      full: {
        // bash, to prove `interpreter` is used: $0 and BASH_VERSION are bash's
        interpreter: ["/bin/bash", "-c"],
        dir: s.work,
        stdin: `in-${v}`,
        environment: { FOO: v },
        create: `touch ${s.marker}; ZERO=$0 BV=$BASH_VERSION ${s.record("full-create", [...recVars, "ZERO", "BV"])}; printf 'out %s\\n\\n' "$FOO"; printf 'err %s\\n' "$FOO" >&2`,
        update: `${s.record(`full-update-${v}`, recVars)}; printf 'out %s\\n\\n' "$FOO"; printf 'err %s\\n' "$FOO" >&2`,
        delete: s.record("full-delete", recVars),
      },
      // no update: a change runs create again, with the previous outputs
      createOnly: { environment: { FOO: v }, create: `${s.record(`createOnly-create-${v}`, recVars)}; echo "c-$FOO"` },
      // addPreviousOutputInEnv false: no PULUMI_COMMAND_STDOUT/_STDERR in update and delete
      noPrev: {
        addPreviousOutputInEnv: false,
        environment: { FOO: v },
        create: `${s.record("noPrev-create", recVars)}; echo np-out; echo np-err >&2`,
        update: `${s.record("noPrev-update", recVars)}; echo np-out2`,
        delete: s.record("noPrev-delete", recVars),
      },
      // triggers change: replaced even though it has an update; the replaced one's delete sees its stored env
      trig: {
        triggers: [v],
        environment: { FOO: `t${v}` },
        create: `${s.record(`trig-create-${v}`, recVars)}; echo "trig $FOO"`,
        update: s.record("trig-update", recVars),
        delete: s.record(`trig-delete`, recVars),
      },
      // depends on full's stdout: unknown in a preview that updates full
      dep: { environmentFrom: { UP: "full" }, create: s.record("dep-create", ["UP"]), update: s.record(`dep-update-${v}`, ["UP"]) },
      // never changes: its create never runs again; no dir: the program's folder
      steady: { create: `${s.record("steady-create", recVars)}; echo steady` },
      // its create goes in version 2: the update then runs nothing and keeps the outputs
      scriptless: v === "1" ? { environment: { FOO: v }, create: "echo from-create" } : { environment: { FOO: v } },
      // the same value turning secret is a change (the engine's DeepEquals); its outputs turn secret too
      turnsSecret: { environment: { S: "same" }, secretEnvironment: v === "1" ? [] : ["S"], create: `${s.record(`turnsSecret-create-${v}`, ["S"])}; echo "$S"` },
    };
  }

  test.concurrent(
    "preview: runs no create nor update; outputs of a create, or of an update, are unknown; a changed input previews an update, a changed trigger a replacement, an unknown input an update",
    () =>
      scenario("prev", async (s) => {
        await s.init(lifecycle(s, "1"));

        const p1 = await s.runWithEvents(["preview"]);
        expect({ code: p1.code, errors: p1.errors }).toEqual({ code: 0, errors: [] });
        expect(fs.existsSync(s.marker)).toBe(false);
        expect(s.journal()).toEqual([]);
        for (const name of Object.keys(lifecycle(s, "1"))) {
          expect([name, stepOps(p1.steps, name)]).toEqual([name, ["create"]]);
          expect([name, previewedOutputs(p1)?.[name]]).toEqual([name, { id: UNKNOWN, stdout: UNKNOWN, stderr: UNKNOWN }]);
        }

        await s.up();
        expect(s.journal()).toHaveLength(7);
        s.configure(lifecycle(s, "2"));
        const p2 = await s.runWithEvents(["preview"]);
        expect({ code: p2.code, errors: p2.errors }).toEqual({ code: 0, errors: [] });
        expect(s.journal()).toHaveLength(7);
        expect(stepOps(p2.steps, "turnsSecret")).toEqual(["update"]);
        expect(stepOps(p2.steps, "scriptless")).toEqual(["update"]);
        expect(stepOps(p2.steps, "full")).toEqual(["update"]);
        expect(stepOps(p2.steps, "createOnly")).toEqual(["update"]);
        expect(stepOps(p2.steps, "trig")).toEqual(expect.arrayContaining(["create-replacement", "replace", "delete-replaced"]));
        expect(stepOps(p2.steps, "trig")).not.toContain("update");
        expect(stepOps(p2.steps, "dep")).toEqual(["update"]);
        expect(stepOps(p2.steps, "steady")).toEqual(["same"]);
        const previewed = previewedOutputs(p2);
        expect(previewed?.full.stdout).toBe(UNKNOWN);
        expect(previewed?.trig.stdout).toBe(UNKNOWN);
        expect(previewed?.steady.stdout).toBe("steady");
      }),
    120_000,
  );

  test.concurrent(
    "lifecycle: create, update (or create again without one), replace on triggers and delete get the inputs, dir, stdin, interpreter, environment and previous outputs upstream gives them",
    () =>
      scenario("life", async (s) => {
        await s.init(lifecycle(s, "1"));

        // Create, by the project's provider.
        const up1 = await s.up();
        expect(up1.stdout).toContain(`using pulumi-resource-command from $PATH at ${path.join(OWN_PROVIDER_DIR, "pulumi-resource-command")}`);
        for (const name of Object.keys(lifecycle(s, "1"))) expect([name, stepOps(up1.steps, name)]).toEqual([name, ["create"]]);
        expect(fs.existsSync(s.marker)).toBe(true);
        expect(s.entry("full-create")).toEqual({
          tag: "full-create",
          pwd: s.work,
          stdin: "in-1",
          vars: { FOO: "1", PULUMI_COMMAND_STDOUT: undefined, PULUMI_COMMAND_STDERR: undefined, [BASE_MARK]: s.name, ZERO: "/bin/bash", BV: expect.stringMatching(/^\d/) },
        });
        expect(s.entry("steady-create")).toMatchObject({ pwd: PROGRAM, stdin: "" });
        const o1 = await s.outputs();
        // exactly one trailing newline trimmed from each stream
        expect(o1.full).toEqual({ id: expect.stringMatching(/^full[0-9a-f]{8}$/), stdout: "out 1\n", stderr: "err 1" });
        expect(o1.noPrev).toMatchObject({ stdout: "np-out", stderr: "np-err" });
        expect(s.entry("dep-create").vars.UP).toBe("out 1\n");

        // Update.
        s.configure(lifecycle(s, "2"));
        const up2 = await s.up();
        expect(stepOps(up2.steps, "full")).toEqual(["update"]);
        expect(stepOps(up2.steps, "createOnly")).toEqual(["update"]);
        expect(stepOps(up2.steps, "trig")).toEqual(expect.arrayContaining(["create-replacement", "replace", "delete-replaced"]));
        expect(stepOps(up2.steps, "trig")).not.toContain("update");
        expect(stepOps(up2.steps, "steady")).toEqual(["same"]);
        // update: the new inputs, the previous outputs in the environment
        expect(s.entry("full-update-2")).toMatchObject({
          pwd: s.work,
          stdin: "in-2",
          vars: { FOO: "2", PULUMI_COMMAND_STDOUT: "out 1\n", PULUMI_COMMAND_STDERR: "err 1", [BASE_MARK]: s.name },
        });
        // no update script: create runs again, with the previous outputs too
        expect(s.entry("createOnly-create-2").vars).toMatchObject({ FOO: "2", PULUMI_COMMAND_STDOUT: "c-1", PULUMI_COMMAND_STDERR: undefined });
        expect(s.entry("noPrev-update").vars).toMatchObject({ FOO: "2", PULUMI_COMMAND_STDOUT: undefined, PULUMI_COMMAND_STDERR: undefined });
        // replacement: a fresh create (no previous outputs), the old one's delete with its stored env and outputs
        expect(s.entry("trig-create-2").vars).toMatchObject({ FOO: "t2", PULUMI_COMMAND_STDOUT: undefined });
        expect(s.entry("trig-delete").vars).toMatchObject({ FOO: "t1", PULUMI_COMMAND_STDOUT: "trig t1" });
        expect(s.tags()).not.toContain("trig-update");
        expect(s.entry("dep-update-2").vars.UP).toBe("out 2\n");
        expect(s.tags().filter((t) => t === "steady-create")).toHaveLength(1);
        const o2 = await s.outputs();
        expect(o2.full).toEqual({ id: o1.full.id, stdout: "out 2\n", stderr: "err 2" });
        expect(o2.trig.id).not.toBe(o1.trig.id);
        expect(o2.noPrev).toMatchObject({ stdout: "np-out2", stderr: "" });
        expect(stepOps(up2.steps, "scriptless")).toEqual(["update"]);
        expect(o2.scriptless.stdout).toBe("from-create");
        expect(stepOps(up2.steps, "turnsSecret")).toEqual(["update"]);
        expect(s.entry("turnsSecret-create-2").vars.S).toBe("same");
        expect(isSecretValue(s.state().get("turnsSecret")?.outputs.stdout)).toBe(true);
        expect(isSecretValue(s.state().get("full")?.outputs.stdout)).toBe(false);

        // Delete: removed from the program, each runs its stored delete with its stored inputs and outputs.
        s.configure({});
        const up3 = await s.up();
        for (const name of Object.keys(lifecycle(s, "2"))) expect([name, stepOps(up3.steps, name)]).toEqual([name, ["delete"]]);
        expect(s.entry("full-delete")).toMatchObject({
          pwd: s.work,
          stdin: "in-2",
          vars: { FOO: "2", PULUMI_COMMAND_STDOUT: "out 2\n", PULUMI_COMMAND_STDERR: "err 2" },
        });
        expect(s.entry("noPrev-delete").vars).toMatchObject({ FOO: "2", PULUMI_COMMAND_STDOUT: undefined, PULUMI_COMMAND_STDERR: undefined });
        expect(s.tags().filter((t) => t === "trig-delete")).toHaveLength(2);
        expect(s.journal().filter((e) => e.tag === "trig-delete")[1].vars).toMatchObject({ FOO: "t2", PULUMI_COMMAND_STDOUT: "trig t2" });
        expect([...s.state().keys()]).toEqual([]);
      }),
    120_000,
  );

  test.concurrent(
    "failures: a failed create saves nothing and its delete never runs; a failed update keeps the old state; the error has the exit status and what the command printed",
    () =>
      scenario("fail", async (s) => {
        const recVars = ["FOO", "PULUMI_COMMAND_STDOUT"];
        const keeper = (foo: string, update: string): CommandSpec => ({
          environment: { FOO: foo },
          create: `echo "kept $FOO"`,
          update,
          delete: s.record("keeper-delete", recVars),
        });
        await s.init({
          keeper: keeper("1", "echo never"),
          bad: {
            create: 'echo partial-out; echo "create failed: boom" >&2; exit 7',
            delete: s.record("bad-delete"),
            dependsOn: ["keeper"],
          },
          // a dir that does not exist fails the create before anything runs
          noDir: { dir: path.join(s.tmp, "missing"), create: `touch ${s.marker}`, dependsOn: ["keeper"] },
        });

        const up1 = await s.stack.up(SKIP_PREVIEW);
        expect(up1.code).not.toBe(0);
        expect(failedSteps(up1.steps).sort()).toEqual(["bad", "noDir"]);
        const badError = up1.errors.find((e) => e.startsWith("bad: "));
        expect(badError).toBeDefined();
        expect(badError).toContain('exit status 7: running "echo partial-out; echo \\"create failed: boom\\" >&2; exit 7"');
        expect(badError).toContain("partial-out");
        expect(badError).toContain("create failed: boom");
        expect(up1.errors.find((e) => e.startsWith("noDir: "))).toContain(`chdir ${path.join(s.tmp, "missing")}: no such file or directory: running "touch ${s.marker}"`);
        expect(fs.existsSync(s.marker)).toBe(false);
        expect(s.state().has("bad")).toBe(false);
        expect(s.state().has("noDir")).toBe(false);
        expect(s.state().get("keeper")?.outputs.stdout).toBe("kept 1");

        // Without `bad` and with a failing update: the update fails with its stderr; the state stays.
        s.configure({ keeper: keeper("2", 'echo "update failed: $FOO" >&2; exit 3') });
        const up2 = await s.stack.up(SKIP_PREVIEW);
        expect(up2.code).not.toBe(0);
        expect(stepOps(up2.steps, "keeper")).toEqual(["update"]);
        expect(failedSteps(up2.steps)).toEqual(["keeper"]);
        expect(up2.errors.join("\n")).toContain("exit status 3");
        expect(up2.errors.join("\n")).toContain("update failed: 2");
        expect(stepOps(up2.steps, "bad")).toEqual([]); // nothing saved, so nothing to delete
        const kept = s.state().get("keeper");
        expect(kept?.inputs.environment).toEqual({ FOO: "1" });
        expect(kept?.outputs.stdout).toBe("kept 1");

        // Destroy: the delete sees the stored env (FOO=1), not what the program last asked for.
        const d = await s.stack.destroy();
        expect(d.code).toBe(0);
        expect(s.entry("keeper-delete").vars).toEqual({ FOO: "1", PULUMI_COMMAND_STDOUT: "kept 1" });
        expect(s.tags()).not.toContain("bad-delete");
      }),
    120_000,
  );

  test.concurrent(
    "output: streamed to the engine's log while the command runs, in order, per `logging`; argv is the interpreter then the script; a secret input makes stdout and stderr secret; a process holding the output pipes keeps the step waiting, a detached one does not",
    () =>
      scenario("out", async (s) => {
        const pidFile = path.join(s.tmp, "detached.pid");
        const startFile = path.join(s.tmp, "held.start");
        const doneFile = path.join(s.tmp, "held.done");
        const printing = "echo o-1; echo e-1 >&2; printf 'cr\\r\\n'";
        await s.init({
          stream: { create: "echo before; sleep 2; echo after" },
          logNone: { logging: "none", create: printing },
          logStdout: { logging: "stdout", create: printing },
          logStderr: { logging: "stderr", create: printing },
          logBoth: { logging: "stdoutAndStderr", create: printing },
          logDefault: { create: printing },
          argv: { interpreter: ["/bin/sh", "-c", 'printf "%s|" "$0" "$@"', "zero"], create: "the-script" },
          secret: { environment: { PLAIN: "p", HIDDEN: "h" }, secretEnvironment: ["HIDDEN"], create: 'echo "$PLAIN $HIDDEN"; echo e >&2' },
          // the background subshell holds stdout for 3 s (the script notes the times, in seconds as the engine's)
          held: { create: `date +%s > ${startFile}; echo started; (sleep 3; date +%s > ${doneFile}) &` },
          detached: { create: `setsid sh -c 'echo $$ > ${pidFile}; exec sleep 30' </dev/null >/dev/null 2>&1 & echo started` },
        });
        const up = await s.runWithEvents(["up", "--yes", ...SKIP_PREVIEW]);
        const detachedPid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, "utf8").trim()) : 0;
        if (detachedPid > 0) s.own(detachedPid);
        expect({ code: up.code, errors: up.errors }).toEqual({ code: 0, errors: [] });

        // Streaming: "before" reaches the engine while the command sleeps, before "after" and the step's end.
        const stream = diagnosticsOf(up, "stream");
        expect(stream.map((d) => d.message)).toEqual(["before\n", "after\n"]);
        expect(stream.every((d) => d.severity === "info" && d.ephemeral)).toBe(true);
        expect(stream[0].timestamp).toBeLessThan(stream[1].timestamp);
        expect(stream[0].timestamp).toBeLessThan(outputsEvent(up, "stream").timestamp);
        expect(outputsEvent(up, "stream").sequence).toBeGreaterThan(stream[1].sequence);

        // Logging: which streams reach the log; a line's trailing \r is dropped there (not in the output).
        const logged = (name: string): string[] => diagnosticsOf(up, name).map((d) => d.message).sort();
        expect(logged("logNone")).toEqual([]);
        expect(logged("logStdout")).toEqual(["cr\n", "o-1\n"]);
        expect(logged("logStderr")).toEqual(["e-1\n"]);
        expect(logged("logBoth")).toEqual(["cr\n", "e-1\n", "o-1\n"]);
        expect(logged("logDefault")).toEqual(["cr\n", "e-1\n", "o-1\n"]);
        const outs = await s.outputs();
        expect(outs.logNone).toMatchObject({ stdout: "o-1\ncr\r", stderr: "e-1" });
        expect(outs.argv.stdout).toBe("zero|the-script|");

        // Secrets: upstream's outputs depend on every input, so a secret input makes them secret.
        const secretState = s.state().get("secret");
        expect(isSecretValue(secretState?.outputs.stdout)).toBe(true);
        expect(isSecretValue(secretState?.outputs.stderr)).toBe(true);
        expect(isSecretValue(s.state().get("logNone")?.outputs.stdout)).toBe(false);
        expect(outs.secret).toMatchObject({ stdout: "p h", stderr: "e" });
        const plainOutputs = await s.stack.run(["stack", "output", "--json"]);
        const shown = (JSON.parse(plainOutputs.stdout) as { commands: Record<string, Exported> }).commands;
        expect(shown.secret).toMatchObject({ stdout: "[secret]", stderr: "[secret]" });
        expect(shown.logNone.stdout).toBe("o-1\ncr\r");

        // Held pipes: the step ends only after the background process (and its 3 s) is gone.
        const [heldStart, heldDone] = [startFile, doneFile].map((f) => Number(fs.readFileSync(f, "utf8")));
        expect(heldDone - heldStart).toBeGreaterThanOrEqual(3);
        expect(outputsEvent(up, "held").timestamp).toBeGreaterThanOrEqual(heldDone);
        expect(diagnosticsOf(up, "held").map((d) => d.message)).toEqual(["started\n"]);
        expect(outs.held.stdout).toBe("started");
        // Detached: the step ended while the process lives on, so it did not wait for it.
        expect(detachedPid).toBeGreaterThan(0);
        expect(alive(detachedPid)).toBe(true);
        expect(outs.detached.stdout).toBe("started");
      }),
    120_000,
  );

  async function interrupted(s: Scenario, how: "cli" | "provider"): Promise<void> {
    const pids = path.join(s.tmp, "sleep.pids");
    await s.init({
      sleeper: {
        create: `sleep 300 & echo $! >> ${pids}; sleep 300 & echo $! >> ${pids}; wait`,
        delete: s.record("sleeper-delete"),
      },
    });
    const abort = new AbortController();
    let cliPid = 0;
    const running = s.stack.up(SKIP_PREVIEW, { signal: abort.signal, onStart: (pid) => (cliPid = pid) });
    const sleeps = await waitFor(
      "the create's two sleeps",
      () => {
        const got = fs.existsSync(pids) ? fs.readFileSync(pids, "utf8").trim().split("\n").filter((l) => l !== "").map(Number) : [];
        return got.length === 2 ? got : undefined;
      },
      60_000,
    );
    for (const pid of sleeps) s.own(pid); // killed in cleanup should the provider not have
    expect(sleeps.every(alive)).toBe(true);
    const signalled = Date.now();
    if (how === "cli") {
      abort.abort(); // SIGINT to the CLI, as Ctrl-C: the engine cancels, calling the provider's Cancel before it closes the plugin
    } else {
      // SIGINT to the provider alone: how the engine closes a plugin (to its process group,
      // which the scripts, in sessions of their own, are not in)
      const provider = s.processes().find((pid) => cmdlineOf(pid).includes("provider/main.js") && ppidOf(pid) === cliPid);
      expect(provider).toBeDefined();
      process.kill(provider as number, "SIGINT");
    }
    const r = await running;
    const tookMs = Date.now() - signalled;
    expect(r.code).not.toBe(0);
    expect(tookMs).toBeLessThan(10_000);
    // the provider stopped the script (SIGTERM to its group) and said so
    expect(r.errors.find((e) => e.startsWith("sleeper: "))).toMatch(/^sleeper: signal: terminated: running "sleep 300 & /);
    expect(sleeps.filter(alive)).toEqual([]);
    expect(s.state().has("sleeper")).toBe(false);
    expect(s.pendingOperations()).toEqual([]);
    // A destroy afterwards has nothing of it to delete.
    const d = await s.stack.destroy();
    expect(d.code).toBe(0);
    expect(s.tags()).toEqual([]);
  }

  test.concurrent(
    "cancel: SIGINT to the CLI (the engine's Cancel) stops the running create's whole process group at once; nothing is saved",
    () => scenario("int", (s) => interrupted(s, "cli")),
    120_000,
  );

  test.concurrent(
    "SIGINT to the provider stops the running create's whole process group at once; the up fails and nothing is saved",
    () => scenario("sig", (s) => interrupted(s, "provider")),
    120_000,
  );
});
