/**
 * BIRD configs of the netns control plane: golden files for every mode (regenerate with
 * `UPDATE_GOLDEN=1 npx jest components/netns/bird` and review the diff), Calico's rules
 * (passive side, peers, filters), and BIRD 2 itself parsing each (`bird -p`) when installed.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildLabSpec, withModes } from "../../model/config";
import { ipipOnly } from "../../model/expect";
import { PoolModes } from "../../model/spec";
import { expectGolden } from "../golden";
import { bgpSessions, nodePeeringPassive } from "../../model/bgp";
import { gatewayBirdConfig, nodeBirdConfig } from "../../components/netns/bird";

const TESTDATA = path.join(__dirname, "testdata");
const seed = buildLabSpec({ backend: "netns" }, { stack: "ipip", cwd: "/srv/calico-ipip-lab" });
const MODES: [string, PoolModes][] = [
  ["always", ipipOnly("Always")],
  ["crosssubnet", ipipOnly("CrossSubnet")],
  ["never", ipipOnly("Never")],
  ["vxlan", { ipipMode: "Never", vxlanMode: "Always" }],
];
/** The seed lab in `modes`. */
const seedIn = (modes: PoolModes) => withModes(seed, modes);
/** The seed lab in CrossSubnet with nodes 1 and 3 as route reflectors (the rr stack). */
const rr = buildLabSpec({ backend: "netns", ipipMode: "CrossSubnet", bgp: { routeReflectors: [1, 3] } }, { stack: "rr", cwd: "/srv/calico-ipip-lab" });
const HAVE_BIRD = spawnSync("bird", ["--version"]).status === 0;

describe("node BIRD configs", () => {
  test.each(MODES)("golden: node 1 of the seed lab in %s", (name, modes) => {
    expectGolden(`bird.n1.${name}.conf`, nodeBirdConfig(seedIn(modes), seed.nodes[0]), TESTDATA);
  });

  test("Calico's passive side: the node whose peer's address sorts after its own waits", () => {
    expect(nodePeeringPassive("10.1.5.10", "10.1.8.10")).toBe(true);
    expect(nodePeeringPassive("10.1.8.10", "10.1.5.10")).toBe(false);
    // As strings, not numbers: "10.1.5.9" sorts after "10.1.5.10".
    expect(nodePeeringPassive("10.1.5.10", "10.1.5.9")).toBe(true);
    for (const a of seed.nodes) {
      for (const b of seed.nodes) if (a !== b) expect(nodePeeringPassive(a.ip, b.ip)).not.toBe(nodePeeringPassive(b.ip, a.ip));
    }
  });

  test("the mesh is every other node; mode Never adds the gateway of the node's segment", () => {
    const n3 = seed.nodes[2];
    expect(bgpSessions(seedIn(ipipOnly("Always")), n3).map((p) => p.name)).toEqual(["Mesh_10_1_5_10", "Mesh_10_1_5_11", "Mesh_10_1_8_11"]);
    expect(bgpSessions(seedIn(ipipOnly("Never")), n3).map((p) => [p.name, p.ip])).toContainEqual(["Global_10_1_8_1", "10.1.8.1"]);
    expect(seedIn(ipipOnly("CrossSubnet")).pool.gatewayPeers).toBe(false);
    expect(seedIn({ ipipMode: "Never", vxlanMode: "CrossSubnet" }).pool.gatewayPeers).toBe(false);
  });

  test("CrossSubnet tests the BGP next hop against the node's own network", () => {
    expect(nodeBirdConfig(seedIn(ipipOnly("CrossSubnet")), seed.nodes[2])).toContain("if source = RTS_BGP && !(bgp_next_hop ~ 10.1.8.0/24) then {");
  });
});

describe("route reflectors", () => {
  test("golden: a reflector (node 1) and a client (node 2) of the rr lab", () => {
    expectGolden("bird.n1.rr-reflector.conf", nodeBirdConfig(rr, rr.nodes[0]), TESTDATA);
    expectGolden("bird.n2.rr-client.conf", nodeBirdConfig(rr, rr.nodes[1]), TESTDATA);
  });

  test("a client peers with the reflectors only; a reflector with every other node, reflecting to the clients", () => {
    const [n1, n2, n3, n4] = rr.nodes;
    expect(bgpSessions(rr, n2).map((p) => [p.name, p.role, p.rrClient])).toEqual([
      ["Node_10_1_5_10", "reflector", false],
      ["Node_10_1_8_10", "reflector", false],
    ]);
    expect(bgpSessions(rr, n1).map((p) => [p.ip, p.role, p.rrClient])).toEqual([
      [n2.ip, "client", true],
      [n3.ip, "reflector", false],
      [n4.ip, "client", true],
    ]);
    // Each session is configured at both ends, and only a reflector's end reflects.
    for (const a of rr.nodes) for (const p of bgpSessions(rr, a)) expect(bgpSessions(rr, rr.nodes.find((n) => n.ip === p.ip)!).map((q) => q.ip)).toContain(a.ip);
    // Exactly one end of each session connects, as in the mesh: no connection collisions at a reflector.
    for (const a of rr.nodes) for (const p of bgpSessions(rr, a)) expect([p.passive, bgpSessions(rr, rr.nodes.find((n) => n.ip === p.ip)!).find((q) => q.ip === a.ip)!.passive].sort()).toEqual([false, true]);
    expect(nodeBirdConfig(rr, n1)).toContain("  rr client;\n  rr cluster id 244.0.0.1;");
    expect(nodeBirdConfig(rr, n2)).not.toContain("rr client");
  });

  test("mode Never keeps the gateway as every node's global peer, clients included", () => {
    const never = withModes(rr, ipipOnly("Never"));
    expect(bgpSessions(never, never.nodes[1]).map((p) => p.name)).toEqual(["Node_10_1_5_10", "Node_10_1_8_10", "Global_10_1_5_1"]);
  });
});

describe("gateway BIRD config", () => {
  test("golden in mode Never: an iBGP peer of every node, from its address on that node's segment", () => {
    expectGolden("bird.gateway.never.conf", gatewayBirdConfig(seedIn(ipipOnly("Never"))) ?? "", TESTDATA);
  });

  test("none in the modes that encapsulate", () => {
    for (const [, modes] of MODES.filter(([n]) => n !== "never")) expect(gatewayBirdConfig(seedIn(modes))).toBeNull();
  });
});

(HAVE_BIRD ? describe : describe.skip)("BIRD 2 parses every config (bird -p)", () => {
  // Made when a test runs, so a run that filters every test out leaves no folder behind.
  let dir = "";
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "bird-parse-"))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(MODES)("%s: every node and the gateway", (name, modes) => {
    const configs = seed.nodes.map((n) => nodeBirdConfig(seedIn(modes), n));
    const gateway = gatewayBirdConfig(seedIn(modes));
    if (gateway !== null) configs.push(gateway);
    if (name === "crosssubnet") configs.push(...rr.nodes.map((n) => nodeBirdConfig(rr, n)));
    configs.forEach((text, i) => {
      const file = path.join(dir, `${name}-${i}.conf`);
      fs.writeFileSync(file, text);
      const run = spawnSync("bird", ["-p", "-c", file], { encoding: "utf8" });
      expect({ file: `${name}-${i}`, status: run.status, err: run.stderr.trim() }).toEqual({ file: `${name}-${i}`, status: 0, err: "" });
    });
  });
});
