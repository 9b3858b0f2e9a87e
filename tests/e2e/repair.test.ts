/**
 * A lab lost under a live stack — a namespace deleted by hand, a tunl0 helper or a BIRD
 * stopped by PID, everything gone as after a reboot — is rebuilt by the next up, whose
 * verdicts are fresh; a whole lab's up changes nothing; destroys print no "Error" line.
 * Needs root and bird2; see support.ts.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildLabSpec } from "../../lab/config";
import { DirectLab } from "../../components/netns/direct";
import { nodeNamespace, runDir } from "../../components/netns/plan";
import { RunResult } from "../../harness/types";
import { ALWAYS, checkLab, commandsThatRan, e2eSuite, expectOk, expectUp, TestLab } from "./support";

jest.setTimeout(300_000);

const SEED_ALWAYS = { "same-subnet": "ipip", "cross-subnet": "ipip" } as const;

/** The lines of a run's commands' stderr that say Error, whatever the case. */
function errorLines(r: RunResult): string[] {
  return r.operations.flatMap((o) => o.stderr.split("\n").filter((l) => /error/i.test(l)).map((l) => `${o.name}: ${l}`));
}

e2eSuite("the next up repairs a lab lost under a live stack", () => {
  const lab = new TestLab("rp");
  const spec = buildLabSpec({ backend: "netns", labName: lab.name }, { stack: "ipip", cwd: process.cwd() });
  const run = runDir(spec);
  const pcapTimes = (): number[] => ["same-subnet", "cross-subnet"].map((s) => fs.statSync(path.join(lab.captureDir, `${s}.pcap`)).mtimeMs);
  afterAll(() => lab.cleanup());

  /** Up again after damage: the lab must be whole and the captures taken anew. */
  async function repairedUp(): Promise<RunResult> {
    const before = pcapTimes();
    const r = await lab.up("ipip");
    checkLab(expectUp(r), { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
    const after = pcapTimes();
    expect(after.every((t, i) => t > before[i])).toBe(true);
    return r;
  }

  it("up, then an up of the whole lab changes nothing", async () => {
    checkLab(expectUp(await lab.up("ipip")), { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
    const again = await lab.up("ipip");
    expectUp(again);
    expect(commandsThatRan(again)).toEqual([]);
    expect(again.operations.filter((o) => o.op !== "same")).toEqual([]);
  });

  it("a namespace deleted by hand: the lab is rebuilt and captured again", async () => {
    execFileSync("ip", ["netns", "del", nodeNamespace(spec, spec.nodes[2])]);
    const r = await repairedUp();
    expect(commandsThatRan(r)).toContain(`${lab.name}-topology`);
  });

  it("a tunl0 helper stopped by PID (userspace tunl0): the lab is rebuilt", async () => {
    const pidFile = path.join(run, `${nodeNamespace(spec, spec.nodes[0])}.tunl0.pid`);
    if (!fs.existsSync(pidFile)) return; // the kernel's tunl0 has no helper to stop
    process.kill(Number(fs.readFileSync(pidFile, "utf8").trim()), "SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const r = await repairedUp();
    expect(commandsThatRan(r)).toContain(`${lab.name}-topology`);
  });

  it("a node's BIRD stopped by PID: only the control plane and the captures run again", async () => {
    process.kill(Number(fs.readFileSync(path.join(run, "bird", "n2.pid"), "utf8").trim()), "SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const r = await repairedUp();
    const ran = commandsThatRan(r);
    expect(ran).not.toContain(`${lab.name}-topology`);
    expect(ran).toEqual(expect.arrayContaining([`${lab.name}-controlplane`, `${lab.name}-same-subnet-tcpdump`]));
  });

  it("everything gone, as after a reboot: rebuilt", async () => {
    await new DirectLab(spec).down();
    expect(fs.existsSync(run)).toBe(false);
    const r = await repairedUp();
    expect(commandsThatRan(r)).toContain(`${lab.name}-topology`);
  });

  it("destroy of the repaired lab prints no Error line and leaves nothing", async () => {
    const r = await lab.destroy();
    expectOk(r, "destroy");
    expect(errorLines(r)).toEqual([]);
    expect(lab.leftovers()).toEqual([]);
  });
});
