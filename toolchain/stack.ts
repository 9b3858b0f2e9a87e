/**
 * One stack driven through the real Pulumi CLI, for the project's tools and tests
 * (npm run e2e, the e2e suites, the bench): its own state folder or the user's, its
 * config in a file of the caller's choosing, and each run's engine events read back so a
 * caller can tell which resources were created, updated, replaced or failed.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as yaml from "js-yaml";
import { pulumiEnv, pulumiHome, REPO_DIR } from "./index";

export interface StackOptions {
  /** The stack's name. */
  stack: string;
  /** The folder holding `pulumi` (toolchainDir()). */
  binDir: string;
  /** The program's folder (default: this repository). */
  programDir?: string;
  /** State backend, e.g. `file:///tmp/x` (default: Pulumi.yaml's, the user's home). */
  backendUrl?: string;
  /** The stack's config file (default: Pulumi.<stack>.yaml in the program's folder). */
  configFile?: string;
  /** Environment laid over this process's before pulumiEnv(). */
  env?: NodeJS.ProcessEnv;
  /** Where the PIDs of its CLI runs are recorded (pass one array to share it between instances). */
  pids?: number[];
}

/** One resource's step in a run, from the engine's events. */
export interface Step {
  /** The resource's name (the URN's last part). */
  name: string;
  type: string;
  /** create, update, same, delete, replace, create-replacement, delete-replaced, read, refresh, … */
  op: string;
  /** True when the step failed. */
  failed: boolean;
}

export interface CliResult {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The steps of the run (empty for commands that run no update). */
  steps: Step[];
  /** Error diagnostics the engine reported, with the resource they belong to. */
  errors: string[];
  /** The engine's events of the run, as it wrote them. */
  events: EngineEvent[];
  durationMs: number;
}

export interface RunOptions {
  /** Aborting sends the CLI SIGINT, as Ctrl-C does. */
  signal?: AbortSignal;
  /** Each chunk the CLI prints, as it comes. */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
  /** Called with the CLI's PID once it started. */
  onStart?: (pid: number) => void;
}

/** One event of the engine's event log (its fields depend on the kind). */
export type EngineEvent = Record<string, unknown>;

function urnName(urn: string): string {
  return urn.split("::").pop() ?? urn;
}

/**
 * Whether a file in $PULUMI_HOME/logs is the CLI's log of a run of this stack: it writes
 * `pulumi-<time>-<pid>[-<command>].log` and renames it `organization+<project>+<stack>-<time>.log`
 * once it knows the stack.
 */
export function isRunLog(name: string, project: string, stack: string, pids: ReadonlySet<number>): boolean {
  const byStack = `organization+${project}+${stack}-`;
  if (name.startsWith(byStack) && /^\d{8}T\d{6}/.test(name.slice(byStack.length))) return true;
  const pid = /^pulumi-\d{8}T\d{6}-(\d+)(?:-.*)?\.log$/.exec(name)?.[1];
  return pid !== undefined && pids.has(Number(pid));
}

/** The CLI's log files of a stack's runs (names in $PULUMI_HOME/logs). */
export function runLogs(project: string, stack: string, pids: ReadonlySet<number>): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(pulumiHome(), "logs"));
  } catch {
    return [];
  }
  return names.filter((n) => isRunLog(n, project, stack, pids));
}

/** Steps and error diagnostics out of an engine event log (one JSON event per line). */
export function readEvents(text: string): { steps: Step[]; errors: string[]; events: EngineEvent[] } {
  const steps = new Map<string, Step>();
  const errors: string[] = [];
  const events: EngineEvent[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let e: EngineEvent;
    try {
      e = JSON.parse(line) as EngineEvent;
    } catch {
      continue; // a line cut short by a killed CLI
    }
    events.push(e);
    const meta = (ev: unknown): { op?: string; urn?: string; type?: string } =>
      ((ev as { metadata?: unknown } | undefined)?.metadata ?? {}) as { op?: string; urn?: string; type?: string };
    const key = (m: { op?: string; urn?: string }): string => `${m.urn}|${m.op}`;
    for (const kind of ["resourcePreEvent", "resOutputsEvent", "resOpFailedEvent"] as const) {
      if (!(kind in e)) continue;
      const m = meta(e[kind]);
      if (!m.urn || !m.op) continue;
      const prev = steps.get(key(m));
      steps.set(key(m), { name: urnName(m.urn), type: m.type ?? "", op: m.op, failed: kind === "resOpFailedEvent" || (prev?.failed ?? false) });
    }
    const diag = e.diagnosticEvent as { severity?: string; message?: string; urn?: string } | undefined;
    if (diag?.severity === "error" && diag.message) errors.push(`${diag.urn ? `${urnName(diag.urn)}: ` : ""}${diag.message.trim()}`);
  }
  return { steps: [...steps.values()], errors, events };
}

