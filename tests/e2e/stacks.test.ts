/**
 * The six shipped stacks on the netns backend, end to end through the real Pulumi CLI,
 * side by side in two groups (each group's labs up at the same time): `pulumi preview`
 * creates nothing; `pulumi up`; the outputs of `pulumi stack output --json` against the
 * contract (BIRD's sessions and routes included; tshark's reading of the VXLAN pcaps);
 * `npm run verify -- --outputs FILE` exits 0; a second `pulumi up --expect-no-changes`
 * passes; destroying one lab leaves the others' BIRDs and sessions untouched; `pulumi
 * destroy` leaves nothing, twice; `pulumi stack rm`. Needs root and bird2; see support.ts.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { ALWAYS, CROSS, checkLab, commandSteps, commandsThatRan, e2eSuite, expectNothingBuilt, expectOk, NEVER, SEED_ALWAYS, SEED_CROSS, TestLab, together, VXLAN, VXLAN_CROSS } from "./support";
import { Encapsulation, LabOutputs, PoolModes } from "../../model/spec";

jest.setTimeout(300_000);

interface StackCase {
  stack: string;
  tag: string;
  modes: PoolModes;
  scenarios: Record<string, Encapsulation>;
  reflectors?: number[];
}

const CASES: StackCase[] = [
  { stack: "ipip", tag: "ip", modes: ALWAYS, scenarios: SEED_ALWAYS },
  { stack: "crosssubnet", tag: "cs", modes: CROSS, scenarios: SEED_CROSS },
  { stack: "bgp", tag: "bg", modes: NEVER, scenarios: { "same-subnet": "none", "cross-subnet": "none" } },
  { stack: "vxlan", tag: "vx", modes: VXLAN, scenarios: { "same-subnet": "vxlan", "cross-subnet": "vxlan" } },
  { stack: "vxlancrosssubnet", tag: "vc", modes: VXLAN_CROSS, scenarios: { "same-subnet": "none", "cross-subnet": "vxlan" } },
  { stack: "rr", tag: "rr", modes: CROSS, scenarios: SEED_CROSS, reflectors: [1, 3] },
];
/** The seed lab's two stacks. */
const SEED_STACKS = ["ipip", "crosssubnet"];
/** Labs up at the same time (a 2-core machine: more at once only waits longer). */
const GROUPS: string[][] = [
  ["ipip", "crosssubnet"],
  ["bgp", "vxlan", "vxlancrosssubnet", "rr"],
];

/** The PIDs of a lab's node BIRDs, from their pid files. */
function birdPids(lab: TestLab): number[] {
  const dir = path.join(lab.runDir, "bird");
  return fs
    .readdirSync(dir)
    .filter((f) => /^n\d+\.pid$/.test(f))
    .sort()
    .map((f) => Number(fs.readFileSync(path.join(dir, f), "utf8").trim()));
}

/** Node 1's BGP sessions in state Established, as its BIRD tells them. */
function establishedOfNode1(lab: TestLab): number {
  const out = execFileSync("birdc", ["-s", path.join(lab.runDir, "bird", "n1.ctl"), "show", "protocols"], { encoding: "utf8" });
  return out.split("\n").filter((l) => / BGP .* Established/.test(l)).length;
}

/** tshark's dissection of each VXLAN pcap agrees with the analyzer's outputs. */
function checkVxlanWithTshark(outputs: LabOutputs): void {
  for (const c of outputs.captures.filter((x) => x.observed === "vxlan")) {
    // Per packet: outer then inner addresses, the outer UDP ports and the VNI, as tshark dissects them.
    const rows = execFileSync("tshark", ["-r", c.pcap, "-Y", "vxlan", "-T", "fields", "-E", "separator=;", "-e", "ip.src", "-e", "ip.dst", "-e", "udp.srcport", "-e", "udp.dstport", "-e", "vxlan.vni"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    })
      .trim()
      .split("\n")
      .map((l) => l.split(";"));
    const forward = rows.filter(([src]) => src.startsWith(`${c.client.nodeIp},`));
    expect(forward.length).toBeGreaterThan(0);
    for (const [src, dst, , dstPort, vni] of forward) {
      expect([src, dst, dstPort, vni]).toEqual([`${c.client.nodeIp},${c.client.ip}`, `${c.server.nodeIp},${c.server.ip}`, "4789", String(c.outer?.vni)]);
    }
    // The source port hashes the inner flow (ICMP and TCP differ): the analyzer's is one of them.
    expect(forward.map((r) => r[2])).toContain(String(c.outer?.srcPort));
  }
}


