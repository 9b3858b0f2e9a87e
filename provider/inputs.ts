/**
 * What pulumi-command 1.2.1's `command:local:Command` makes of its inputs, as pure
 * functions: which script runs, with which argv, environment and stdin, which output is
 * logged, and whether a change updates or replaces. Read from pulumi-command v1.2.1
 * (provider/pkg/provider/local) and pulumi-go-provider's infer resource lifecycle.
 */

/** A property value as the engine sends it (secrets and unknowns included). */
export type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
export type Props = Record<string, Value>;

/** The engine's marker for a value not known yet (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** The key and value that mark an object as a secret in the provider protocol. */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export type Logging = "stdout" | "stderr" | "stdoutAndStderr" | "none";

/** The Command's inputs that decide what runs. */
export interface CommandInputs {
  create?: string;
  update?: string;
  delete?: string;
  stdin?: string;
  logging?: Logging;
  interpreter?: string[];
  dir?: string;
  environment?: Record<string, string>;
  addPreviousOutputInEnv?: boolean;
}

/** The outputs the provider adds to the inputs. */
export const OUTPUT_KEYS = ["stdout", "stderr"] as const;

export const DEFAULT_INTERPRETER: readonly string[] = ["/bin/sh", "-c"];

/** A value with every secret wrapper replaced by the value inside it. */
export function reveal(v: Value): Value {
  if (Array.isArray(v)) return v.map(reveal);
  if (v !== null && typeof v === "object") {
    if (v[SIG_KEY] === SECRET_SIG) return reveal(v.value ?? null);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}

/** Whether a value is a secret wrapper. */
export function isSecret(v: Value | undefined): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v) && v[SIG_KEY] === SECRET_SIG;
}

/** A value wrapped as a secret (a secret stays as it is). */
export function secret(v: Value): Value {
  return isSecret(v) ? v : { [SIG_KEY]: SECRET_SIG, value: v };
}

/** Whether a value holds a secret anywhere. */
export function containsSecret(v: Value | undefined): boolean {
  if (isSecret(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecret);
  if (v !== null && typeof v === "object") return Object.values(v).some(containsSecret);
  return false;
}

/** Whether a value holds an unknown anywhere (only in preview). */
export function hasUnknown(v: Value | undefined): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (v !== null && typeof v === "object") return Object.values(v).some(hasUnknown);
  return false;
}

/** Read the inputs that decide what runs (secrets revealed; unknown keys ignored). */
export function commandInputs(props: Props): CommandInputs {
  const p = reveal(props) as Props;
  const str = (v: Value | undefined): string | undefined => (typeof v === "string" ? v : undefined);
  const env = p.environment;
  const logging = str(p.logging);
  return {
    create: str(p.create),
    update: str(p.update),
    delete: str(p.delete),
    stdin: str(p.stdin),
    logging: logging === "stdout" || logging === "stderr" || logging === "stdoutAndStderr" || logging === "none" ? logging : undefined,
    interpreter: Array.isArray(p.interpreter) ? p.interpreter.filter((x): x is string => typeof x === "string") : undefined,
    dir: str(p.dir),
    environment:
      env !== null && typeof env === "object" && !Array.isArray(env)
        ? Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]))
        : undefined,
    addPreviousOutputInEnv: typeof p.addPreviousOutputInEnv === "boolean" ? p.addPreviousOutputInEnv : undefined,
  };
}

/** argv: `interpreter` (or /bin/sh -c) followed by the script. */
export function commandArgv(inputs: CommandInputs, script: string): string[] {
  const interpreter = inputs.interpreter && inputs.interpreter.length > 0 ? inputs.interpreter : DEFAULT_INTERPRETER;
  return [...interpreter, script];
}

/** The previous run's outputs, as stored (empty on create). */
export interface PreviousOutputs {
  stdout: string;
  stderr: string;
}

export function previousOutputs(state: Props | undefined): PreviousOutputs {
  const s = state ? (reveal(state) as Props) : {};
  return { stdout: typeof s.stdout === "string" ? s.stdout : "", stderr: typeof s.stderr === "string" ? s.stderr : "" };
}

/** The environment: the provider's, then `environment`, then the previous outputs unless turned off. */
export function commandEnv(base: NodeJS.ProcessEnv, inputs: CommandInputs, previous: PreviousOutputs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...(inputs.environment ?? {}) };
  if (inputs.addPreviousOutputInEnv !== false) {
    if (previous.stdout !== "") env.PULUMI_COMMAND_STDOUT = previous.stdout;
    if (previous.stderr !== "") env.PULUMI_COMMAND_STDERR = previous.stderr;
  }
  return env;
}

/** Whether a stream's lines go to the engine's log (default: both). */
export function logsStream(logging: Logging | undefined, stream: "stdout" | "stderr"): boolean {
  if (logging === undefined || logging === "stdoutAndStderr") return true;
  return logging === stream;
}

/**
 * The state a run leaves: the inputs as given, plus stdout and stderr. As upstream's
 * outputs depend on every input, they are secrets when any input holds a secret.
 */
export function withOutputs(inputs: Props, out: PreviousOutputs): Props {
  const wrap = Object.values(inputs).some(containsSecret) ? secret : (v: Value): Value => v;
  return { ...inputs, stdout: wrap(out.stdout), stderr: wrap(out.stderr) };
}

/**
 * Split what a stream printed into log lines as Go's bufio.ScanLines does (a trailing
 * "\r" dropped): the complete lines, and the unterminated rest to prepend to the next chunk.
 */
export function splitLines(text: string): { lines: string[]; rest: string } {
  const parts = text.split("\n");
  const rest = parts.pop() ?? "";
  return { lines: parts.map(dropCR), rest };
}

/** A line without its trailing carriage return. */
export function dropCR(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/** Exactly one trailing newline is removed from each captured stream. */
export function trimOutput(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** Nothing there: a missing key and null are the same (the engine's HasValue). */
function absent(v: Value | undefined): v is null | undefined {
  return v === undefined || v === null;
}

/** Deep equality as the engine's DeepEquals: secrets equal only secrets of an equal value. */
function equal(a: Value | undefined, b: Value | undefined): boolean {
  if (absent(a) || absent(b)) return absent(a) && absent(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equal(x, b[i]));
  }
  if (typeof a === "object" && typeof b === "object") {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => equal(a[k], b[k]));
  }
  return a === b;
}

/** What a change of inputs does: nothing, an update, or a replacement (`triggers` changed). */
export interface CommandDiff {
  changed: string[];
  replaces: string[];
}

/**
 * Old state (inputs and outputs) against new inputs, key by key, as upstream's diff of old
 * and new inputs: a value that turns secret (or stops being one) is a change, a key set to
 * null is as good as missing. `triggers` is the only input that replaces (the schema's
 * replaceOnChanges); an unknown counts as a change.
 */
export function diffCommand(olds: Props, news: Props): CommandDiff {
  const outputs = new Set<string>(OUTPUT_KEYS);
  // Like upstream, the engine's `version` and `__`-prefixed internal keys are no inputs.
  const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])]
    .filter((k) => !outputs.has(k) && k !== "version" && !k.startsWith("__"))
    .sort();
  const changed = keys.filter((k) => hasUnknown(news[k]) || !equal(olds[k], news[k]));
  return { changed, replaces: changed.filter((k) => k === "triggers") };
}
