/**
 * The netns backend alone (tests/netns/program: a NetnsLab and a CaptureRun per scenario,
 * no CalicoIpipLab) under the real Pulumi engine — the pinned CLI, the project's command
 * provider, a state folder of its own — switched live from IPIP Always to CrossSubnet.
 * Proves: up in mode Always gives IPIP on both paths, and the daemons the Commands start
 * detached (every BIRD, the tunl0 helpers) outlive the provider the engine stops at the
 * end of the up; the switch updates only the control plane's and the gateway's Commands
 * and the captures (the topology stays, nothing is replaced), the same BIRDs run on with
 * the new filter loaded in place (no restart), and then the same-subnet path is plain;
 * destroy and `stack rm` leave nothing. The whole program's switch through IPIP and
 * VXLAN is tests/e2e/lifecycle.test.ts's. Root only.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildLabSpec } from "../../model/config";
import { CaptureResult } from "../../model/spec";
import { toolchainDir } from "../../toolchain";
import { CliResult, describeFailure, PulumiStack } from "../../toolchain/stack";
import { DirectLab } from "./direct";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const suite = isRoot ? describe : describe.skip;
if (!isRoot) console.warn("tests/netns/liveModeSwitch.test.ts needs root (network namespaces): skipped");

jest.setTimeout(180_000);

const PROGRAM = path.join(__dirname, "program");
const PROJECT = "calico-ipip-lab";

/** The PIDs in the lab's pid files under its run folder: every BIRD, every tunl0 helper. */
function daemonPids(run: string): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const dir of [run, path.join(run, "bird")]) {
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      if (/(^n\d+|^gateway|\.tunl0)\.pid$/.test(f)) pids[path.relative(run, path.join(dir, f))] = Number(fs.readFileSync(path.join(dir, f), "utf8").trim());
    }
  }
  return pids;
}

/** Whether `pid` runs (a zombie, exited but not yet reaped by whoever inherited it, does not). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function expectOk(r: CliResult, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed:\n${describeFailure(r)}`);
}

suite("the netns backend under the real engine: a live switch from IPIP Always to CrossSubnet", () => {
  const tag = crypto.randomBytes(2).toString("hex");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "netns-engine-"));
  const labName = `ms-${tag}`;
  const stackName = `netns-${tag}`;
  const config = { backend: "netns", labName, capture: { dir: path.join(dir, "captures") } };
  const lab = new DirectLab(buildLabSpec({ backend: "netns", labName }, { stack: stackName, cwd: PROGRAM }));
  const run = lab.runDir;
  let stack: PulumiStack;
  let created = false;
  let removed = false;
  let afterUp: Record<string, number> = {};

  const cli = (args: string[]): Promise<CliResult> => stack.run(args);
  const up = (): Promise<CliResult> => cli(["up", "--yes", "--skip-plugin-pre-install"]);
  const outputs = async (): Promise<Record<string, unknown>> => {
    const r = await cli(["stack", "output", "--json", "--show-secrets"]);
    expectOk(r, "stack output");
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };
  const verdicts = (o: Record<string, unknown>): [string, string, string, boolean][] =>
    ((o.captures ?? []) as CaptureResult[]).map((c) => [c.scenario, c.expected, c.observed, c.pass]);

  beforeAll(() => {
    fs.mkdirSync(path.join(dir, "state"));
    stack = new PulumiStack({
      stack: stackName,
      binDir: toolchainDir(),
      programDir: PROGRAM,
      backendUrl: `file://${path.join(dir, "state")}`,
      configFile: path.join(dir, `Pulumi.${stackName}.yaml`),
    });
  });

  afterAll(async () => {
    if (created && !removed) {
      await cli(["destroy", "--yes", "--skip-plugin-pre-install"]).catch(() => undefined);
      await cli(["stack", "rm", "--yes", "--force"]).catch(() => undefined);
    }
    await lab.down().catch(() => undefined);
    fs.rmSync(path.join(PROGRAM, `Pulumi.${stackName}.yaml`), { force: true });
    stack.removeCliLogs();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("up in mode Always: both paths encapsulated; the detached daemons outlive the provider", async () => {
    const besideProgram = path.join(PROGRAM, `Pulumi.${stackName}.yaml`);
    expectOk(await cli(["stack", "select", "--create"]), "stack select --create");
    // The CLI leaves the passphrase's salt beside the program; the stack's state has it too.
    fs.rmSync(besideProgram, { force: true });
    created = true;
    stack.writeConfig({ ...config, ipipMode: "Always" });
    const r = await up();
    expectOk(r, "up");
    expect(r.steps.filter((s) => s.type === "calico-ipip-lab:index:CalicoIpipLab")).toEqual([]);
    const o = await outputs();
    expect(o.verdict).toBe("pass");
    expect(o.dataplane).toMatch(/^(kernel|userspace)-ipip$/);
    expect(verdicts(o)).toEqual([
      ["same-subnet", "ipip", "ipip", true],
      ["cross-subnet", "ipip", "ipip", true],
    ]);
    // The engine has stopped the provider: what the Commands started detached runs on.
    afterUp = daemonPids(run);
    expect(Object.keys(afterUp).filter((f) => f.startsWith("bird/")).sort()).toEqual(["bird/n1.pid", "bird/n2.pid", "bird/n3.pid", "bird/n4.pid"]);
    expect(Object.entries(afterUp).filter(([, pid]) => !alive(pid))).toEqual([]);
  });

  it("switched to CrossSubnet: only the control plane's, the gateway's and the captures' Commands update, in place; the same BIRDs run on", async () => {
    stack.writeConfig({ ...config, ipipMode: "CrossSubnet" });
    const r = await up();
    expectOk(r, "up");
    const changed = r.steps.filter((s) => s.op !== "same");
    expect(changed.filter((s) => s.op !== "update")).toEqual([]);
    expect(changed.map((s) => s.name).sort()).toEqual(["lab-cross-subnet-tcpdump", "lab-same-subnet-tcpdump", `${labName}-controlplane`, `${labName}-gateway-bgp`]);
    expect(r.steps.find((s) => s.name === `${labName}-topology`)?.op).toBe("same");
    // A new filter loaded into the running daemons (BIRD's configure), not a restart.
    expect(daemonPids(run)).toEqual(afterUp);
    expect(Object.values(afterUp).filter((pid) => !alive(pid))).toEqual([]);
    expect(verdicts(await outputs())).toEqual([
      ["same-subnet", "none", "none", true],
      ["cross-subnet", "ipip", "ipip", true],
    ]);
  });

  it("destroy and stack rm leave nothing: no namespace, process, run folder or stack", async () => {
    expectOk(await cli(["destroy", "--yes", "--skip-plugin-pre-install"]), "destroy");
    expect(lab.leftovers()).toEqual({ namespaces: [], runDir: false, processes: [] });
    expect(Object.values(afterUp).filter(alive)).toEqual([]);
    expectOk(await cli(["stack", "rm", "--yes"]), "stack rm");
    removed = true;
    expect(fs.readdirSync(path.join(dir, "state", ".pulumi", "stacks", PROJECT)).filter((f) => f.endsWith(".json"))).toEqual([]);
    expect(fs.existsSync(path.join(PROGRAM, `Pulumi.${stackName}.yaml`))).toBe(false);
  });
});
