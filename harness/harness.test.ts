/**
 * The executing harness end to end, on small programs under testdata/: each run is a
 * fresh process that really runs the Commands. No root and no network needed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackConfig, readState, runDestroy, runPreview, runUp, toCliConfig, UpOptions } from ".";
import { COMMAND_TYPE, RunResult, STACK_TYPE } from "./types";

jest.setTimeout(120_000);

const TESTDATA = path.join(__dirname, "testdata");
const REPO = path.resolve(__dirname, "..");

function workDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "harness-test-"));
}

function opsLog(dir: string): string[] {
  const file = path.join(dir, "ops.log");
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((l) => l !== "") : [];
}

/** Resource name → op for the commands that ran a script (or would, in preview). */
function ran(r: RunResult): string[] {
  return r.operations.filter((o) => o.script !== null).map((o) => `${o.name}:${o.op}:${o.script}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !alive(pid);
}

function expectOk(r: RunResult): void {
  if (!r.ok) throw new Error(`run failed: ${r.error}\n${r.programStderr}`);
}

describe("a chain of commands across updates", () => {
  const dir = workDir();
  const stateFile = path.join(dir, "state", "chain.json");
  const up = (config: Record<string, unknown> = {}, extra: Partial<UpOptions> = {}): Promise<RunResult> =>
    runUp({ programDir: path.join(TESTDATA, "chain"), stack: "chain", config: { dir, ...config }, stateFile, ...extra });
  afterAll(async () => {
    await runDestroy({ stateFile });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("first up: creates in dependency order, runs each create as the provider would, exports the outputs", async () => {
    const r = await up();
    expectOk(r);
    expect(ran(r)).toEqual(["a:create:create", "b:create:create", "c:create:create"]);
    expect(opsLog(dir)).toEqual(["a create hello", "b create from_a=hello", "c create"]);
    // One trailing newline is trimmed (a printed two); c ran with bash in dir with stdin.
    expect(r.outputs).toEqual({
      aOut: "hello\n",
      bOut: "b saw hello\n",
      bErr: "b warns",
      cOut: `${fs.realpathSync(dir)}\nfrom-stdinshell=/bin/bash`,
      summary: { a: "hello\n", list: ["b saw hello\n", 42], nested: { d: "none" } },
      secretOut: "s3cret",
    });
    expect(r.secretOutputs).toEqual(["secretOut"]);
    // Registrations: the stack first, parents and dependencies as the SDK sent them.
    const reg = new Map(r.registrations.map((x) => [x.name, x]));
    expect(r.registrations[0].type).toBe(STACK_TYPE);
    expect(reg.get("b")?.parent).toBe(reg.get("group")?.urn);
    expect(reg.get("b")?.dependencies).toContain(reg.get("a")?.urn);
    expect(reg.get("c")?.dependencies).toContain(reg.get("b")?.urn);
    expect(reg.get("a")?.parent).toBe(r.registrations[0].urn);
    // The state holds every resource with inputs and outputs; Command ids are name + 8 hex.
    const state = readState(stateFile);
    const a = state?.resources.find((x) => x.name === "a");
    expect(a?.id).toMatch(/^a[0-9a-f]{8}$/);
    expect(a?.outputs).toMatchObject({ create: expect.stringContaining("a create"), stdout: "hello\n", stderr: "" });
    expect(state?.resources.map((x) => x.type).filter((t) => t === COMMAND_TYPE)).toHaveLength(3);
    expect(state?.outputs.aOut).toBe("hello\n");
  });

  it("an up with nothing changed runs nothing and exports the same outputs", async () => {
    const r = await up();
    expectOk(r);
    expect(ran(r)).toEqual([]);
    expect(r.registrations.filter((x) => x.type === COMMAND_TYPE).map((x) => x.op)).toEqual(["same", "same", "same"]);
    expect(r.outputs?.bOut).toBe("b saw hello\n");
  });

  it("changed inputs: update runs `update` with the previous stdout, or else `create`", async () => {
    const before = opsLog(dir).length;
    const r = await up({ greeting: "bye" });
    expectOk(r);
    expect(ran(r)).toEqual(["a:update:update", "b:update:create"]);
    expect(opsLog(dir).slice(before)).toEqual(["a update was=hello", "b create from_a=bye"]);
    expect(r.outputs?.aOut).toBe("bye");
    expect(r.outputs?.bOut).toBe("b saw bye");
  });

  it("changed triggers replace: create the new one, delete the old one at the end", async () => {
    const idBefore = readState(stateFile)?.resources.find((x) => x.name === "b")?.id;
    const before = opsLog(dir).length;
    const r = await up({ greeting: "bye", trigger: "2" });
    expectOk(r);
    expect(ran(r)).toEqual(["b:replace-create:create", "b:replace-delete:delete"]);
    expect(opsLog(dir).slice(before)).toEqual(["b create from_a=bye", "b delete"]);
    const b = readState(stateFile)?.resources.filter((x) => x.name === "b");
    expect(b).toHaveLength(1);
    expect(b?.[0].id).not.toBe(idBefore);
  });

  it("deleteBeforeReplace deletes the old one first", async () => {
    const before = opsLog(dir).length;
    const r = await up({ greeting: "bye", trigger: "3", dbr: true });
    expectOk(r);
    expect(ran(r)).toEqual(["b:replace-delete:delete", "b:replace-create:create"]);
    expect(opsLog(dir).slice(before)).toEqual(["b delete", "b create from_a=bye"]);
  });

  it("a resource the program no longer declares is deleted at the end of the up", async () => {
    const added = await up({ greeting: "bye", trigger: "3", dbr: true, withD: true });
    expectOk(added);
    expect(ran(added)).toEqual(["d:create:create"]);
    const before = opsLog(dir).length;
    const removed = await up({ greeting: "bye", trigger: "3", dbr: true });
    expectOk(removed);
    expect(ran(removed)).toEqual(["d:delete:delete"]);
    expect(opsLog(dir).slice(before)).toEqual(["d delete"]);
    expect(readState(stateFile)?.resources.some((x) => x.name === "d")).toBe(false);
  });

  it("a preview runs nothing and saves nothing, and plans what an up would do", async () => {
    const stateBefore = fs.readFileSync(stateFile, "utf8");
    const before = opsLog(dir).length;
    const r = await runPreview({ programDir: path.join(TESTDATA, "chain"), stack: "chain", config: { dir, greeting: "again", trigger: "3", dbr: true }, stateFile });
    expectOk(r);
    expect(opsLog(dir).length).toBe(before);
    expect(fs.readFileSync(stateFile, "utf8")).toBe(stateBefore);
    expect(r.operations.every((o) => o.planned)).toBe(true);
    expect(ran(r)).toEqual(["a:update:update"]);
  });

  it("destroy deletes dependents first with their stored inputs and previous stdout, then clears the state; a second destroy does nothing", async () => {
    const before = opsLog(dir).length;
    const r = await runDestroy({ stateFile });
    expectOk(r);
    expect(ran(r)).toEqual(["c:delete:delete", "b:delete:delete", "a:delete:delete"]);
    expect(opsLog(dir).slice(before)).toEqual(["c delete", "b delete", "a delete was=bye"]);
    expect(readState(stateFile)?.resources).toEqual([]);
    const again = await runDestroy({ stateFile });
    expectOk(again);
    expect(again.operations).toEqual([]);
  });
});

describe("a failing create", () => {
  const dir = workDir();
  const stateFile = path.join(dir, "failing.json");
  const up = (config: Record<string, unknown> = {}): Promise<RunResult> =>
    runUp({ programDir: path.join(TESTDATA, "failing"), stack: "failing", config: { dir, ...config }, stateFile });
  afterAll(async () => {
    await runDestroy({ stateFile });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stops the up with the command's output in the error; completed resources are saved, the failed one is not, its dependents never run", async () => {
    const r = await up();
    expect(r.ok).toBe(false);
    expect(r.error).toContain("command:local:Command (bad):");
    expect(r.error).toContain('exit status 3: running "echo \\"bad create\\"');
    expect(r.error).toMatch(/partial-out\nboom/);
    expect(r.outputs).toBeNull();
    expect(opsLog(dir)).not.toContain("after create");
    // `slow` was under way when `bad` failed: it finishes and is saved.
    expect(opsLog(dir).sort()).toEqual(["bad create", "first create", "slow create"]);
    const names = readState(stateFile)?.resources.filter((x) => x.type === COMMAND_TYPE).map((x) => x.name).sort();
    expect(names).toEqual(["first", "slow"]);
  });

  it("the next up converges: only what is missing runs", async () => {
    const before = opsLog(dir).length;
    const r = await up({ badExit: "0" });
    expectOk(r);
    expect(ran(r)).toEqual(["bad:create:create", "after:create:create"]);
    expect(opsLog(dir).slice(before)).toEqual(["bad create", "after create"]);
  });

  it("a failed update keeps the old state; destroy then deletes only what was saved", async () => {
    const r = await up({ badExit: "4" });
    expect(r.ok).toBe(false);
    expect(r.error).toContain("exit status 4");
    // `bad` keeps its old inputs (exit 0), so destroy runs its delete.
    const bad = readState(stateFile)?.resources.find((x) => x.name === "bad");
    expect(String(bad?.inputs.create)).toContain("exit 0");
    const before = opsLog(dir).length;
    const d = await runDestroy({ stateFile });
    expectOk(d);
    expect(opsLog(dir).slice(before).sort()).toEqual(["after delete", "bad delete", "first delete", "slow delete"]);
  });
});

describe("a failure that leaves the program's outputs pending", () => {
  it("is reported as the resource's failure once nothing is left to run, not as a hang", async () => {
    const dir = workDir();
    const stateFile = path.join(dir, "stall.json");
    try {
      const r = await runUp({ programDir: path.join(TESTDATA, "failing"), stack: "stall", config: { dir, onlyAfter: true }, stateFile, runTimeoutSec: 60 });
      expect(r.ok).toBe(false);
      expect(r.error).toContain("command:local:Command (bad):");
      expect(r.error).toContain("exit status 3");
      expect(readState(stateFile)?.resources.filter((x) => x.type === COMMAND_TYPE).map((x) => x.name).sort()).toEqual(["first", "slow"]);
    } finally {
      await runDestroy({ stateFile });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("failAt injects a failure mid-up", () => {
  const dir = workDir();
  const stateFile = path.join(dir, "failat.json");
  const up = (failAt?: UpOptions["failAt"]): Promise<RunResult> =>
    runUp({ programDir: path.join(TESTDATA, "chain"), stack: "failat", config: { dir }, stateFile, failAt });
  afterAll(async () => {
    await runDestroy({ stateFile });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("fails the named Command's create instead of running it", async () => {
    const r = await up("b");
    expect(r.ok).toBe(false);
    expect(r.error).toContain("command:local:Command (b):");
    expect(r.error).toContain("failure injected (failAt b)");
    expect(opsLog(dir)).toEqual(["a create hello"]);
    expect(readState(stateFile)?.resources.filter((x) => x.type === COMMAND_TYPE).map((x) => x.name)).toEqual(["a"]);
  });

  it("with after: runs the create, then fails it, so it is not saved and runs again next time", async () => {
    const r = await up({ name: "b", after: true });
    expect(r.ok).toBe(false);
    expect(r.error).toContain("after create succeeded");
    expect(opsLog(dir)).toEqual(["a create hello", "b create from_a=hello"]);
    const next = await up();
    expectOk(next);
    expect(ran(next)).toEqual(["b:create:create", "c:create:create"]);
  });
});

describe("long-lived helpers started by a create", () => {
  const dir = workDir();
  const pidFile = path.join(dir, "helper.pid");
  const pids: number[] = [];
  const up = (style: string, stateFile: string, commandTimeoutSec = 60): Promise<RunResult> =>
    runUp({ programDir: path.join(TESTDATA, "detach"), stack: style, config: { dir, style }, stateFile, commandTimeoutSec });
  const helperPid = (): number => {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    pids.push(pid);
    return pid;
  };
  afterAll(() => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a helper in its own session outlives the up and is stopped by its PID on destroy", async () => {
    const stateFile = path.join(dir, "setsid.json");
    const r = await up("setsid", stateFile);
    expectOk(r);
    const pid = helperPid();
    expect(alive(pid)).toBe(true);
    const d = await runDestroy({ stateFile });
    expectOk(d);
    expect(await waitGone(pid)).toBe(true);
  });

  it("a background helper that did not setsid dies with the provider's process group at the end of the up", async () => {
    const stateFile = path.join(dir, "background.json");
    const r = await up("background", stateFile);
    expectOk(r);
    expect(await waitGone(helperPid())).toBe(true);
    await runDestroy({ stateFile });
  });

  it("a helper holding the command's output pipes hangs the create: reported as a failure naming the resource and the holder", async () => {
    const stateFile = path.join(dir, "holds.json");
    const r = await up("holds-pipes", stateFile, 2);
    expect(r.ok).toBe(false);
    expect(r.error).toContain("command:local:Command (helper):");
    expect(r.error).toContain("command:local:Command (helper) create did not finish within 2s");
    expect(r.error).toContain("still held open");
    expect(r.error).toContain("sleep 300");
    expect(await waitGone(helperPid())).toBe(true);
    expect(readState(stateFile)?.resources.some((x) => x.name === "helper")).toBe(false);
  });
});

describe("resource options and secrets", () => {
  const dir = workDir();
  const stateFile = path.join(dir, "secrets.json");
  const up = (rev: string): Promise<RunResult> =>
    runUp({ programDir: path.join(TESTDATA, "secrets"), stack: "secrets", config: { dir, rev }, stateFile });
  afterAll(async () => {
    await runDestroy({ stateFile });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("marks additionalSecretOutputs and outputs of secret inputs secret; logging none logs nothing", async () => {
    const r = await up("1");
    expectOk(r);
    expect(r.outputs).toEqual({ kubeconfig: "kubeconfig-1", secretLen: "len=3", plain: ["", "first-1", "1", ""] });
    expect(r.secretOutputs.sort()).toEqual(["kubeconfig", "secretLen"]);
    const kubeUrn = r.registrations.find((x) => x.name === "kube")?.urn;
    expect(r.log.filter((l) => l.urn === kubeUrn && l.stream !== "engine")).toEqual([]);
    expect(r.log.some((l) => l.stream === "stdout" && l.line === "first-1")).toBe(true);
  });

  it("ignoreChanges keeps a resource the same; addPreviousOutputInEnv false hides the previous stdout", async () => {
    const before = opsLog(dir).length;
    const r = await up("2");
    expectOk(r);
    expect(ran(r).sort()).toEqual(["from-secret:update:create", "kube:update:create", "no-prev:update:update", "retained:update:create"]);
    expect(opsLog(dir).slice(before).sort()).toEqual(["no-prev update prev=unset", "retained create"]);
    expect(r.outputs?.plain).toEqual(["", "again-2", "1", ""]);
  });

  it("destroy skips retainOnDelete and tolerates a command without delete", async () => {
    const before = opsLog(dir).length;
    const r = await runDestroy({ stateFile });
    expectOk(r);
    expect(opsLog(dir).slice(before)).toEqual(["no-prev delete prev=unset"]);
  });
});

describe("program errors and config", () => {
  it("a program that throws fails the up with its message and runs nothing", async () => {
    const dir = workDir();
    try {
      const r = await runUp({ programDir: path.join(TESTDATA, "chain"), stack: "noconfig", config: {}, stateFile: path.join(dir, "s.json") });
      expect(r.ok).toBe(false);
      expect(r.error).toContain("Missing required configuration variable 'calico-ipip-lab:dir'");
      expect(r.operations).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads a stack's config as the CLI assembles it and encodes it as the CLI passes it", () => {
    const config = loadStackConfig(REPO, "crosssubnet");
    expect(config["calico-ipip-lab:ipipMode"]).toBe("CrossSubnet");
    // Project defaults from Pulumi.yaml, overridden by the stack file.
    expect(config["calico-ipip-lab:podSubnet"]).toBe("10.244.0.0/16");
    const cli = toCliConfig({ ...config, labName: "x", topology: { subnets: [] }, blockSize: 26 }, "calico-ipip-lab");
    expect(cli["calico-ipip-lab:labName"]).toBe("x");
    expect(cli["calico-ipip-lab:topology"]).toBe('{"subnets":[]}');
    expect(cli["calico-ipip-lab:blockSize"]).toBe("26");
    expect(() => loadStackConfig(REPO, "no-such-stack")).toThrow(/Pulumi.no-such-stack.yaml does not exist/);
  });
});