export class PulumiStack {
  readonly stack: string;
  readonly programDir: string;
  readonly configFile: string;
  /** The PIDs of the CLIs this stack started (their log files are named by them). */
  readonly pids: number[];
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly opts: StackOptions) {
    this.stack = opts.stack;
    this.pids = opts.pids ?? [];
    this.programDir = opts.programDir ?? REPO_DIR;
    this.configFile = opts.configFile ?? path.join(this.programDir, `Pulumi.${opts.stack}.yaml`);
    this.env = pulumiEnv(opts.binDir, {
      ...process.env,
      ...(opts.backendUrl ? { PULUMI_BACKEND_URL: opts.backendUrl } : {}),
      ...opts.env,
      // The engine writes its events where readEvents finds them (a debug flag of the CLI).
      PULUMI_DEBUG_COMMANDS: "true",
    });
  }

  /** Run `pulumi ARGS --stack S [--config-file F]`; never throws on a failing CLI. */
  run(args: string[], opts: RunOptions = {}): Promise<CliResult> {
    const eventLog = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-events-")), "events.jsonl");
    const withEvents = ["up", "preview", "destroy", "refresh"].includes(args[0]);
    const takesConfig = withEvents || args[0] === "config";
    const full = [
      ...args,
      "--stack",
      this.stack,
      "--non-interactive",
      ...(takesConfig ? ["--config-file", this.configFile] : []),
      ...(withEvents ? ["--event-log", eventLog] : []),
    ];
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(path.join(this.opts.binDir, "pulumi"), full, { cwd: this.programDir, env: this.env, stdio: ["ignore", "pipe", "pipe"] });
      if (child.pid !== undefined) {
        this.pids.push(child.pid);
        opts.onStart?.(child.pid);
      }
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => {
        out.push(c);
        opts.onOutput?.("stdout", c.toString("utf8"));
      });
      child.stderr.on("data", (c: Buffer) => {
        err.push(c);
        opts.onOutput?.("stderr", c.toString("utf8"));
      });
      const abort = (): void => {
        child.kill("SIGINT");
      };
      opts.signal?.addEventListener("abort", abort, { once: true });
      child.on("close", (code, signal) => {
        opts.signal?.removeEventListener("abort", abort);
        const events = fs.existsSync(eventLog) ? readEvents(fs.readFileSync(eventLog, "utf8")) : { steps: [], errors: [], events: [] };
        fs.rmSync(path.dirname(eventLog), { recursive: true, force: true });
        resolve({
          args: full,
          code,
          signal,
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          ...events,
          durationMs: Date.now() - started,
        });
      });
    });
  }

  /** Create the stack (select it when it exists), keeping its config in `configFile`. */
  async init(config: Record<string, unknown> = {}): Promise<CliResult> {
    const repoStackFile = path.join(this.programDir, `Pulumi.${this.stack}.yaml`);
    const hadRepoFile = fs.existsSync(repoStackFile);
    const r = await this.run(["stack", "select", "--create"]);
    // `stack select --create` writes the passphrase's salt into Pulumi.<stack>.yaml beside
    // the program; the salt is in the stack's state too, so a config file elsewhere suffices.
    if (!hadRepoFile && path.resolve(repoStackFile) !== path.resolve(this.configFile)) fs.rmSync(repoStackFile, { force: true });
    this.writeConfig(config);
    return r;
  }

  /** The project's name, from the program's Pulumi.yaml. */
  project(): string {
    return (yaml.load(fs.readFileSync(path.join(this.programDir, "Pulumi.yaml"), "utf8")) as { name: string }).name;
  }

  /** The CLI's log files of this stack's runs, in $PULUMI_HOME/logs. */
  cliLogs(): string[] {
    return runLogs(this.project(), this.stack, new Set(this.pids));
  }

  /** Remove the CLI's log files of this stack's runs, nothing else. */
  removeCliLogs(): void {
    for (const n of this.cliLogs()) fs.rmSync(path.join(pulumiHome(), "logs", n), { force: true });
  }

  /** Write the stack's config file: `config` keys bare or `project:`-namespaced. */
  writeConfig(config: Record<string, unknown>): void {
    const project = this.project();
    const namespaced = Object.fromEntries(
      Object.entries(config)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]),
    );
    fs.writeFileSync(this.configFile, yaml.dump({ config: namespaced }));
  }

  up(extra: string[] = [], opts: RunOptions = {}): Promise<CliResult> {
    return this.run(["up", "--yes", "--skip-plugin-pre-install", ...extra], opts);
  }

  preview(extra: string[] = [], opts: RunOptions = {}): Promise<CliResult> {
    return this.run(["preview", "--skip-plugin-pre-install", ...extra], opts);
  }

  destroy(extra: string[] = [], opts: RunOptions = {}): Promise<CliResult> {
    return this.run(["destroy", "--yes", "--skip-plugin-pre-install", ...extra], opts);
  }

  /** The stack's outputs (secrets shown), or null when the stack has none or the CLI failed. */
  async outputs(): Promise<Record<string, unknown> | null> {
    const r = await this.run(["stack", "output", "--json", "--show-secrets"]);
    if (r.code !== 0) return null;
    try {
      const v = JSON.parse(r.stdout) as unknown;
      return v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0 ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  /** Remove the stack and its state (its resources must be gone). */
  rm(): Promise<CliResult> {
    return this.run(["stack", "rm", "--yes", "--preserve-config"]);
  }
}

/** A failed CLI run, said with what it ran and the end of what it printed. */
export function describeFailure(r: CliResult): string {
  const tail = (s: string): string => s.slice(-4000);
  return `pulumi ${r.args.join(" ")} exited ${r.code ?? r.signal}${r.errors.length > 0 ? `\nerrors:\n  ${r.errors.join("\n  ")}` : ""}\nstdout:\n${tail(r.stdout)}\nstderr:\n${tail(r.stderr)}`;
}
