/**
 * What the netns teardown prints (root). A destroy whose log shows "Error" lines while it
 * succeeded teaches users to ignore the log, so: a normal down, and a down after an up
 * that was killed midway and run again, print no line with "Error"; what down cannot
 * finish (a namespace it could not delete) is printed and fails it. Labs are named after
 * this process (`t<pid>-...`) and removed in afterAll whatever happened.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildLabSpec } from "../../model/config";
import { DirectLab, runScript, ScriptRun } from "./direct";
import { NETNS_SCRIPTS, netnsNames, nodeNamespace, podNamespace } from "../../components/netns/names";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const suite = isRoot ? describe : describe.skip;
if (!isRoot) console.warn("tests/netns/teardown.test.ts needs root (network namespaces): skipped");

const NETNS_DIR = "/var/run/netns";
const tag = `t${process.pid}`;
const labs: DirectLab[] = [];
/** Paths under /var/run/netns a test made by hand; removed in afterAll if a test failed midway. */
const handMade: string[] = [];

function lab(name: string): DirectLab {
  const l = new DirectLab(buildLabSpec({ backend: "netns", labName: `${tag}-${name}` }, { stack: "test", cwd: process.cwd() }));
  labs.push(l);
  return l;
}

/** The lines of a script's stderr that mention an error, whatever the case. */
function errorLines(run: ScriptRun): string[] {
  return run.stderr.split("\n").filter((l) => /error/i.test(l));
}

async function upOk(l: DirectLab): Promise<ScriptRun> {
  const run = await runScript(NETNS_SCRIPTS.up, l.topologyEnv, { stdin: l.topology.stdin });
  if (run.code !== 0) throw new Error(`up.sh of ${l.spec.name} exited ${run.code ?? run.signal}: ${run.stderr.slice(-2000)}`);
  return run;
}

/** down.sh succeeds, prints no line with "Error" and leaves nothing of the lab. */
async function expectQuietDown(l: DirectLab): Promise<void> {
  const down = await runScript(NETNS_SCRIPTS.down, l.topologyEnv);
  expect({ lab: l.spec.name, code: down.code, errors: errorLines(down) }).toEqual({ lab: l.spec.name, code: 0, errors: [] });
  expect(l.leftovers()).toEqual({ namespaces: [], runDir: false, processes: [] });
}

/** True when `file` is a namespace mount, not a plain file left by an interrupted `ip netns add`. */
function isNamespace(file: string): boolean {
  return execFileSync("stat", ["-f", "-c", "%T", file], { encoding: "utf8" }).trim() === "nsfs";
}

