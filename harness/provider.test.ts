/**
 * The Command provider's semantics as the harness reproduces them (provider.ts), tested
 * in-process: argv, environment, trimming, error text, waiting for the output pipes,
 * hang reports, logging, and the engine's same/update/replace and delete order.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  commandArgv,
  commandEnv,
  commandInputs,
  deletionOrder,
  execCommand,
  ExecRequest,
  logsStream,
  parseGoDuration,
  planStep,
  topLevelKey,
  trimOutput,
} from "./provider";
import { NO_OPTIONS } from "./engine";
import { JsonObject, ResourceOptionsRecord, StateResource } from "./types";

const OPTIONS: ResourceOptionsRecord = { ...NO_OPTIONS, replaceOnChanges: ["triggers[*]"] };

function resource(name: string, inputs: JsonObject, extra: Partial<StateResource> = {}): StateResource {
  return {
    urn: `urn:pulumi:s::p::command:local:Command::${name}`,
    type: "command:local:Command",
    name,
    id: `${name}0000abcd`,
    custom: true,
    parent: "",
    dependencies: [],
    inputs,
    outputs: { ...inputs, stdout: "", stderr: "" },
    options: OPTIONS,
    ...extra,
  };
}

function exec(command: string, inputs: JsonObject = {}, over: Partial<ExecRequest> = {}): ReturnType<typeof execCommand> {
  return execCommand({
    command,
    inputs: commandInputs(inputs),
    previous: { stdout: "", stderr: "" },
    baseEnv: process.env,
    defaultDir: process.cwd(),
    timeoutMs: 20_000,
    label: "command:local:Command (t) create",
    ...over,
  });
}

describe("argv, environment and outputs", () => {
  it("runs /bin/sh -c by default; an empty interpreter means the default too", () => {
    expect(commandArgv({}, "echo hi")).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(commandArgv({ interpreter: [] }, "echo hi")).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(commandArgv({ interpreter: ["/bin/bash", "-eu", "-c"] }, "x")).toEqual(["/bin/bash", "-eu", "-c", "x"]);
  });

  it("lays environment over the provider's and adds the previous outputs unless told not to", () => {
    const base = { PATH: "/bin", A: "base", PULUMI_COMMAND_STDOUT: "from-base" };
    const env = commandEnv(base, { environment: { A: "mine", B: "b", PULUMI_COMMAND_STDOUT: "mine" } }, { stdout: "old", stderr: "" });
    expect(env).toMatchObject({ PATH: "/bin", A: "mine", B: "b", PULUMI_COMMAND_STDOUT: "old" });
    expect(env.PULUMI_COMMAND_STDERR).toBeUndefined();
    const off = commandEnv(base, { addPreviousOutputInEnv: false }, { stdout: "old", stderr: "err" });
    expect(off.PULUMI_COMMAND_STDOUT).toBe("from-base");
    expect(off.PULUMI_COMMAND_STDERR).toBeUndefined();
  });

  it("trims exactly one trailing newline", () => {
    expect(trimOutput("a\n")).toBe("a");
    expect(trimOutput("a\n\n")).toBe("a\n");
    expect(trimOutput("a")).toBe("a");
    expect(trimOutput("")).toBe("");
  });

  it("logs both streams unless logging leaves one out", () => {
    expect(logsStream(undefined, "stdout") && logsStream(undefined, "stderr")).toBe(true);
    expect(logsStream("none", "stdout") || logsStream("none", "stderr")).toBe(false);
    expect([logsStream("stderr", "stdout"), logsStream("stderr", "stderr")]).toEqual([false, true]);
    expect([logsStream("stdout", "stdout"), logsStream("stdout", "stderr")]).toEqual([true, false]);
  });

  it("reads the Command's inputs, stringifying environment values", () => {
    const c = commandInputs({ create: "x", environment: { N: 3, S: "s" }, triggers: [1, "a"], logging: "bogus", stdin: "" });
    expect(c).toMatchObject({ create: "x", environment: { N: "3", S: "s" }, triggers: [1, "a"], stdin: "" });
    expect(c.logging).toBeUndefined();
  });

  it("parses Go durations", () => {
    expect(parseGoDuration("5m")).toBe(300_000);
    expect(parseGoDuration("1h2m3.5s")).toBe(3_723_500);
    expect(parseGoDuration("300ms")).toBe(300);
    expect(parseGoDuration("")).toBeNull();
    expect(parseGoDuration("5 minutes")).toBeNull();
  });
});

describe("running a command", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-test-"));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("runs in dir with stdin and environment, and sets trimmed stdout and stderr", async () => {
    const r = await exec(`pwd; cat; echo; echo "$X"; echo warn >&2`, { dir, stdin: "in put", environment: { X: "ex" } });
    expect(r.ok).toBe(true);
    expect(r.stdout).toBe(`${fs.realpathSync(dir)}\nin put\nex`);
    expect(r.stderr).toBe("warn");
  });

  it("runs in the provider's directory without dir, with stdin from /dev/null without stdin", async () => {
    const r = await exec(`pwd; cat; echo end`, {}, { defaultDir: dir });
    expect(r.stdout).toBe(`${fs.realpathSync(dir)}\nend`);
  });

  it("fails with the exit status, the command and its interleaved output", async () => {
    const r = await exec(`echo out1; echo err1 >&2; sleep 0.1; echo out2; exit 3`);
    expect(r.ok).toBe(false);
    expect(r.exitCode).toBe(3);
    expect(r.error).toBe(`exit status 3: running "echo out1; echo err1 >&2; sleep 0.1; echo out2; exit 3":\nout1\nerr1\nout2\n`);
    expect(r.stdout).toBe("");
  });

  it("reports a signal like Go does", async () => {
    const r = await exec(`kill -KILL $$`);
    expect(r.error).toMatch(/^signal: killed: running /);
  });

  it("fails on a dir that does not exist, and on an interpreter that does not exist", async () => {
    const r = await exec(`true`, { dir: path.join(dir, "nope") });
    expect(r.error).toBe(`chdir ${path.join(dir, "nope")}: no such file or directory: running "true":\n`);
    const s = await exec(`true`, { interpreter: ["/no/such/shell", "-c"] });
    expect(s.ok).toBe(false);
    expect(s.error).toMatch(/^fork\/exec \/no\/such\/shell: no such file or directory: running "true"/);
  });

  it("waits until the output pipes close, not just until the shell exits", async () => {
    const r = await exec(`(sleep 1; echo late) & echo early`);
    expect(r.ok).toBe(true);
    expect(r.durationMs).toBeGreaterThanOrEqual(900);
    expect(r.stdout).toBe("early\nlate");
  });

  it("does not wait for a helper that detached its output", async () => {
    const pidFile = path.join(dir, "detached.pid");
    const r = await exec(`setsid sleep 30 </dev/null >/dev/null 2>&1 & echo $! > "${pidFile}"; echo done`);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    try {
      expect(r.ok).toBe(true);
      expect(r.durationMs).toBeLessThan(5000);
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      process.kill(pid, "SIGKILL");
    }
  });

  it("reports a command whose helper holds its pipes, naming the holder, instead of hanging", async () => {
    // (the shell lingers a moment so its output ends can be read from /proc when it starts)
    const r = await exec(`sleep 30 & echo "helper=$!"; sleep 0.2`, {}, { timeoutMs: 1500 });
    const pid = Number(/helper=(\d+)/.exec(r.error ?? "")?.[1]);
    try {
      expect(r.ok).toBe(false);
      expect(r.hung).toBe(true);
      expect(r.error).toContain("command:local:Command (t) create did not finish within 2s");
      expect(r.error).toContain("exited (code 0) but its stdout/stderr are still held open by pid");
      expect(r.error).toContain("sleep 30");
    } finally {
      if (pid > 0) process.kill(pid, "SIGKILL");
    }
  });

  it("reports a command still running at the timeout", async () => {
    const r = await exec(`exec sleep 30`, {}, { timeoutMs: 800 });
    expect(r.hung).toBe(true);
    expect(r.error).toMatch(/did not finish within 1s: it is still running \(pid \d+\)/);
  });

  it("logs each line of the streams logging selects", async () => {
    const lines: string[] = [];
    await exec(`echo a; echo b >&2; printf 'no-newline'`, {}, { onLine: (s, l) => lines.push(`${s}:${l}`) });
    expect(lines.sort()).toEqual(["stderr:b", "stdout:a", "stdout:no-newline"]);
    const none: string[] = [];
    await exec(`echo a; echo b >&2`, { logging: "none" }, { onLine: (s, l) => none.push(`${s}:${l}`) });
    expect(none).toEqual([]);
    const errOnly: string[] = [];
    await exec(`echo a; echo b >&2`, { logging: "stderr" }, { onLine: (s, l) => errOnly.push(`${s}:${l}`) });
    expect(errOnly).toEqual(["stderr:b"]);
  });
});

describe("same, update or replace", () => {
  const old = resource("a", { create: "x", environment: { A: "1" }, triggers: ["t1"] });

  it("creates what is not in state", () => {
    expect(planStep(undefined, { create: "x" }, OPTIONS, ["triggers"]).plan).toEqual({ kind: "create" });
  });

  it("keeps what did not change (a missing key equals an undefined one)", () => {
    expect(planStep(old, { create: "x", environment: { A: "1" }, triggers: ["t1"] }, OPTIONS, ["triggers"]).plan.kind).toBe("same");
  });

  it("updates on any other change", () => {
    const { plan } = planStep(old, { create: "x", environment: { A: "2" }, triggers: ["t1"] }, OPTIONS, ["triggers"]);
    expect(plan).toEqual({ kind: "update", changed: ["environment"] });
  });

  it("replaces when triggers change, create-before-delete unless deleteBeforeReplace", () => {
    const news = { create: "x", environment: { A: "1" }, triggers: ["t2"] };
    expect(planStep(old, news, OPTIONS, ["triggers"]).plan).toMatchObject({ kind: "replace", replaceKeys: ["triggers"], deleteBeforeReplace: false });
    expect(planStep(old, news, { ...OPTIONS, deleteBeforeReplace: true }, ["triggers"]).plan).toMatchObject({
      kind: "replace",
      deleteBeforeReplace: true,
    });
    expect(planStep(old, { create: "x", environment: { A: "1" } }, OPTIONS, ["triggers"]).plan.kind).toBe("replace");
  });

  it("replaces on keys named in replaceOnChanges, and on a changed replacementTrigger", () => {
    const news = { create: "y", environment: { A: "1" }, triggers: ["t1"] };
    expect(planStep(old, news, { ...OPTIONS, replaceOnChanges: ["create"] }, ["triggers"]).plan.kind).toBe("replace");
    expect(planStep(old, news, { ...OPTIONS, replaceOnChanges: ["*"] }, ["triggers"]).plan.kind).toBe("replace");
    const same = { create: "x", environment: { A: "1" }, triggers: ["t1"] };
    expect(planStep(old, same, { ...OPTIONS, replacementTrigger: "v2" }, ["triggers"]).plan.kind).toBe("replace");
  });

  it("ignoreChanges keeps the old value of the keys it names", () => {
    const { plan, inputs } = planStep(old, { create: "x", environment: { A: "9" }, triggers: ["t1"] }, { ...OPTIONS, ignoreChanges: ["environment.A"] }, [
      "triggers",
    ]);
    expect(plan.kind).toBe("same");
    expect(inputs.environment).toEqual({ A: "1" });
    expect(topLevelKey('["a.b"].c')).toBe("a.b");
    expect(topLevelKey("triggers[*]")).toBe("triggers");
  });
});

describe("delete order", () => {
  it("deletes dependents before their dependencies and children before parents", () => {
    const stack = resource("stack", {}, { urn: "urn:stack", type: "pulumi:pulumi:Stack", custom: false });
    const comp = resource("comp", {}, { urn: "urn:comp", parent: "urn:stack", custom: false });
    const a = resource("a", {}, { urn: "urn:a", parent: "urn:stack" });
    const b = resource("b", {}, { urn: "urn:b", parent: "urn:comp", dependencies: ["urn:a"] });
    const c = resource("c", {}, { urn: "urn:c", parent: "urn:comp", dependencies: ["urn:b"] });
    const x = resource("x", {}, { urn: "urn:x", parent: "urn:stack" });
    // A state order that is not already reverse-topological: c stays after a and b.
    const order = deletionOrder([stack, comp, c, x, a, b]).map((r) => r.name);
    expect(order.indexOf("c")).toBeLessThan(order.indexOf("b"));
    expect(order.indexOf("b")).toBeLessThan(order.indexOf("a"));
    expect(order.indexOf("c")).toBeLessThan(order.indexOf("comp"));
    expect(order[order.length - 1]).toBe("stack");
  });

  it("orders a replaced copy like the live one of the same URN", () => {
    const a = resource("a", {}, { urn: "urn:a" });
    const oldA = resource("a", {}, { urn: "urn:a", pendingDelete: true });
    const b = resource("b", {}, { urn: "urn:b", dependencies: ["urn:a"] });
    const order = deletionOrder([a, b, oldA]);
    expect(order[0].name).toBe("b");
  });
});
