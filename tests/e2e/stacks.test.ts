/**
 * The two shipped stacks on the netns backend, end to end through the executing harness:
 * up, the outputs against the contract, destroy, nothing left; destroy twice; and both
 * stacks up at the same time. Needs root; see support.ts.
 */
import { checkLab, e2eSuite, expectOk, expectUp, TestLab } from "./support";

jest.setTimeout(300_000);

const SEED_ALWAYS = { "same-subnet": "ipip", "cross-subnet": "ipip" } as const;
const SEED_CROSS = { "same-subnet": "none", "cross-subnet": "ipip" } as const;

e2eSuite("stack ipip (mode Always) on the netns backend", () => {
  const lab = new TestLab("ip");
  afterAll(() => lab.cleanup());

  it("up: both scenarios encapsulated between the node addresses; verdict pass; pcaps written", async () => {
    const outputs = expectUp(await lab.up("ipip"));
    checkLab(outputs, { labName: lab.name, mode: "Always", nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
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
    checkLab(outputs, { labName: lab.name, mode: "CrossSubnet", nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_CROSS });
  });

  it("destroy leaves nothing", async () => {
    expectOk(await lab.destroy(), "destroy");
    expect(lab.leftovers()).toEqual([]);
  });
});

e2eSuite("both stacks up at the same time", () => {
  const always = new TestLab("pa");
  const cross = new TestLab("pc");
  afterAll(() => Promise.all([always.cleanup(), cross.cleanup()]));

  it("two labs side by side each pass, and each destroy removes only its own lab", async () => {
    const [a, c] = await Promise.all([always.up("ipip"), cross.up("crosssubnet")]);
    checkLab(expectUp(a), { labName: always.name, mode: "Always", nodeCount: 4, captureDir: always.captureDir, scenarios: SEED_ALWAYS });
    checkLab(expectUp(c), { labName: cross.name, mode: "CrossSubnet", nodeCount: 4, captureDir: cross.captureDir, scenarios: SEED_CROSS });
    expectOk(await always.destroy(), "destroy of the Always lab");
    expect(always.leftovers()).toEqual([]);
    // The other lab is untouched: its state still holds its Commands.
    expect(cross.storedCommands().length).toBeGreaterThan(0);
    expectOk(await cross.destroy(), "destroy of the CrossSubnet lab");
    expect(cross.leftovers()).toEqual([]);
  });
});
