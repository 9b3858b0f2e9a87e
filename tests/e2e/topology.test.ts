/**
 * A bigger topology on the netns backend, through the real Pulumi CLI: three subnets, six
 * nodes, four scenarios in IPIP and VXLAN CrossSubnet (both labs at the same time) —
 * plain inside each subnet, encapsulated between subnets. Needs root and bird2.
 */
import { CROSS, VXLAN_CROSS, checkLab, destroyAndRemove, e2eSuite, TestLab, together } from "./support";
import { Encapsulation, PoolModes } from "../../model/spec";

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

const CASES: { stack: string; modes: PoolModes; across: Encapsulation }[] = [
  { stack: "crosssubnet", modes: CROSS, across: "ipip" },
  { stack: "vxlancrosssubnet", modes: VXLAN_CROSS, across: "vxlan" },
];


e2eSuite("three subnets, six nodes on the netns backend, stacks crosssubnet and vxlancrosssubnet", () => {
  const labs = CASES.map((c) => ({ ...c, lab: new TestLab(`t${c.across[0]}`, c.stack, { topology: THREE_SUBNETS, scenarios: SCENARIOS }) }));
  afterAll(() => together(labs, ({ lab }) => lab.cleanup()));

  it("up: each subnet's own path plain, paths between subnets encapsulated (ipip, vxlan)", () =>
    together(labs, async ({ lab, modes, across }) => {
      const { outputs } = await lab.upOk();
      checkLab(outputs, {
        labName: lab.name,
        modes,
        nodeCount: 6,
        captureDir: lab.captureDir,
        scenarios: { "same-subnet": "none", "cross-subnet": across, "third-subnet": "none", "second-to-third": across },
      });
      expect(new Set(outputs.nodes.map((n) => n.subnet))).toEqual(new Set(THREE_SUBNETS.subnets.map((s) => s.cidr)));
    }));

  it("destroy leaves nothing; stack rm", () =>
    together(labs, async ({ lab }) => {
      await destroyAndRemove(lab);
    }));
});
