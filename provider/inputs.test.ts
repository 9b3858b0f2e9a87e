/**
 * The command provider's pure rules (inputs.ts) against pulumi-command 1.2.1: how secrets
 * and unknowns on the wire are read, what a change of inputs does, the environment a
 * script gets, which streams are logged and how outputs are trimmed. The real engine runs
 * them in tests/provider/conformance.test.ts; these pin the edge cases cheaply.
 */
import {
  commandArgv,
  commandEnv,
  commandInputs,
  containsSecret,
  diffCommand,
  dropCR,
  hasUnknown,
  isSecret,
  logsStream,
  previousOutputs,
  Props,
  reveal,
  secret,
  splitLines,
  trimOutput,
  UNKNOWN,
  Value,
  withOutputs,
} from "./inputs";

/** A secret as the engine sends it to a provider that accepts secrets. */
const wire = (value: Value): Value => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

describe("secrets and unknowns on the wire", () => {
  it("reveal unwraps secrets at any depth and leaves everything else as it is", () => {
    const props: Value = {
      create: wire("echo hi"),
      environment: { A: wire("a"), B: "b" },
      triggers: [wire(1), [wire({ x: wire("deep") })], null],
      n: 3,
      f: false,
    };
    expect(reveal(props)).toEqual({ create: "echo hi", environment: { A: "a", B: "b" }, triggers: [1, [{ x: "deep" }], null], n: 3, f: false });
  });

  it("reveal takes an object that only looks like a secret (other signature) as a plain object", () => {
    const lookalike = { "4dabf18193072939515e22adb298388d": "something-else", value: "v" };
    expect(reveal(lookalike)).toEqual(lookalike);
  });

  it("a secret wrapping null reveals null", () => {
    expect(reveal(wire(null))).toBeNull();
  });

  it("secret wraps in the wire format, once", () => {
    expect(secret("x")).toEqual(wire("x"));
    expect(secret(secret("x"))).toEqual(wire("x"));
    expect(isSecret(wire("x"))).toBe(true);
    expect(isSecret({ value: "x" })).toBe(false);
    expect(isSecret(null)).toBe(false);
  });

  it("containsSecret finds a secret anywhere, and nothing in plain values", () => {
    expect(containsSecret({ a: [1, { b: wire("s") }] })).toBe(true);
    expect(containsSecret({ a: [1, { b: "s" }], c: null })).toBe(false);
    expect(containsSecret(undefined)).toBe(false);
  });

  it("hasUnknown finds the unknown marker anywhere, also inside a secret", () => {
    expect(hasUnknown(UNKNOWN)).toBe(true);
    expect(hasUnknown({ env: { A: UNKNOWN } })).toBe(true);
    expect(hasUnknown([1, [UNKNOWN]])).toBe(true);
    expect(hasUnknown(wire(UNKNOWN))).toBe(true);
    expect(hasUnknown({ env: { A: "known" } })).toBe(false);
    expect(hasUnknown(undefined)).toBe(false);
  });
});

describe("commandInputs", () => {
  it("reads every input the scripts depend on, secrets revealed", () => {
    const c = commandInputs({
      create: wire("echo c"),
      update: "echo u",
      delete: "echo d",
      stdin: wire("in"),
      logging: "stderr",
      interpreter: ["/bin/bash", wire("-c")],
      dir: "/tmp",
      environment: { A: wire("a"), B: "b" },
      addPreviousOutputInEnv: false,
      triggers: [1],
    });
    expect(c).toEqual({
      create: "echo c",
      update: "echo u",
      delete: "echo d",
      stdin: "in",
      logging: "stderr",
      interpreter: ["/bin/bash", "-c"],
      dir: "/tmp",
      environment: { A: "a", B: "b" },
      addPreviousOutputInEnv: false,
    });
  });

  it("leaves out what is missing or of the wrong kind (an unknown logging value, a non-boolean flag)", () => {
    const c = commandInputs({ create: "x", logging: "loud", addPreviousOutputInEnv: "yes", environment: null });
    expect(c.logging).toBeUndefined();
    expect(c.addPreviousOutputInEnv).toBeUndefined();
    expect(c.environment).toBeUndefined();
    expect(c.update).toBeUndefined();
  });

  it("argv is the interpreter followed by the script; no interpreter, or an empty one, is /bin/sh -c", () => {
    expect(commandArgv({ interpreter: ["/usr/bin/env", "python3", "-c"] }, "print(1)")).toEqual(["/usr/bin/env", "python3", "-c", "print(1)"]);
    expect(commandArgv({}, "echo hi")).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(commandArgv({ interpreter: [] }, "echo hi")).toEqual(["/bin/sh", "-c", "echo hi"]);
  });
});

