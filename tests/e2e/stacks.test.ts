/**
 * The shipped stacks on the netns backend, end to end through the executing harness:
 * up, the outputs against the contract (BIRD's sessions and routes included), destroy,
 * nothing left; destroy twice; and two stacks up at the same time. Needs root and bird2;
 * see support.ts.
 */
import { ALWAYS, CROSS, checkLab, e2eSuite, expectOk, expectUp, NEVER, TestLab, VXLAN, VXLAN_CROSS } from "./support";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { RUN_ROOT } from "../../components/netns/plan";
import { PoolModes } from "../../lab/spec";

/** The PIDs of a lab's node BIRDs, from their pid files. */
function birdPids(labName: string): number[] {
  const dir = path.join(RUN_ROOT, labName, "bird");
  return fs
    .readdirSync(dir)
    .filter((f) => /^n\d+\.pid$/.test(f))
    .sort()
    .map((f) => Number(fs.readFileSync(path.join(dir, f), "utf8").trim()));
}

jest.setTimeout(300_000);

const SEED_ALWAYS = { "same-subnet": "ipip", "cross-subnet": "ipip" } as const;
const SEED_CROSS = { "same-subnet": "none", "cross-subnet": "ipip" } as const;

e2eSuite("stack ipip (mode Always) on the netns backend", () => {
  const lab = new TestLab("ip");
  afterAll(() => lab.cleanup());

  it("up: both scenarios encapsulated between the node addresses; verdict pass; pcaps written", async () => {
    const outputs = expectUp(await lab.up("ipip"));
    checkLab(outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
  });

  it("destroy leaves no namespace, process, link or run folder", async () => {
    expectOk(await lab.destroy(), "destroy");
    expect(lab.storedCommands()).toEqual([]);
    expect(lab.leftovers()).toEqual([]);
  });

  it("a second destroy has nothing to do and succeeds", async () => {
    const again = await lab.destroy();
    expectOk(again, "second destroy");
    expect(again.operations).toEqual([]);
    expect(lab.leftovers()).toEqual([]);
  });
});

e2eSuite("stack crosssubnet (mode CrossSubnet) on the netns backend", () => {
  const lab = new TestLab("cs");
  afterAll(() => lab.cleanup());

  it("up: the same-subnet path is plain, the cross-subnet path encapsulated; verdict pass", async () => {
    const outputs = expectUp(await lab.up("crosssubnet"));
    checkLab(outputs, { labName: lab.name, modes: CROSS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_CROSS });
  });

  it("destroy leaves nothing", async () => {
    expectOk(await lab.destroy(), "destroy");
    expect(lab.leftovers()).toEqual([]);
  });
});

describe.each([
  { stack: "bgp", modes: NEVER, scenarios: { "same-subnet": "none", "cross-subnet": "none" } },
  { stack: "vxlan", modes: VXLAN, scenarios: { "same-subnet": "vxlan", "cross-subnet": "vxlan" } },
  { stack: "vxlancrosssubnet", modes: VXLAN_CROSS, scenarios: { "same-subnet": "none", "cross-subnet": "vxlan" } },
] as { stack: string; modes: PoolModes; scenarios: Record<string, "none" | "vxlan"> }[])("stack $stack", ({ stack, modes, scenarios }) => {
  e2eSuite(`stack ${stack} on the netns backend`, () => {
    const lab = new TestLab(stack.slice(0, 2));
    afterAll(() => lab.cleanup());

    it("up: the verdicts of its modes; verdict pass; tshark reads the VXLAN pcaps as the analyzer did", async () => {
      const outputs = expectUp(await lab.up(stack));
      checkLab(outputs, { labName: lab.name, modes, nodeCount: 4, captureDir: lab.captureDir, scenarios });
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
    });

    it("destroy leaves nothing", async () => {
      expectOk(await lab.destroy(), "destroy");
      expect(lab.leftovers()).toEqual([]);
    });
  });
});

e2eSuite("both stacks up at the same time", () => {
  const always = new TestLab("pa");
  const cross = new TestLab("pc");
  afterAll(() => Promise.all([always.cleanup(), cross.cleanup()]));

  it("two labs side by side each pass, and each destroy removes only its own lab", async () => {
    const [a, c] = await Promise.all([always.up("ipip"), cross.up("crosssubnet")]);
    checkLab(expectUp(a), { labName: always.name, modes: ALWAYS, nodeCount: 4, captureDir: always.captureDir, scenarios: SEED_ALWAYS });
    checkLab(expectUp(c), { labName: cross.name, modes: CROSS, nodeCount: 4, captureDir: cross.captureDir, scenarios: SEED_CROSS });
    const crossBirds = birdPids(cross.name);
    expect(crossBirds).toHaveLength(4);
    expectOk(await always.destroy(), "destroy of the Always lab");
    expect(always.leftovers()).toEqual([]);
    // The other lab is untouched: its state still holds its Commands, and its BIRDs still
    // run, each still holding every session of its own mesh.
    expect(cross.storedCommands().length).toBeGreaterThan(0);
    expect(birdPids(cross.name)).toEqual(crossBirds);
    for (const pid of crossBirds) expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
    const sessions = execFileSync("birdc", ["-s", path.join(RUN_ROOT, cross.name, "bird", "n1.ctl"), "show", "protocols"], { encoding: "utf8" });
    expect(sessions.split("\n").filter((l) => / BGP .* Established/.test(l))).toHaveLength(3);
    expectOk(await cross.destroy(), "destroy of the CrossSubnet lab");
    expect(cross.leftovers()).toEqual([]);
  });
});
