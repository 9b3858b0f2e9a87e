/**
 * The one expected-encapsulation rule (model/expect.ts), which the capture verdicts, `verify`
 * and the report all use: the five stacks' matrix on the seed lab written out, and
 * properties over every pool Calico accepts and generated node addresses.
 */
import * as fc from "fast-check";
import { buildLabSpec } from "./config";
import { describeModes, expectedEncapsulation, ipipOnly, NodeAddress, poolEncapsulation, sameSubnet } from "./expect";
import { Encapsulation, PoolModes } from "./spec";

/** Every pool the lab can run (Calico refuses both encapsulations enabled at once). */
const POOLS: readonly PoolModes[] = [
  { ipipMode: "Always", vxlanMode: "Never" },
  { ipipMode: "CrossSubnet", vxlanMode: "Never" },
  { ipipMode: "Never", vxlanMode: "Always" },
  { ipipMode: "Never", vxlanMode: "CrossSubnet" },
  { ipipMode: "Never", vxlanMode: "Never" },
];

describe("the expected matrix of the shipped stacks on the seed lab", () => {
  const seed = buildLabSpec({ backend: "netns" }, { stack: "ipip", cwd: "/" });
  const byIndex = (i: number): NodeAddress => seed.nodes[i - 1];
  const matrix = (modes: PoolModes): Record<string, Encapsulation> =>
    Object.fromEntries(seed.scenarios.map((s) => [s.name, expectedEncapsulation(modes, byIndex(s.client), byIndex(s.server))]));

  it.each([
    ["ipip", POOLS[0], "IPIP Always", { "same-subnet": "ipip", "cross-subnet": "ipip" }],
    ["crosssubnet", POOLS[1], "IPIP CrossSubnet", { "same-subnet": "none", "cross-subnet": "ipip" }],
    ["vxlan", POOLS[2], "VXLAN Always", { "same-subnet": "vxlan", "cross-subnet": "vxlan" }],
    ["vxlancrosssubnet", POOLS[3], "VXLAN CrossSubnet", { "same-subnet": "none", "cross-subnet": "vxlan" }],
    ["bgp", POOLS[4], "no encapsulation", { "same-subnet": "none", "cross-subnet": "none" }],
  ])("%s (%j): %s", (_stack, modes, words, expected) => {
    expect(describeModes(modes)).toBe(words);
    expect(matrix(modes)).toEqual(expected);
  });
});

const octet = fc.integer({ min: 0, max: 255 });
const node: fc.Arbitrary<NodeAddress> = fc
  .record({ name: fc.constantFrom("a", "b", "c", "d"), o: fc.tuple(octet, octet, octet), prefixLength: fc.integer({ min: 8, max: 32 }) })
  .map(({ name, o, prefixLength }) => ({ name, ip: `10.${o[0]}.${o[1]}.${o[2]}`, prefixLength }));
const pool = fc.constantFrom(...POOLS);
const RUNS = { numRuns: 500 };

describe("expectedEncapsulation properties", () => {
  it("a pod on the same node is never encapsulated; nor is anything with both modes Never", () => {
    fc.assert(
      fc.property(pool, node, node, (modes, a, b) => {
        expect(expectedEncapsulation(modes, a, { ...a })).toBe("none");
        expect(expectedEncapsulation({ ipipMode: "Never", vxlanMode: "Never" }, a, b)).toBe("none");
      }),
      RUNS,
    );
  });

  it("Always wraps every path between two nodes in the pool's encapsulation", () => {
    fc.assert(
      fc.property(pool, node, node, (modes, a, b) => {
        fc.pre(a.name !== b.name);
        const { encapsulation, crossSubnetOnly } = poolEncapsulation(modes);
        fc.pre(!crossSubnetOnly);
        expect(expectedEncapsulation(modes, a, b)).toBe(encapsulation);
      }),
      RUNS,
    );
  });

  it("CrossSubnet is plain exactly when the server lies in the client's own network (with the client's prefix)", () => {
    fc.assert(
      fc.property(fc.constantFrom(POOLS[1], POOLS[3]), node, node, (modes, a, b) => {
        fc.pre(a.name !== b.name);
        const want = sameSubnet(a, b) ? "none" : poolEncapsulation(modes).encapsulation;
        expect(expectedEncapsulation(modes, a, b)).toBe(want);
      }),
      RUNS,
    );
  });

  it("VXLAN follows the same rule as IPIP, with the other encapsulation", () => {
    fc.assert(
      fc.property(fc.constantFrom<"Always" | "CrossSubnet">("Always", "CrossSubnet"), node, node, (mode, a, b) => {
        const ipip = expectedEncapsulation(ipipOnly(mode), a, b);
        const vxlan = expectedEncapsulation({ ipipMode: "Never", vxlanMode: mode }, a, b);
        expect(vxlan).toBe(ipip === "ipip" ? "vxlan" : ipip);
      }),
      RUNS,
    );
  });

  it("a node address seen as /32 makes CrossSubnet wrap everything, as Always does (calico #2375)", () => {
    fc.assert(
      fc.property(fc.constantFrom(POOLS[1], POOLS[3]), node, node, (modes, a, b) => {
        fc.pre(a.name !== b.name && a.ip !== b.ip);
        const always = { ipipMode: modes.ipipMode === "Never" ? "Never" : "Always", vxlanMode: modes.vxlanMode === "Never" ? "Never" : "Always" } as PoolModes;
        expect(expectedEncapsulation(modes, { ...a, prefixLength: 32 }, b)).toBe(expectedEncapsulation(always, a, b));
      }),
      RUNS,
    );
  });
});