describe.each(GROUPS.map((g) => ({ group: g.join(", "), stacks: g })))("stacks $group", ({ stacks }) => {
  e2eSuite(`stacks ${stacks.join(", ")} side by side on the netns backend, through the Pulumi CLI`, () => {
    const labs = stacks.map((s) => {
      const c = CASES.find((x) => x.stack === s);
      if (!c) throw new Error(`no case for stack ${s}`);
      return { ...c, lab: new TestLab(c.tag, c.stack) };
    });
    const outputs = new Map<string, LabOutputs>();
    afterAll(() => together(labs, ({ lab }) => lab.cleanup()));

    it("pulumi preview plans every Command and creates nothing: no namespace, no run or capture folder, no state", () =>
      together(labs, async ({ lab }) => {
        const r = await lab.preview();
        expectOk(r, `preview of ${lab.stackName}`);
        // The engine reports a new stack's whole plan as creates; none of them ran.
        expect(r.steps.filter((s) => s.op !== "create" || s.failed)).toEqual([]);
        const planned = commandSteps(r).map((s) => s.name);
        expect(planned).toEqual(
          expect.arrayContaining([`${lab.name}-topology`, `${lab.name}-gateway-bgp`, `${lab.name}-controlplane`, `${lab.name}-same-subnet-tcpdump`, `${lab.name}-cross-subnet-tcpdump`]),
        );
        // No Command printed anything (up.sh says `netns-lab: …` as it builds).
        expect(r.stdout).not.toContain("netns-lab:");
        await expectNothingBuilt(lab);
      }));

    it("pulumi up: every resource created; the verdicts of each stack's modes, from the pcaps; tshark agrees on VXLAN", () =>
      together(labs, async ({ lab, modes, scenarios, reflectors }) => {
        // The seed's two stacks run `pulumi up` exactly as users do, its preview included.
        const { run, outputs: o } = await lab.upOk({ withPreview: SEED_STACKS.includes(lab.shipped) });
        expect(run.steps.filter((s) => s.op !== "create" || s.failed)).toEqual([]);
        checkLab(o, { labName: lab.name, modes, nodeCount: 4, captureDir: lab.captureDir, scenarios, reflectors });
        checkVxlanWithTshark(o);
        outputs.set(lab.name, o);
      }));

    it("npm run verify -- --outputs FILE on pulumi stack output --json exits 0", () =>
      together(labs, async ({ lab }) => {
        const o = outputs.get(lab.name);
        if (!o) throw new Error(`no outputs of ${lab.name}: its up failed`);
        const v = lab.verify(o);
        expect({ stack: lab.stackName, code: v.code, stderr: v.stderr }).toEqual({ stack: lab.stackName, code: 0, stderr: "" });
        expect(v.stdout).toContain("same-subnet");
        expect(v.stdout).toContain("cross-subnet");
      }));

    it("a second pulumi up --expect-no-changes changes nothing and runs no Command", () =>
      together(labs, async ({ lab }) => {
        const r = await lab.up({ args: ["--expect-no-changes"] });
        expectOk(r, `second up of ${lab.stackName}`);
        expect(r.steps.filter((s) => s.op !== "same")).toEqual([]);
        expect(commandsThatRan(r)).toEqual([]);
      }));

    it("pulumi destroy of the first lab leaves nothing of it; the others keep their BIRDs and every session", async () => {
      const [first, ...others] = labs.map((l) => l.lab);
      const before = others.map((l) => ({ lab: l.name, birds: birdPids(l), sessions: establishedOfNode1(l) }));
      for (const b of before) expect(b.birds).toHaveLength(4);
      const r = await first.destroy();
      expectOk(r, `destroy of ${first.stackName}`);
      expect(r.steps.filter((s) => s.op !== "delete" || s.failed)).toEqual([]);
      expect(await first.stored()).toEqual([]);
      expect(first.leftovers()).toEqual([]);
      // The other labs are untouched: their state still holds their Commands, and their
      // BIRDs still run, each still holding every session of its own mesh.
      const after = others.map((l) => ({ lab: l.name, birds: birdPids(l), sessions: establishedOfNode1(l) }));
      expect(after).toEqual(before);
      for (const b of after) for (const pid of b.birds) expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
      for (const l of others) expect((await l.storedCommands()).length).toBeGreaterThan(0);
    });

    it("pulumi destroy leaves nothing (a second one, on ipip, has nothing to do); pulumi stack rm; no stack file beside the program", () =>
      together(labs, async ({ lab }) => {
        const r = await lab.destroy();
        expectOk(r, `destroy of ${lab.stackName}`);
        expect(await lab.stored()).toEqual([]);
        expect(lab.leftovers()).toEqual([]);
        if (lab.shipped === "ipip") {
          // Once is enough to show it: a destroyed stack's destroy has nothing to do.
          const again = await lab.destroy();
          expectOk(again, `second destroy of ${lab.stackName}`);
          expect(again.steps.filter((s) => s.op !== "same")).toEqual([]);
        }
        expectOk(await lab.stackRm(), `stack rm of ${lab.stackName}`);
        expect(lab.leftovers()).toEqual([]);
      }));
  });
});
