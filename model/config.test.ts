import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { renderRoute } from "./dataplane";
import * as fc from "fast-check";
import { buildLabSpec, LabConfigError, RawLabConfig } from "./config";
import { cidrsOverlap } from "./net";
import { IFNAME_MAX } from "./validate";
import { readRawConfig } from "./pulumiConfig";

const ctx = { stack: "ipip", cwd: "/work/lab" };
const seedSubnets = [
  { cidr: "10.1.5.0/24", gateway: "10.1.5.1", nodes: ["10.1.5.10", "10.1.5.11"] },
  { cidr: "10.1.8.0/24", gateway: "10.1.8.1", nodes: ["10.1.8.10", "10.1.8.11"] },
];

function problemsOf(raw: RawLabConfig): string[] {
  try {
    buildLabSpec(raw, ctx);
  } catch (e) {
    if (e instanceof LabConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("pool modes", () => {
  it("ipipMode Always and vxlanMode Never by default; VXLAN on alone turns IPIP's default to Never", () => {
    expect(buildLabSpec({}, ctx)).toMatchObject({ ipipMode: "Always", vxlanMode: "Never" });
    expect(buildLabSpec({ vxlanMode: "Always" }, ctx)).toMatchObject({ ipipMode: "Never", vxlanMode: "Always" });
    expect(buildLabSpec({ ipipMode: "Never" }, ctx)).toMatchObject({ ipipMode: "Never", vxlanMode: "Never" });
  });

  it("refuses IPIP and VXLAN enabled at once, as Calico does, and unknown modes", () => {
    expect(problemsOf({ ipipMode: "CrossSubnet", vxlanMode: "Always" })).toEqual([
      "vxlanMode: \"Always\" is not valid; Calico refuses a pool with both IPIP and VXLAN enabled, and ipipMode is CrossSubnet; set ipipMode to Never for VXLAN, or vxlanMode to Never for IPIP",
    ]);
    expect(problemsOf({ vxlanMode: "Sometimes" })).toEqual(['vxlanMode: "Sometimes" is not valid; allowed values are Always, CrossSubnet, Never']);
  });
});

describe("buildLabSpec on the default config", () => {
  const spec = buildLabSpec({}, ctx);

  it("is the seed lab: four nodes on two /24 segments behind gw0", () => {
    expect(spec.nodes.map((n) => [n.name, n.role, n.ip, n.prefixLength, n.gateway, n.sidecar])).toEqual([
      ["calico-ipip-control-plane", "control-plane", "10.1.5.10", 24, "10.1.5.1", "server1"],
      ["calico-ipip-worker", "worker", "10.1.5.11", 24, "10.1.5.1", "server2"],
      ["calico-ipip-worker2", "worker", "10.1.8.10", 24, "10.1.8.1", "server3"],
      ["calico-ipip-worker3", "worker", "10.1.8.11", 24, "10.1.8.1", "server4"],
    ]);
    expect(spec.subnets.map((s) => [s.bridge, s.routerInterface])).toEqual([
      ["br-ipip0", "eth1"],
      ["br-ipip1", "eth2"],
    ]);
    expect(spec.router).toEqual({ name: "gw0", container: "clab-calico-ipip-gw0" });
    expect(spec.underlaySupernet).toBe("10.1.0.0/16");
    expect(spec.ipipMode).toBe("Always");
    expect(spec.backend).toBe("kind");
    expect(spec.calico.version).toBe("v3.23.2");
  });

  it("gives each node its own /26 block, tunl0 the block's first address and the pod the next", () => {
    expect(spec.nodes.map((n) => [n.block, n.tunnelIp, n.pod.ip, n.pod.name])).toEqual([
      ["10.244.0.0/26", "10.244.0.0", "10.244.0.1", "pod-0"],
      ["10.244.0.64/26", "10.244.0.64", "10.244.0.65", "pod-1"],
      ["10.244.0.128/26", "10.244.0.128", "10.244.0.129", "pod-2"],
      ["10.244.0.192/26", "10.244.0.192", "10.244.0.193", "pod-3"],
    ]);
  });

  it("defaults the scenarios to node 1 → 2 (same subnet) and node 1 → 3 (across)", () => {
    expect(spec.scenarios).toEqual([
      { name: "same-subnet", client: 1, server: 2, expected: "ipip" },
      { name: "cross-subnet", client: 1, server: 3, expected: "ipip" },
    ]);
    expect(spec.capture.dir).toBe("/work/lab/captures/ipip");
  });

  it("derives the mode facts, each path's encapsulation and each node's routes once, from the modes", () => {
    const cross = buildLabSpec({ ipipMode: "CrossSubnet", backend: "netns" }, ctx);
    expect(cross.pool).toEqual({ encapsulation: "ipip", crossSubnetOnly: true, gatewayPeers: false, bird: true, podMtu: 1480 });
    expect(cross.scenarios.map((s) => s.expected)).toEqual(["none", "ipip"]);
    expect(cross.nodes[0].routes.map(renderRoute)).toEqual([
      "blackhole 10.244.0.0/26 proto bird",
      `10.244.0.1 dev ${cross.nodes[0].routes[1].kind === "pod" ? cross.nodes[0].routes[1].dev : ""} scope link`,
      "10.244.0.64/26 via 10.1.5.11 dev net0 proto bird",
      "10.244.0.128/26 via 10.1.8.10 dev tunl0 proto bird onlink",
      "10.244.0.192/26 via 10.1.8.11 dev tunl0 proto bird onlink",
    ]);
    // kind's VXLAN manifest runs no BIRD: Felix owns the blackholes; Never peers the gateway.
    const vxlan = buildLabSpec({ vxlanMode: "Always" }, ctx);
    expect(vxlan.pool).toMatchObject({ encapsulation: "vxlan", bird: false, gatewayPeers: false, podMtu: 1450 });
    expect(vxlan.nodes[0].routes[0]).toEqual({ kind: "blackhole", dst: "10.244.0.0/26", proto: "80" });
    expect(buildLabSpec({ ipipMode: "Never" }, ctx).pool).toMatchObject({ encapsulation: "none", gatewayPeers: true, podMtu: 1500 });
  });

  it("names the two shipped stacks apart so both can be up on one host", () => {
    const other = buildLabSpec({ ipipMode: "CrossSubnet" }, { ...ctx, stack: "crosssubnet" });
    const names = (s: typeof spec): string[] => [
      s.name,
      s.router.container,
      ...s.nodes.map((n) => n.name),
      ...s.subnets.map((x) => x.bridge),
      s.capture.dir,
    ];
    const mine = new Set(names(spec));
    expect(names(other).filter((n) => mine.has(n))).toEqual([]);
    expect(other.subnets.map((s) => s.bridge)).toEqual(["br-cross0", "br-cross1"]);
  });

  it("resolves a relative manifest path against the working directory and keeps URLs", () => {
    expect(buildLabSpec({ calico: { manifest: "m/calico.yaml" } }, ctx).calico.manifest).toBe("/work/lab/m/calico.yaml");
    expect(spec.calico.manifest).toMatch(/^https:\/\//);
  });
});

/** [what is wrong, config, key path in the message, bad value in the message, allowed-text fragment] */
const badConfigs: [string, RawLabConfig, string, string, string][] = [
  ["unknown mode", { ipipMode: "Sometimes" }, "ipipMode", '"Sometimes"', "Always, CrossSubnet"],
  ["mode in the wrong case", { ipipMode: "always" }, "ipipMode", '"always"', "Always, CrossSubnet"],
  ["unknown backend", { backend: "vagrant" }, "backend", '"vagrant"', "kind, netns"],
  ["malformed pod CIDR", { podSubnet: "10.244.0.0/33" }, "podSubnet", '"10.244.0.0/33"', "CIDR form"],
  ["pod CIDR with host bits", { podSubnet: "10.244.1.0/16" }, "podSubnet", '"10.244.1.0/16"', "10.244.0.0/16"],
  ["pod subnet overlapping the underlay", { podSubnet: "10.0.0.0/8" }, "podSubnet", '"10.0.0.0/8"', "overlaps the underlay"],
  ["pod subnet in link-local space", { podSubnet: "169.254.0.0/16" }, "podSubnet", '"169.254.0.0/16"', "169.254.1.1"],
  ["malformed subnet CIDR", { topology: { subnets: [{ ...seedSubnets[0], cidr: "10.1.5/24" }] } }, "topology.subnets[0].cidr", '"10.1.5/24"', "CIDR form"],
  ["malformed node address", { topology: { subnets: [{ ...seedSubnets[0], nodes: ["10.1.5.300"] }] } }, "topology.subnets[0].nodes[0]", '"10.1.5.300"', "IPv4 address"],
  ["node address outside its subnet", { topology: { subnets: [{ ...seedSubnets[0], nodes: ["10.1.6.10"] }] } }, "topology.subnets[0].nodes[0]", '"10.1.6.10"', "outside its subnet 10.1.5.0/24"],
  ["node on the broadcast address", { topology: { subnets: [{ ...seedSubnets[0], nodes: ["10.1.5.255"] }] } }, "topology.subnets[0].nodes[0]", '"10.1.5.255"', "broadcast"],
  ["duplicate node addresses", { topology: { subnets: [{ ...seedSubnets[0], nodes: ["10.1.5.10", "10.1.5.10"] }] } }, "topology.subnets[0].nodes[1]", '"10.1.5.10"', "already used by topology.subnets[0].nodes[0]"],
  ["gateway colliding with a node", { topology: { subnets: [{ ...seedSubnets[0], nodes: ["10.1.5.1"] }] } }, "topology.subnets[0].nodes[0]", '"10.1.5.1"', "already used by topology.subnets[0].gateway"],
  ["gateway outside its subnet", { topology: { subnets: [{ ...seedSubnets[0], gateway: "10.1.8.1" }] } }, "topology.subnets[0].gateway", '"10.1.8.1"', "outside its subnet"],
  ["overlapping segments", { topology: { subnets: [seedSubnets[0], { ...seedSubnets[1], cidr: "10.1.0.0/16" }] } }, "topology.subnets[1].cidr", '"10.1.0.0/16"', "overlaps topology.subnets[0].cidr"],
  ["bridge name over 15 characters", { topology: { subnets: [{ ...seedSubnets[0], bridge: "br-a-very-long-1" }] } }, "topology.subnets[0].bridge", '"br-a-very-long-1"', "1-15 characters"],
  ["bridge whose port names exceed 15 characters", { topology: { subnets: [{ ...seedSubnets[0], bridge: "br-pool-abcd" }] } }, "topology.subnets[0].bridge", '"br-pool-abcd"', "br-pool-abcd-net2 exceed 15"],
  ["bridge name with a space", { topology: { subnets: [{ ...seedSubnets[0], bridge: "br pool" }] } }, "topology.subnets[0].bridge", '"br pool"', "Linux interface name"],
  ["duplicate bridge names", { topology: { subnets: seedSubnets.map((s) => ({ ...s, bridge: "br-same" })) } }, "topology.subnets[1].bridge", '"br-same"', "already used by topology.subnets[0]"],
  ["lab name with shell metacharacters", { labName: "lab;rm -rf" }, "labName", '"lab;rm -rf"', "lowercase letters, digits and '-'"],
  ["lab name with capitals (kind rejects them)", { labName: "Calico" }, "labName", '"Calico"', "lowercase"],
  ["lab name too long", { labName: "a".repeat(41) }, "labName", "aaaa", "1-40"],
  ["empty topology", { topology: { subnets: [] } }, "topology.subnets", "[]", "at least one subnet"],
  ["a subnet with no node", { topology: { subnets: [seedSubnets[0], { ...seedSubnets[1], nodes: [] }] } }, "topology.subnets[1].nodes", "[]", "at least one node"],
  ["misspelt topology key", { topology: { subnets: [{ ...seedSubnets[0], gatway: "10.1.5.1" } as unknown as (typeof seedSubnets)[0]] } }, "topology.subnets[0].gatway", '"10.1.5.1"', "allowed keys are cidr, gateway, bridge, nodes"],
  ["image with a space", { images: { workload: "nettool latest" } }, "images.workload", '"nettool latest"', "image reference"],
  ["calico version without v", { calico: { version: "3.23.2" } }, "calico.version", '"3.23.2"', "v3.23.2"],
  ["manifest with shell metacharacters", { calico: { manifest: "calico.yaml;id" } }, "calico.manifest", '"calico.yaml;id"', "http(s) URL or a file path"],
  ["block size out of range", { blockSize: 16 }, "blockSize", "16", "20 to 30"],
  ["too few blocks for the nodes", { podSubnet: "10.244.0.0/24", blockSize: 26, topology: { subnets: [{ ...seedSubnets[0], nodes: ["10.1.5.10", "10.1.5.11", "10.1.5.12", "10.1.5.13", "10.1.5.14"] }] } }, "blockSize", "26", "holds 4 /26 blocks for 5 nodes"],
  ["mtu not a number", { mtu: "jumbo" as unknown as number }, "mtu", '"jumbo"', "whole number from 1280 to 9000"],
  ["scenario to a node that does not exist", { scenarios: [{ name: "far", client: 1, server: 9 }] }, "scenarios[0].server", "9", "from 1 to 4"],
  ["scenario from a node to itself", { scenarios: [{ name: "self", client: 2, server: 2 }] }, "scenarios[0].server", "2", "different nodes"],
  ["duplicate scenario names", { scenarios: [{ name: "a", client: 1, server: 2 }, { name: "a", client: 1, server: 3 }] }, "scenarios[1].name", '"a"', "unique"],
  ["capture timeout of zero", { capture: { timeoutSeconds: 0 } }, "capture.timeoutSeconds", "0", "1 to 600"],
  ["router name with a space", { topology: { router: { name: "gw 0" }, subnets: seedSubnets } }, "topology.router.name", '"gw 0"', "lowercase letters"],
  ["a route reflector that is no node", { bgp: { routeReflectors: [1, 5] } }, "bgp.routeReflectors[1]", "5", "node number 1 to 4"],
  ["a route reflector named twice", { bgp: { routeReflectors: [3, 3] } }, "bgp.routeReflectors[1]", "3", "named twice"],
  ["route reflectors with VXLAN", { vxlanMode: "Always", bgp: { routeReflectors: [1] } }, "bgp.routeReflectors", "[1]", "calico_backend: vxlan"],
  ["a cluster ID that is no IPv4 address", { bgp: { routeReflectors: [1], clusterID: "rr-1" } }, "bgp.clusterID", '"rr-1"', "IPv4 dotted quad"],
  ["an unknown bgp key", { bgp: { reflectors: [1] } as RawLabConfig["bgp"] }, "bgp.reflectors", "[1]", "allowed keys are routeReflectors, clusterID"],
];

describe("validation rejects bad configs naming the key, the value and what is allowed", () => {
  it.each(badConfigs)("%s", (_what, raw, key, value, allowed) => {
    const problems = problemsOf(raw);
    const hit = problems.find((p) => p.startsWith(`${key}: `));
    expect(hit).toBeDefined();
    expect(hit).toContain(value);
    expect(hit).toContain(allowed);
  });

  it("keeps the mesh by default and takes route reflectors in every mode that uses BGP", () => {
    expect(buildLabSpec({}, ctx).bgp).toEqual({ routeReflectors: [], clusterId: "244.0.0.1" });
    for (const ipipMode of ["Always", "CrossSubnet", "Never"]) {
      expect(buildLabSpec({ ipipMode, bgp: { routeReflectors: [3, 1], clusterID: "10.0.0.1" } }, ctx).bgp).toEqual({ routeReflectors: [3, 1], clusterId: "10.0.0.1" });
    }
    expect(buildLabSpec({ vxlanMode: "Always", bgp: { routeReflectors: [] } }, ctx).bgp.routeReflectors).toEqual([]);
  });

  it("reports every problem at once, as a bulleted list", () => {
    const raw: RawLabConfig = { ipipMode: "x", backend: "y", labName: "Z Z" };
    expect(() => buildLabSpec(raw, ctx)).toThrow(/invalid lab config:\n {2}- ipipMode: .*\n {2}- backend: .*\n {2}- labName: /);
  });

  it("accepts a three-subnet, six-node topology", () => {
    const raw: RawLabConfig = {
      topology: {
        subnets: [0, 1, 2].map((i) => ({ cidr: `10.2.${i}.0/24`, gateway: `10.2.${i}.1`, nodes: [`10.2.${i}.10`, `10.2.${i}.11`] })),
      },
    };
    const spec = buildLabSpec(raw, ctx);
    expect(spec.nodes).toHaveLength(6);
    expect(spec.nodes[5].name).toBe("calico-ipip-worker5");
    expect(spec.subnets[2].routerInterface).toBe("eth3");
    expect(spec.underlaySupernet).toBe("10.2.0.0/22");
  });
});

describe("readRawConfig", () => {
  it("parses numbers and objects the CLI passes as text, and keeps unparsable text for validation", () => {
    const values: Record<string, string> = { ipipMode: "CrossSubnet", mtu: "1450", blockSize: "big", topology: "{not json", scenarios: '[{"name":"a","client":1,"server":2}]' };
    expect(readRawConfig((k) => values[k])).toEqual({
      ipipMode: "CrossSubnet",
      mtu: 1450,
      blockSize: "big",
      topology: "{not json",
      scenarios: [{ name: "a", client: 1, server: 2 }],
    });
  });
});

describe("the shipped stack files", () => {
  const repo = path.resolve(__dirname, "..");
  const stacks = fs.readdirSync(repo).filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f));

  it.each(stacks)("%s builds a spec from its config as the CLI hands it over (objects as JSON text)", (file) => {
    const doc = yaml.load(fs.readFileSync(path.join(repo, file), "utf8")) as { config?: Record<string, unknown> };
    const text: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
      text[key.replace(/^calico-ipip-lab:/, "")] = typeof value === "string" ? value : JSON.stringify(value);
    }
    expect(() => buildLabSpec(readRawConfig((k) => text[k]), { stack: file.split(".")[1], cwd: "/srv/lab" })).not.toThrow();
  });

  it("include the route-reflector stack", () => {
    expect(stacks).toContain("Pulumi.rr.yaml");
  });
});

describe("properties of valid labs", () => {
  const topologies = fc
    .array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 8 })
    .filter((counts) => counts.reduce((a, b) => a + b, 0) >= 2)
    .map((counts) => ({
      subnets: counts.map((n, i) => ({
        cidr: `10.${i}.0.0/24`,
        gateway: `10.${i}.0.1`,
        nodes: Array.from({ length: n }, (_, j) => `10.${i}.0.${10 + j}`),
      })),
    }));

  it("blocks never overlap, interface names stay within 15 characters and names are unique", () => {
    fc.assert(
      fc.property(topologies, fc.constantFrom("ipip", "crosssubnet", "a-much-longer-stack-name-here"), (topology, stack) => {
        const spec = buildLabSpec({ topology, podSubnet: "100.64.0.0/16", scenarios: [{ name: "s", client: 1, server: 2 }] }, { stack, cwd: "/" });
        for (let i = 0; i < spec.nodes.length; i++) {
          for (let j = i + 1; j < spec.nodes.length; j++) expect(cidrsOverlap(spec.nodes[i].block, spec.nodes[j].block)).toBe(false);
        }
        for (const s of spec.subnets) expect(`${s.bridge}-net${s.nodes.length}`.length).toBeLessThanOrEqual(IFNAME_MAX);
        expect(new Set(spec.nodes.map((n) => n.name)).size).toBe(spec.nodes.length);
        expect(new Set(spec.nodes.map((n) => n.pod.ip)).size).toBe(spec.nodes.length);
      }),
      { numRuns: 50 },
    );
  });
});
