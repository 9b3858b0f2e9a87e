/**
 * A bigger topology on the netns backend: three subnets, six nodes, four scenarios in
 * IPIP and VXLAN CrossSubnet — plain inside each subnet, encapsulated between subnets.
 * Needs root.
 */
import { CROSS, VXLAN_CROSS, checkLab, e2eSuite, expectOk, expectUp, TestLab } from "./support";

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

describe.each([
  { stack: "crosssubnet", modes: CROSS, across: "ipip" },
  { stack: "vxlancrosssubnet", modes: VXLAN_CROSS, across: "vxlan" },
] as const)("$stack", ({ stack, modes, across }) => {
  e2eSuite(`three subnets, six nodes on the netns backend, stack ${stack}`, () => {
    const lab = new TestLab(`t${across[0]}`);
    afterAll(() => lab.cleanup());

    it(`up: each subnet's own path plain, paths between subnets ${across}`, async () => {
      const outputs = expectUp(await lab.up(stack, { topology: THREE_SUBNETS, scenarios: SCENARIOS }));
      checkLab(outputs, {
        labName: lab.name,
        modes,
        nodeCount: 6,
        captureDir: lab.captureDir,
        scenarios: { "same-subnet": "none", "cross-subnet": across, "third-subnet": "none", "second-to-third": across },
      });
      expect(new Set(outputs.nodes.map((n) => n.subnet))).toEqual(new Set(THREE_SUBNETS.subnets.map((s) => s.cidr)));
    });

    it("destroy leaves nothing", async () => {
      expectOk(await lab.destroy(), "destroy");
      expect(lab.leftovers()).toEqual([]);
    });
  });
});
