import Ajv, { ValidateFunction } from "ajv";
import * as fc from "fast-check";
import * as fs from "fs";
import * as yaml from "js-yaml";
import { buildLabSpec } from "../../model/config";
import { LabSpec } from "../../model/spec";
import { describeWithFixture } from "../fixtures";
import { bootConfigFile, ClabTopology, containerlabTopology, renderContainerlabTopology, sidecarExec, VYOS_BOOT_PATH } from "../../components/kind/containerlab";
import { crossSubnetSpec, expectGolden, ipipSpec, TEST_CWD, threeSubnetSpec } from "./testing";

/** What containerlab reads: the YAML text parsed back. */
function rendered(spec: LabSpec): ClabTopology {
  return yaml.load(renderContainerlabTopology(containerlabTopology(spec))) as ClabTopology;
}

/** Checks the schema cannot express: every endpoint names a node of the topology, each port is used once. */
function wiringProblems(t: ClabTopology): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const link of t.topology.links) {
    for (const ep of link.endpoints) {
      const [node, iface] = ep.split(":");
      if (!(node in t.topology.nodes)) problems.push(`${ep}: no node ${node}`);
      if (iface === undefined || iface.length === 0 || iface.length > 15) problems.push(`${ep}: bad interface name`);
      if (seen.has(ep)) problems.push(`${ep}: used twice`);
      seen.add(ep);
    }
  }
  return problems;
}

describe("containerlab topology", () => {
  test("the seed lab (golden)", () => {
    expectGolden("clab.ipip.yaml", renderContainerlabTopology(containerlabTopology(ipipSpec())));
  });

  test("three subnets, six nodes (golden)", () => {
    expectGolden("clab.tri.yaml", renderContainerlabTopology(containerlabTopology(threeSubnetSpec())));
  });

  test("the seed's nodes: gateway, bridges, one sidecar per kind node in its namespace", () => {
    const spec = ipipSpec();
    const t = rendered(spec);
    expect(t.name).toBe("calico-ipip");
    expect(Object.keys(t.topology.nodes)).toEqual(["gw0", "br-ipip0", "br-ipip1", "server1", "server2", "server3", "server4"]);
    expect(t.topology.nodes.gw0).toEqual({
      kind: "linux",
      image: "hub.deepflow.yunshan.net/network-demo/vyos:1.4.9",
      cmd: "/sbin/init",
      binds: ["/lib/modules:/lib/modules", `./startup-conf/gw0-boot.cfg:${VYOS_BOOT_PATH}`],
    });
    expect(t.topology.nodes.server3).toEqual({
      kind: "linux",
      image: "hub.deepflow.yunshan.net/network-demo/nettool",
      "network-mode": "container:calico-ipip-worker2",
      exec: ["ip addr add 10.1.8.10/24 dev net0", "ip route replace default via 10.1.8.1"],
    });
    expect(t.topology.links).toEqual([
      { endpoints: ["br-ipip0:br-ipip0-net0", "server1:net0"], mtu: 1500 },
      { endpoints: ["br-ipip0:br-ipip0-net1", "server2:net0"], mtu: 1500 },
      { endpoints: ["br-ipip1:br-ipip1-net0", "server3:net0"], mtu: 1500 },
      { endpoints: ["br-ipip1:br-ipip1-net1", "server4:net0"], mtu: 1500 },
      { endpoints: ["gw0:eth1", "br-ipip0:br-ipip0-net2"], mtu: 1500 },
      { endpoints: ["gw0:eth2", "br-ipip1:br-ipip1-net2"], mtu: 1500 },
    ]);
    expect(bootConfigFile(spec)).toBe("startup-conf/gw0-boot.cfg");
  });

  test("every link carries the spec's MTU; sidecars use their segment's prefix and gateway", () => {
    const spec = threeSubnetSpec();
    const t = rendered(spec);
    expect(t.topology.links.every((l) => l.mtu === 9000)).toBe(true);
    for (const n of spec.nodes) {
      expect(t.topology.nodes[n.sidecar].exec).toEqual(sidecarExec(n));
      expect(t.topology.nodes[n.sidecar]["network-mode"]).toBe(`container:${n.name}`);
    }
    expect(t.topology.nodes.server3.exec).toEqual(["ip addr add 10.2.2.10/25 dev net0", "ip route replace default via 10.2.2.1"]);
    expect(t.topology.nodes.edge.binds).toContain(`./startup-conf/edge-boot.cfg:${VYOS_BOOT_PATH}`);
    expect(wiringProblems(t)).toEqual([]);
  });
});

describeWithFixture("clab-schema", "containerlab topology against containerlab v0.79.0's JSON schema", (schemaPath) => {
  let validate: ValidateFunction;
  beforeAll(() => {
    // The schema is draft-07 (ajv's default); strict off because it carries editor keywords (markdownDescription).
    const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8")) as { $schema: string };
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
  });

  const errorsOf = (t: unknown): string[] => (validate(t) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

  test.each([
    ["ipip", ipipSpec],
    ["crosssubnet", crossSubnetSpec],
    ["3 subnets / 6 nodes", threeSubnetSpec],
  ])("%s validates", (_name, make) => {
    const t = rendered(make());
    expect(errorsOf(t)).toEqual([]);
    expect(wiringProblems(t)).toEqual([]);
  });

  test("broken topologies fail validation", () => {
    const good = rendered(ipipSpec());
    const broken: [string, (t: ClabTopology) => void][] = [
      ["misspelt key", (t) => Object.assign(t.topology.nodes.server1, { networkmode: "container:x" })],
      ["unknown kind", (t) => Object.assign(t.topology.nodes["br-ipip0"], { kind: "brige" })],
      ["bad network-mode", (t) => Object.assign(t.topology.nodes.server1, { "network-mode": "bridge:x" })],
      ["mtu 0", (t) => Object.assign(t.topology.links[0], { mtu: 0 })],
      ["exec as a string", (t) => Object.assign(t.topology.nodes.server2, { exec: "ip addr add 10.1.5.11/24 dev net0" })],
      ["no links", (t) => Object.assign(t.topology, { links: [] })],
      ["bad lab name", (t) => Object.assign(t, { name: "-lab" })],
    ];
    for (const [what, breakIt] of broken) {
      const t = structuredClone(good);
      breakIt(t);
      expect({ what, failed: errorsOf(t).length > 0 }).toEqual({ what, failed: true });
    }
  });

  test("property: any valid lab renders a valid, fully wired topology", () => {
    const subnetsArb = fc.tuple(fc.integer({ min: 2, max: 5 }), fc.array(fc.integer({ min: 1, max: 5 }), { maxLength: 3 })).map(([a, rest]) => [a, ...rest]);
    fc.assert(
      fc.property(subnetsArb, fc.integer({ min: 1280, max: 9000 }), (sizes, mtu) => {
        const subnets = sizes.map((count, i) => ({
          cidr: `10.3.${i}.0/24`,
          gateway: `10.3.${i}.1`,
          nodes: Array.from({ length: count }, (_, k) => `10.3.${i}.${10 + k}`),
        }));
        const spec = buildLabSpec({ labName: "prop", mtu, topology: { subnets }, scenarios: [{ name: "one", client: 1, server: 2 }] }, { stack: "prop", cwd: TEST_CWD });
        const t = rendered(spec);
        expect(errorsOf(t)).toEqual([]);
        expect(wiringProblems(t)).toEqual([]);
        expect(t.topology.links).toHaveLength(spec.nodes.length + spec.subnets.length);
      }),
      { numRuns: 60 },
    );
  });
});
