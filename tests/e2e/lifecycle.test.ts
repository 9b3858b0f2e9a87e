/**
 * A lab's life across updates on the netns backend: a mode switch on a live lab (IPIP
 * Always → CrossSubnet → VXLAN) re-runs only the control plane and the captures; a failure in the middle of an up leaves a state the
 * next up converges from. Needs root.
 */
import { ALWAYS, CROSS, VXLAN, checkLab, commandsThatRan, e2eSuite, expectOk, expectUp, TestLab } from "./support";

jest.setTimeout(300_000);

const isCapture = (lab: string) => (name: string): boolean => name.startsWith(`${lab}-`) && name.endsWith("-tcpdump");
/** The Commands a mode change re-runs: calico-node's work on the nodes and the gateway's BGP. */
const isRoutes = (name: string): boolean => /-controlplane$|-gateway-bgp$/.test(name);

e2eSuite("switching the modes of a live lab", () => {
  const lab = new TestLab("sw");
  afterAll(() => lab.cleanup());

  it("up in mode Always", async () => {
    const outputs = expectUp(await lab.up("ipip"));
    checkLab(outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: { "same-subnet": "ipip", "cross-subnet": "ipip" } });
  });

  it("up in mode CrossSubnet: only the control plane and the captures run; the verdicts follow the new mode", async () => {
    // The same stack with its mode changed (a live lab's config edit, not another stack).
    const r = await lab.up("ipip", { ipipMode: "CrossSubnet" });
    const outputs = expectUp(r);
    const ran = commandsThatRan(r);
    const captures = ran.filter(isCapture(lab.name));
    const routes = ran.filter(isRoutes);
    expect(ran.filter((n) => !isCapture(lab.name)(n) && !isRoutes(n))).toEqual([]);
    expect(routes.length).toBeGreaterThan(0);
    expect(captures.sort()).toEqual([`${lab.name}-cross-subnet-tcpdump`, `${lab.name}-same-subnet-tcpdump`]);
    // In place: nothing was replaced or deleted.
    expect(r.operations.filter((o) => o.op !== "update")).toEqual([]);
    checkLab(outputs, { labName: lab.name, modes: CROSS, nodeCount: 4, captureDir: lab.captureDir, scenarios: { "same-subnet": "none", "cross-subnet": "ipip" } });
  });

  it("up in VXLAN Always: tunl0's routes gone, vxlan.calico's in place, the verdicts flip to vxlan", async () => {
    const r = await lab.up("ipip", { ipipMode: "Never", vxlanMode: "Always" });
    const outputs = expectUp(r);
    expect(r.operations.filter((o) => o.op !== "update")).toEqual([]);
    for (const n of outputs.nodes) {
      expect(n.routes.filter((l) => / dev tunl0 /.test(l))).toEqual([]);
      expect(n.routes.filter((l) => / dev vxlan\.calico proto 80 onlink$/.test(l))).toHaveLength(3);
    }
    checkLab(outputs, { labName: lab.name, modes: VXLAN, nodeCount: 4, captureDir: lab.captureDir, scenarios: { "same-subnet": "vxlan", "cross-subnet": "vxlan" } });
  });

  it("destroy leaves nothing", async () => {
    expectOk(await lab.destroy(), "destroy");
    expect(lab.leftovers()).toEqual([]);
  });
});

e2eSuite("a failure in the middle of an up", () => {
  const lab = new TestLab("fa");
  afterAll(() => lab.cleanup());
  let victim = "";

  it("a preview plans the lab and runs nothing", async () => {
    const r = await lab.preview("ipip");
    expectOk(r, "preview");
    const commands = r.registrations.filter((x) => x.type === "command:local:Command").map((x) => x.name);
    expect(commands.filter(isCapture(lab.name))).toHaveLength(2);
    // The victim: a Command after the first and before the captures (the routes, on netns).
    const building = commands.filter((n) => !isCapture(lab.name)(n));
    expect(building.length).toBeGreaterThanOrEqual(2);
    victim = building.find(isRoutes) ?? building[building.length - 1];
    expect(r.operations.every((o) => o.planned)).toBe(true);
    expect(lab.leftovers()).toEqual([]);
  });

  it("the failed up stops there: what completed is saved, the failed Command and what follows are not", async () => {
    const r = await lab.up("ipip", {}, victim);
    expect(r.ok).toBe(false);
    expect(r.error).toContain(`(${victim})`);
    expect(r.error).toContain("failure injected");
    const stored = lab.storedCommands();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored).not.toContain(victim);
    expect(stored.filter(isCapture(lab.name))).toEqual([]);
  });

  it("the next up converges: the completed Commands stay, the rest runs, verdict pass", async () => {
    const before = lab.storedCommands();
    const r = await lab.up("ipip");
    const outputs = expectUp(r);
    const ran = commandsThatRan(r);
    for (const done of before) expect(ran).not.toContain(done);
    expect(ran).toContain(victim);
    checkLab(outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: { "same-subnet": "ipip", "cross-subnet": "ipip" } });
  });

  it("destroy leaves nothing", async () => {
    expectOk(await lab.destroy(), "destroy");
    expect(lab.leftovers()).toEqual([]);
  });
});