describe("commandEnv", () => {
  const base = { PATH: "/bin", HOME: "/root", SHARED: "from-provider" };

  it("is the provider's environment, then `environment` over it, then the previous outputs", () => {
    const env = commandEnv(base, { environment: { SHARED: "from-input", EXTRA: "e" } }, { stdout: "out", stderr: "err" });
    expect(env).toEqual({ ...base, SHARED: "from-input", EXTRA: "e", PULUMI_COMMAND_STDOUT: "out", PULUMI_COMMAND_STDERR: "err" });
  });

  it("the previous outputs win over an `environment` entry of the same name, as upstream appends them last", () => {
    const env = commandEnv(base, { environment: { PULUMI_COMMAND_STDOUT: "mine" } }, { stdout: "previous", stderr: "" });
    expect(env.PULUMI_COMMAND_STDOUT).toBe("previous");
  });

  it("an empty previous output sets no variable (create has none)", () => {
    const env = commandEnv(base, {}, { stdout: "", stderr: "e" });
    expect("PULUMI_COMMAND_STDOUT" in env).toBe(false);
    expect(env.PULUMI_COMMAND_STDERR).toBe("e");
    const created = commandEnv(base, {}, previousOutputs(undefined));
    expect("PULUMI_COMMAND_STDOUT" in created || "PULUMI_COMMAND_STDERR" in created).toBe(false);
  });

  it("addPreviousOutputInEnv false leaves both out; true and unset add them", () => {
    const prev = { stdout: "o", stderr: "e" };
    const off = commandEnv(base, { addPreviousOutputInEnv: false }, prev);
    expect("PULUMI_COMMAND_STDOUT" in off || "PULUMI_COMMAND_STDERR" in off).toBe(false);
    expect(commandEnv(base, { addPreviousOutputInEnv: true }, prev)).toMatchObject({ PULUMI_COMMAND_STDOUT: "o", PULUMI_COMMAND_STDERR: "e" });
    expect(commandEnv(base, {}, prev)).toMatchObject({ PULUMI_COMMAND_STDOUT: "o", PULUMI_COMMAND_STDERR: "e" });
  });

  it("does not change the provider's environment", () => {
    const mine = { ...base };
    commandEnv(mine, { environment: { X: "1" } }, { stdout: "o", stderr: "e" });
    expect(mine).toEqual(base);
  });

  it("previousOutputs reads the stored stdout and stderr, secrets revealed, missing ones empty", () => {
    expect(previousOutputs({ stdout: wire("s"), stderr: "e", create: "x" })).toEqual({ stdout: "s", stderr: "e" });
    expect(previousOutputs({ create: "x" })).toEqual({ stdout: "", stderr: "" });
    expect(previousOutputs(undefined)).toEqual({ stdout: "", stderr: "" });
  });
});

describe("outputs", () => {
  it("trimOutput removes exactly one trailing newline", () => {
    expect(trimOutput("a\n")).toBe("a");
    expect(trimOutput("a\n\n")).toBe("a\n");
    expect(trimOutput("a")).toBe("a");
    expect(trimOutput("")).toBe("");
    expect(trimOutput("\n")).toBe("");
    expect(trimOutput("a\r\n")).toBe("a\r");
    expect(trimOutput("a \t")).toBe("a \t");
  });

  it("withOutputs keeps the inputs and adds stdout and stderr", () => {
    const inputs: Props = { create: "echo hi", environment: { A: "a" } };
    expect(withOutputs(inputs, { stdout: "hi", stderr: "" })).toEqual({ create: "echo hi", environment: { A: "a" }, stdout: "hi", stderr: "" });
  });

  it("withOutputs makes stdout and stderr secret when any input holds a secret (upstream's outputs depend on every input)", () => {
    const inputs: Props = { create: "echo hi", environment: { TOKEN: wire("t") } };
    const outs = withOutputs(inputs, { stdout: "hi", stderr: "e" });
    expect(outs.stdout).toEqual(wire("hi"));
    expect(outs.stderr).toEqual(wire("e"));
    expect(outs.environment).toEqual({ TOKEN: wire("t") });
  });

  it("logsStream: both streams by default and with stdoutAndStderr, one with stdout/stderr, none with none", () => {
    const table = (["stdout", "stderr", "stdoutAndStderr", "none", undefined] as const).map((l) => [l, logsStream(l, "stdout"), logsStream(l, "stderr")]);
    expect(table).toEqual([
      ["stdout", true, false],
      ["stderr", false, true],
      ["stdoutAndStderr", true, true],
      ["none", false, false],
      [undefined, true, true],
    ]);
  });

  it("splitLines gives the complete lines, CR dropped, and the rest for the next chunk", () => {
    expect(splitLines("a\nb\r\nc")).toEqual({ lines: ["a", "b"], rest: "c" });
    expect(splitLines("a\n\n")).toEqual({ lines: ["a", ""], rest: "" });
    expect(splitLines("partial")).toEqual({ lines: [], rest: "partial" });
    // a CR ending one chunk and its LF starting the next: rest keeps the CR, the join drops it
    const first = splitLines("x\r");
    expect(first).toEqual({ lines: [], rest: "x\r" });
    expect(splitLines(`${first.rest}\nnext`)).toEqual({ lines: ["x"], rest: "next" });
    expect(dropCR("a\r")).toBe("a");
    expect(dropCR("a\r\r")).toBe("a\r");
    expect(dropCR("a")).toBe("a");
  });
});