suite("netns teardown tells the truth", () => {
  afterAll(async () => {
    for (const f of handMade) {
      // `ip netns del` also unmounts a namespace entry and removes a plain file.
      if (fs.existsSync(f)) execFileSync("ip", ["netns", "del", path.basename(f)], { stdio: "ignore" });
    }
    for (const l of labs) await runScript(NETNS_SCRIPTS.down, l.topologyEnv).catch(() => undefined);
  });

  it("a normal up and down print no line with Error", async () => {
    const l = lab("plain");
    expect(errorLines(await upOk(l))).toEqual([]);
    await expectQuietDown(l);
  });

  it("after an up killed midway (its whole process group, as an engine stops its commands) and run again, down prints no line with Error", async () => {
    const l = lab("killed");
    const child = spawn("bash", [NETNS_SCRIPTS.up], { env: { ...process.env, ...l.topologyEnv }, stdio: ["pipe", "ignore", "pipe"], detached: true });
    child.stdin.end(l.topology.stdin);
    let said = "";
    child.stderr.on("data", (d: Buffer) => (said += d.toString()));
    const closed = new Promise((r) => child.once("close", r));
    // Midway: the links exist, addresses, routes and helpers are still to come.
    const deadline = Date.now() + 10000;
    while (!/s: links/.test(said) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    const killedMidway = child.exitCode === null && !/ up: /.test(said);
    if (child.pid === undefined) throw new Error("up.sh did not start");
    process.kill(-child.pid, "SIGKILL");
    await closed;
    expect(killedMidway).toBe(true);

    expect(errorLines(await upOk(l))).toEqual([]);
    await expectQuietDown(l);
  });

  it("an entry `ip netns add` left as a plain file (killed before its bind mount) is what makes ip print 'Peer netns reference is invalid'; the next up removes it and down stays quiet", async () => {
    const witness = lab("witness");
    const l = lab("stale");
    await upOk(witness);
    // A veth whose peer lives in another namespace: showing it makes ip name that namespace,
    // for which it asks the kernel about every entry of /var/run/netns.
    const show = (): string =>
      execFileSync("bash", ["-c", 'ip -n "$1" link show net0 2>&1 >/dev/null', "-", `${witness.spec.name}-n1`], { encoding: "utf8" }).trim();
    expect(show()).toBe("");
    const stale = path.join(NETNS_DIR, `${l.spec.name}-p2`);
    handMade.push(stale);
    fs.writeFileSync(stale, "");
    expect(show()).toBe("Error: Peer netns reference is invalid.");
    const up = await upOk(l);
    expect(isNamespace(stale)).toBe(true);
    expect(show()).toBe("");
    expect(errorLines(up)).toEqual([]);
    for (const x of [l, witness]) {
      await expectQuietDown(x);
    }
  });

  it("a lab whose state holds the environment of before NETNS_NAMESPACES (its tables) is still removed, quietly", async () => {
    const l = lab("legacy");
    await upOk(l);
    const names = netnsNames(l.spec);
    // The old NETNS_NODES lines: nodeNs bridge port ip prefix gateway podNs podIp cali.
    const nodes = l.spec.nodes.map((n) => `${nodeNamespace(l.spec, n)} br x ${n.ip} ${n.prefixLength} ${n.gateway} ${podNamespace(l.spec, n)} ${n.pod.ip} cali`);
    const legacy = { NETNS_LAB: l.spec.name, NETNS_RUN_DIR: l.runDir, NETNS_UNDERLAY: names.underlay, NETNS_ROUTER: names.router, NETNS_NODES: nodes.join("\n") };
    const down = await runScript(NETNS_SCRIPTS.down, legacy);
    expect({ code: down.code, errors: errorLines(down), out: down.stdout }).toEqual({ code: 0, errors: [], out: `{"lab":"${l.spec.name}","removedNamespaces":10,"seconds":${JSON.parse(down.stdout).seconds}}\n` });
    expect(l.leftovers()).toEqual({ namespaces: [], runDir: false, processes: [] });
  });

  it("up refuses a topology that reaches into a namespace not of its lab, before building anything", async () => {
    const l = lab("foreign");
    for (const [what, stdin] of [
      ["a sysctl", l.topology.stdin.replace("=sysctl\n", "=sysctl\nsomeone-else net.ipv4.ip_forward 1\n")],
      ["a link", l.topology.stdin.replace(/netns \S+-gw0 /, "netns someone-else ")],
      ["a batch", `${l.topology.stdin}=someone-else\nlink set lo up\n`],
    ]) {
      const run = await runScript(NETNS_SCRIPTS.up, l.topologyEnv, { stdin });
      expect({ what, code: run.code, said: /someone-else.* is not a namespace of lab/.test(run.stderr) }).toEqual({ what, code: 1, said: true });
      expect(l.leftovers()).toEqual({ namespaces: [], runDir: false, processes: [] });
    }
  });

  it("two downs at once both succeed quietly: a namespace the other one removed first is no error", async () => {
    const l = lab("twice");
    await upOk(l);
    const [a, b] = await Promise.all([runScript(NETNS_SCRIPTS.down, l.topologyEnv), runScript(NETNS_SCRIPTS.down, l.topologyEnv)]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect([...a.stderr.split("\n"), ...b.stderr.split("\n")].filter((s) => s !== "" && !/ down: \d+ namespaces removed/.test(s))).toEqual([]);
    expect(l.leftovers()).toEqual({ namespaces: [], runDir: false, processes: [] });
  });

  it("a namespace down cannot delete is printed, fails down and keeps the run dir; once it can go, down succeeds", async () => {
    const l = lab("busy");
    await upOk(l);
    const busy = path.join(NETNS_DIR, `${l.spec.name}-n2`);
    handMade.push(busy);
    // A second mount on the entry: `ip netns del` detaches one and cannot unlink the file.
    execFileSync("mount", ["--bind", busy, busy]);
    const failed = await runScript(NETNS_SCRIPTS.down, l.topologyEnv);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(`could not delete the namespaces ${l.spec.name}-n2 of lab ${l.spec.name}; ip said: Cannot remove namespace file`);
    expect(failed.stderr).toMatch(/netns\/t\d+-busy-n2": Device or resource busy/);
    expect(l.leftovers()).toMatchObject({ namespaces: [`${l.spec.name}-n2`], runDir: true });

    execFileSync("ip", ["netns", "del", path.basename(busy)]);
    await expectQuietDown(l);
  });
});
