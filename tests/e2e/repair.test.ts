/**
 * A lab lost under a live stack — a namespace deleted by hand, a tunl0 helper or a BIRD
 * stopped by PID, everything gone as after a reboot — is rebuilt by the next `pulumi up`,
 * whose verdicts are fresh; once repaired, an up with --expect-no-changes passes; destroys
 * print no Error line. Two labs, each its own story, at the same time. Needs root and
 * bird2; see support.ts.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { buildLabSpec } from "../../model/config";
import { DirectLab } from "../netns/direct";
import { nodeNamespace } from "../../components/netns/names";
import { TUNL0_HELPER_PID_FILE } from "../../components/netns/survival";
import { LabSpec } from "../../model/spec";
import { CliResult } from "../../toolchain/stack";
import { ALWAYS, changes, checkLab, commandsThatRan, destroyAndRemove, e2eSuite, errorLines, expectOk, SEED_ALWAYS, step, TestLab } from "./support";

jest.setTimeout(300_000);

const SCENARIOS = ["same-subnet", "cross-subnet"];

/** A lab of the ipip stack with the spec the program builds for it. */
function repairLab(tag: string): { lab: TestLab; spec: LabSpec } {
  const lab = new TestLab(tag, "ipip");
  const spec = buildLabSpec({ backend: "netns", labName: lab.name }, { stack: lab.stackName, cwd: process.cwd() });
  return { lab, spec };
}

const pcapTimes = (lab: TestLab): number[] => SCENARIOS.map((s) => fs.statSync(path.join(lab.captureDir, `${s}.pcap`)).mtimeMs);

/**
 * Up again after damage: the lab must be whole and the captures taken anew. A lab with
 * something left of it is said to be not whole (a warning); one with nothing left (no run
 * folder, no namespace) is built as new, without the warning.
 */
async function repairedUp(lab: TestLab, warns = true): Promise<CliResult> {
  const before = pcapTimes(lab);
  const { run, outputs } = await lab.upOk();
  const warning = `lab ${lab.name} is not whole on this host`;
  if (warns) expect(run.stdout).toContain(warning);
  else expect(run.stdout).not.toContain(warning);
  checkLab(outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
  const after = pcapTimes(lab);
  expect(after.every((t, i) => t > before[i])).toBe(true);
  return run;
}

/** Once repaired, the lab is whole: another up changes nothing. */
async function upChangesNothing(lab: TestLab): Promise<void> {
  const r = await lab.up({ args: ["--expect-no-changes"] });
  expectOk(r, "up --expect-no-changes");
  expect(changes(r)).toEqual([]);
}

/** destroy of the repaired lab prints no Error line and leaves nothing. */
async function cleanDestroy(lab: TestLab): Promise<void> {
  const r = await destroyAndRemove(lab);
  expect(errorLines(r)).toEqual([]);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

e2eSuite("the next up rebuilds a lab whose topology was lost under a live stack", () => {
  const { lab, spec } = repairLab("rt");
  afterAll(() => lab.cleanup());

  it.concurrent("a namespace deleted by hand, then a tunl0 helper stopped by PID: each time rebuilt and captured again", async () => {
    await step("up", async () => {
      checkLab((await lab.upOk()).outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
    });

    await step("a namespace deleted by hand", async () => {
      execFileSync("ip", ["netns", "del", nodeNamespace(spec, spec.nodes[2])]);
      const r = await repairedUp(lab);
      expect(commandsThatRan(r)).toContain(`${lab.name}-topology`);
    });

    await step("a tunl0 helper stopped by PID (userspace tunl0)", async () => {
      const pidFile = path.join(lab.runDir, TUNL0_HELPER_PID_FILE);
      if (!fs.existsSync(pidFile)) return; // the kernel's tunl0 has no helper to stop
      process.kill(Number(fs.readFileSync(pidFile, "utf8").trim()), "SIGTERM");
      await sleep(300);
      const r = await repairedUp(lab);
      expect(commandsThatRan(r)).toContain(`${lab.name}-topology`);
    });

    await step("an up of the repaired lab", () => upChangesNothing(lab));
    await step("destroy", () => cleanDestroy(lab));
  });
});

e2eSuite("the next up repairs a lab whose control plane, or everything, was lost under a live stack", () => {
  const { lab, spec } = repairLab("rc");
  afterAll(() => lab.cleanup());

  it.concurrent("a node's BIRD stopped by PID: only the control plane and the captures run; everything gone as after a reboot: rebuilt", async () => {
    await step("up", async () => {
      checkLab((await lab.upOk()).outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
    });

    await step("a node's BIRD stopped by PID", async () => {
      process.kill(Number(fs.readFileSync(path.join(lab.runDir, "bird", "n2.pid"), "utf8").trim()), "SIGTERM");
      await sleep(300);
      const r = await repairedUp(lab);
      const ran = commandsThatRan(r);
      expect(ran).not.toContain(`${lab.name}-topology`);
      expect(ran).toEqual(expect.arrayContaining([`${lab.name}-controlplane`, `${lab.name}-same-subnet-tcpdump`, `${lab.name}-cross-subnet-tcpdump`]));
      // In place: the control plane and the captures are updated, nothing replaced.
      expect(r.steps.filter((s) => s.op !== "same" && s.op !== "update")).toEqual([]);
    });

    await step("everything gone, as after a reboot", async () => {
      await new DirectLab(spec).down();
      expect(fs.existsSync(lab.runDir)).toBe(false);
      expect(lab.namespaces()).toEqual([]);
      const r = await repairedUp(lab, false);
      expect(commandsThatRan(r)).toContain(`${lab.name}-topology`);
    });

    await step("an up of the repaired lab", () => upChangesNothing(lab));
    await step("destroy", () => cleanDestroy(lab));
  });
});
