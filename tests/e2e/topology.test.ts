/**
 * A bigger topology on the netns backend: three subnets, six nodes, four scenarios in
 * mode CrossSubnet — plain inside each subnet, encapsulated between subnets. Needs root.
 */
import { checkLab, e2eSuite, expectOk, expectUp, TestLab } from "./support";

jest.setTimeout(300_000);

const THREE_SUBNETS = {
  subnets: [
    { cidr: "10.1.5.0/24", gateway: "10.1.5.1", nodes: ["10.1.5.10", "10.1.5.11"] },
    { cidr: "10.1.8.0/24", gateway: "10.1.8.1", nodes: ["10.1.8.10", "10.1.8.11"] },
    { cidr: "10.1.9.0/24", gateway: "10.1.9.1", nodes: ["10.1.9.10", "10.1.9.11"] },
  ],
};
const SCENARIOS = [
  { name: "same-subnet", client: 1, server: 2 },
  { name: "cross-subnet", client: 1, server: 3 },
  { name: "third-subnet", client: 5, server: 6 },
  { name: "second-to-third", client: 4, server: 6 },
];

e2eSuite("three subnets, six nodes on the netns backend", () => {
  const lab = new TestLab("tri");
  afterAll(() => lab.cleanup());

  it("up: each subnet's own path plain, paths between subnets encapsulated", async () => {
    const outputs = expectUp(await lab.up("crosssubnet", { topology: THREE_SUBNETS, scenarios: SCENARIOS }));
    checkLab(outputs, {
      labName: lab.name,
      mode: "CrossSubnet",
      nodeCount: 6,
      captureDir: lab.captureDir,
      scenarios: { "same-subnet": "none", "cross-subnet": "ipip", "third-subnet": "none", "second-to-third": "ipip" },
    });
    expect(new Set(outputs.nodes.map((n) => n.subnet))).toEqual(new Set(THREE_SUBNETS.subnets.map((s) => s.cidr)));
  });

  it("destroy leaves nothing", async () => {
    expectOk(await lab.destroy(), "destroy");
    expect(lab.leftovers()).toEqual([]);
  });
});
