import { renderVyosBlock, renderVyosBootConfig, SEED_VYOS_PASSWORD, vyosBaseConfig, vyosConfig, vyosReconfigureScript, vyosSetCommands, frrBgpLines } from "../../components/kind/vyos";
import { bgpSpec, crossSubnetSpec, expectGolden, ipipSpec, threeSubnetSpec, vxlanCrossSubnetSpec, vxlanSpec } from "./testing";

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

  test("golden files (seed and three subnets; mode Never with BGP)", () => {
    expectGolden("gw0-boot.ipip.cfg", renderVyosBootConfig(ipipSpec()));
    expectGolden("edge-boot.tri.cfg", renderVyosBootConfig(threeSubnetSpec()));
    expectGolden("gw0-boot.bgp.cfg", renderVyosBootConfig(bgpSpec()));
  });

  test("BGP only in mode Never: system-as 64512, every node a neighbour with IPv4 unicast, between nat and system", () => {
    for (const spec of [ipipSpec(), crossSubnetSpec(), vxlanSpec(), vxlanCrossSubnetSpec()]) {
      expect(renderVyosBootConfig(spec)).not.toContain("protocols");
      expect(vyosConfig(spec)).toEqual(vyosBaseConfig(spec));
    }
    const spec = bgpSpec();
    expect(vyosConfig(spec).map(([key]) => key)).toEqual(["interfaces", "nat", "protocols", "system"]);
    const text = renderVyosBootConfig(spec);
    expect(text).toContain('        system-as "64512"\n');
    for (const n of spec.nodes) {
      expect(text).toContain(`        neighbor ${n.ip} {\n            address-family {\n                ipv4-unicast {\n                }\n            }\n            remote-as "64512"\n        }\n`);
    }
  });

  test("what FRR shows for that BGP: the AS and every node a neighbour in mode Never, nothing otherwise", () => {
    expect(frrBgpLines(bgpSpec())).toEqual(["router bgp 64512", " neighbor 10.1.5.10 remote-as 64512", " neighbor 10.1.5.11 remote-as 64512", " neighbor 10.1.8.10 remote-as 64512", " neighbor 10.1.8.11 remote-as 64512"]);
    expect([ipipSpec(), vxlanSpec(), crossSubnetSpec()].map(frrBgpLines)).toEqual([[], [], []]);
  });

  test("the live reconfigure sets exactly what the boot config holds, and removes it in other modes (golden)", () => {
    const bgp = vyosReconfigureScript(bgpSpec());
    expectGolden("gw0-reconfigure.bgp.vbash", bgp);
    const sets = bgp.split("\n").filter((l) => l.startsWith("set "));
    expect(sets).toEqual(vyosSetCommands(vyosConfig(bgpSpec()).filter(([k]) => k === "protocols")));
    expect(sets).toContain("set protocols bgp neighbor 10.1.8.11 address-family ipv4-unicast");
    const ipip = vyosReconfigureScript(ipipSpec());
    expect(ipip).toBe(
      [
        "source /opt/vyatta/etc/functions/script-template",
        "configure",
        "if cli-shell-api existsActive protocols bgp; then delete protocols bgp; fi",
        "if cli-shell-api sessionChanged; then commit; fi",
        "exit",
        "",
      ].join("\n"),
    );
  });

  test("set commands: leaves quoted, empty blocks bare, and a value that would break the quoting refused", () => {
    expect(vyosSetCommands([["interfaces", [["loopback lo", []], ["ethernet eth1", [["address", "10.1.5.1/24"]]]]]])).toEqual([
      "set interfaces loopback lo",
      "set interfaces ethernet eth1 address '10.1.5.1/24'",
    ]);
    expect(() => vyosSetCommands([["host-name", "a'b"]])).toThrow(/cannot hold single quotes/);
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