describe("diffCommand", () => {
  const olds: Props = {
    create: "echo c",
    update: "echo u",
    environment: { A: "1" },
    triggers: [1, "x"],
    stdout: "old out",
    stderr: "old err",
  };
  const news = (): Props => ({ create: "echo c", update: "echo u", environment: { A: "1" }, triggers: [1, "x"] });

  it("the same inputs are no change, whatever the stored outputs", () => {
    expect(diffCommand(olds, news())).toEqual({ changed: [], replaces: [] });
  });

  it("stdout and stderr are outputs: given as inputs they still decide nothing", () => {
    expect(diffCommand(olds, { ...news(), stdout: "new out", stderr: "new err" })).toEqual({ changed: [], replaces: [] });
  });

  it("any input other than triggers changed, added or removed is an update", () => {
    expect(diffCommand(olds, { ...news(), environment: { A: "2" } })).toEqual({ changed: ["environment"], replaces: [] });
    expect(diffCommand(olds, { ...news(), dir: "/tmp" })).toEqual({ changed: ["dir"], replaces: [] });
    const { update: _u, ...withoutUpdate } = news();
    expect(diffCommand(olds, withoutUpdate)).toEqual({ changed: ["update"], replaces: [] });
    expect(diffCommand(olds, { ...news(), environment: { A: "1", B: "2" } }).changed).toEqual(["environment"]);
    expect(diffCommand(olds, { ...news(), interpreter: ["/bin/bash", "-c"], stdin: "x", logging: "none" }).changed).toEqual(["interpreter", "logging", "stdin"]);
  });

  it("a triggers change replaces: a changed element, a longer list, a removed list", () => {
    expect(diffCommand(olds, { ...news(), triggers: [1, "y"] })).toEqual({ changed: ["triggers"], replaces: ["triggers"] });
    expect(diffCommand(olds, { ...news(), triggers: [1, "x", 2] }).replaces).toEqual(["triggers"]);
    const { triggers: _t, ...withoutTriggers } = news();
    expect(diffCommand(olds, withoutTriggers).replaces).toEqual(["triggers"]);
  });

  it("a triggers change with other changes replaces and lists them all", () => {
    expect(diffCommand(olds, { ...news(), triggers: [2], create: "echo new" })).toEqual({ changed: ["create", "triggers"], replaces: ["triggers"] });
  });

  it("an unknown counts as a change, even where the old value could turn out equal", () => {
    expect(diffCommand(olds, { ...news(), environment: { A: UNKNOWN } })).toEqual({ changed: ["environment"], replaces: [] });
    expect(diffCommand(olds, { ...news(), triggers: [1, UNKNOWN] })).toEqual({ changed: ["triggers"], replaces: ["triggers"] });
    expect(diffCommand(olds, { ...news(), create: UNKNOWN }).changed).toEqual(["create"]);
  });

  it("secrets compare by value, and a value turning secret (or plain) is a change, as the engine's DeepEquals", () => {
    const secretOlds: Props = { ...olds, environment: { A: wire("1") } };
    expect(diffCommand(secretOlds, { ...news(), environment: { A: wire("1") } }).changed).toEqual([]);
    expect(diffCommand(secretOlds, { ...news(), environment: { A: wire("2") } }).changed).toEqual(["environment"]);
    expect(diffCommand(secretOlds, news()).changed).toEqual(["environment"]);
    expect(diffCommand(olds, { ...news(), create: wire("echo c") }).changed).toEqual(["create"]);
  });

  it("null and missing are the same (nothing there), at the top and inside objects", () => {
    expect(diffCommand(olds, { ...news(), dir: null }).changed).toEqual([]);
    expect(diffCommand({ ...olds, stdin: null }, news()).changed).toEqual([]);
    expect(diffCommand(olds, { ...news(), environment: { A: "1", B: null } }).changed).toEqual([]);
    // but not inside a list, where positions count
    expect(diffCommand(olds, { ...news(), triggers: [1, "x", null] }).changed).toEqual(["triggers"]);
  });

  it("values of different kinds differ (1 is not \"1\", [] is not {})", () => {
    expect(diffCommand({ triggers: [1] }, { triggers: ["1"] }).changed).toEqual(["triggers"]);
    expect(diffCommand({ environment: {} }, { environment: [] as Value }).changed).toEqual(["environment"]);
    expect(diffCommand({ addPreviousOutputInEnv: false }, { addPreviousOutputInEnv: true }).changed).toEqual(["addPreviousOutputInEnv"]);
  });

  it("ignores the engine's version and __-prefixed internal keys, as upstream", () => {
    expect(diffCommand(olds, { ...news(), version: "1.2.1", __defaults: [] }).changed).toEqual([]);
  });
});
