import { renderVyosBlock, renderVyosBootConfig, SEED_VYOS_PASSWORD } from "./vyos";
import { crossSubnetSpec, expectGolden, ipipSpec, threeSubnetSpec } from "./testing";

/** The seed's gw0-boot.cfg, flattened as the write-up prints it (whitespace collapsed). */
const SEED_FLAT =
  'interfaces { ethernet eth1 { address "10.1.5.1/24" duplex "auto" speed "auto" } ethernet eth2 { address "10.1.8.1/24" duplex "auto" speed "auto" } loopback lo { } } ' +
  'nat { source { rule 100 { outbound-interface { name "eth0" } source { address "10.1.0.0/16" } translation { address "masquerade" } } } } ' +
  'system { config-management { commit-revisions "100" } console { device ttyS0 { speed "9600" } } host-name "gw0" login { user vyos { authentication { ' +
  `encrypted-password "${SEED_VYOS_PASSWORD}" plaintext-password "" } } } time-zone "UTC" }`;

describe("VyOS boot config", () => {
  test("the seed lab's config is the seed's gw0-boot.cfg, word for word", () => {
    expect(renderVyosBootConfig(ipipSpec()).replace(/\s+/g, " ").trim()).toBe(SEED_FLAT);
  });

  test("golden files (seed and three subnets)", () => {
    expectGolden("gw0-boot.ipip.cfg", renderVyosBootConfig(ipipSpec()));
    expectGolden("edge-boot.tri.cfg", renderVyosBootConfig(threeSubnetSpec()));
  });

  test("one interface per subnet, named by the spec, with the gateway and the subnet's prefix", () => {
    const spec = threeSubnetSpec();
    const text = renderVyosBootConfig(spec);
    for (const s of spec.subnets) {
      expect(text).toContain(`    ethernet ${s.routerInterface} {\n        address "${s.gateway}/${s.cidr.split("/")[1]}"\n`);
    }
    expect(text).toContain('        address "10.2.2.1/25"\n');
    expect(text).toContain(`                address "${spec.underlaySupernet}"\n`);
    expect(text).toContain('    host-name "edge"\n');
  });

  test("the NAT source follows natSource", () => {
    expect(renderVyosBootConfig(crossSubnetSpec({ topology: { natSource: "10.0.0.0/8", subnets: ipipSpec().subnets.map((s) => ({ cidr: s.cidr, gateway: s.gateway, nodes: s.nodes.map((n) => n.ip) })) } }))).toContain(
      'source {\n                address "10.0.0.0/8"\n',
    );
  });

  test("blocks balance and values are quoted", () => {
    const text = renderVyosBootConfig(threeSubnetSpec());
    expect((text.match(/{/g) ?? []).length).toBe((text.match(/}/g) ?? []).length);
    for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
      expect(line).toMatch(/^( {4})*([a-z0-9-]+( [A-Za-z0-9]+)? (\{|"[^"]*")|\})$/);
    }
  });

  test("a value that would break the syntax is refused", () => {
    expect(() => renderVyosBlock([["host-name", 'a"b']])).toThrow(/cannot hold quotes/);
  });
});
