import * as fc from "fast-check";
import { buildLabSpec, RawSubnet } from "./config";
import {
  CalicoRoute,
  caliName,
  expectedDataplane,
  calicoRouteLines,
  podMtu,
  poolRoutes,
  vxlanMac,
  vxlanPeers,
  renderRoute,
  routeKey,
  routeSetDrift,
} from "./dataplane";
import { expectedEncapsulation, ipipOnly, sameSubnet } from "./expect";
import { cidrsOverlap } from "./net";
import { PoolModes, VXLAN_MODES, IPIP_MODES } from "./spec";
import { IFNAME_MAX } from "./validate";

const ctx = { stack: "ipip", cwd: "/work/lab" };
const seed = buildLabSpec({ backend: "netns" }, ctx);

describe("caliName", () => {
  it("is cali + the first 11 hex characters of sha1(<namespace>.<pod>), as Calico's CNI plugin names it", () => {
    // `echo -n default.pod-0 | sha1sum | cut -c1-11`
    expect(caliName("default", "pod-0")).toBe("calic220f2ba281");
    expect(caliName("default", "pod-3")).toBe("cali87081bf6f89");
    expect(caliName("default", "pod-0")).toHaveLength(IFNAME_MAX);
  });
});

describe("expectedDataplane on the seed lab", () => {
  it("Always: every remote block goes through tunl0 onlink", () => {
    const node1 = expectedDataplane(seed, ipipOnly("Always"))[0];
    expect(node1.cali).toBe("calic220f2ba281");
    expect(node1.routes.map(renderRoute)).toEqual([
      "blackhole 10.244.0.0/26 proto bird",
      "10.244.0.1 dev calic220f2ba281 scope link",
      "10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink",
      "10.244.0.128/26 via 10.1.8.10 dev tunl0 proto bird onlink",
      "10.244.0.192/26 via 10.1.8.11 dev tunl0 proto bird onlink",
    ]);
  });

  it("CrossSubnet: the same-subnet node's block goes plainly through net0", () => {
    const [node1, , node3] = expectedDataplane(seed, ipipOnly("CrossSubnet"));
    expect(node1.routes.map(renderRoute).slice(2)).toEqual([
      "10.244.0.64/26 via 10.1.5.11 dev net0 proto bird",
      "10.244.0.128/26 via 10.1.8.10 dev tunl0 proto bird onlink",
      "10.244.0.192/26 via 10.1.8.11 dev tunl0 proto bird onlink",
    ]);
    expect(node3.routes.map(renderRoute).slice(2)).toEqual([
      "10.244.0.0/26 via 10.1.5.10 dev tunl0 proto bird onlink",
      "10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink",
      "10.244.0.192/26 via 10.1.8.11 dev net0 proto bird",
    ]);
  });

  it("Never: plain on net0, via the node in its subnet and via the gateway across (BIRD's recursive next hop)", () => {
    const [node1, , node3] = expectedDataplane(seed, ipipOnly("Never"));
    expect(node1.routes.map(renderRoute).slice(2)).toEqual([
      "10.244.0.64/26 via 10.1.5.11 dev net0 proto bird",
      "10.244.0.128/26 via 10.1.5.1 dev net0 proto bird",
      "10.244.0.192/26 via 10.1.5.1 dev net0 proto bird",
    ]);
    expect(node3.routes.map(renderRoute).slice(2, 3)).toEqual(["10.244.0.0/26 via 10.1.8.1 dev net0 proto bird"]);
  });

  it("VXLAN Always: Felix's routes via each remote VTEP on vxlan.calico, onlink, proto 80", () => {
    const node1 = expectedDataplane(seed, { ipipMode: "Never", vxlanMode: "Always" })[0];
    expect(node1.routes.map(renderRoute)).toEqual([
      "blackhole 10.244.0.0/26 proto bird",
      "10.244.0.1 dev calic220f2ba281 scope link",
      "10.244.0.64/26 via 10.244.0.64 dev vxlan.calico proto 80 onlink",
      "10.244.0.128/26 via 10.244.0.128 dev vxlan.calico proto 80 onlink",
      "10.244.0.192/26 via 10.244.0.192 dev vxlan.calico proto 80 onlink",
    ]);
    const withoutBird = expectedDataplane(seed, { ipipMode: "Never", vxlanMode: "Always" }, { bird: false })[0];
    expect(renderRoute(withoutBird.routes[0])).toBe("blackhole 10.244.0.0/26 proto 80");
  });

  it("VXLAN CrossSubnet: the same-subnet block via the node on net0, onlink, proto 80", () => {
    const node1 = expectedDataplane(seed, { ipipMode: "Never", vxlanMode: "CrossSubnet" })[0];
    expect(node1.routes.map(renderRoute).slice(2)).toEqual([
      "10.244.0.64/26 via 10.1.5.11 dev net0 proto 80 onlink",
      "10.244.0.128/26 via 10.244.0.128 dev vxlan.calico proto 80 onlink",
      "10.244.0.192/26 via 10.244.0.192 dev vxlan.calico proto 80 onlink",
    ]);
  });

  it("defaults to the spec's own mode", () => {
    expect(expectedDataplane(seed)).toEqual(expectedDataplane(seed, ipipOnly("Always")));
  });

  it("a node address detected as /32 makes CrossSubnet encapsulate everything (calico #2375)", () => {
    const [node1] = seed.nodes;
    const lonely = { ...node1, prefixLength: 32 };
    const dp = expectedDataplane({ ...seed, nodes: [lonely, ...seed.nodes.slice(1)] }, ipipOnly("CrossSubnet"))[0];
    expect(dp.routes.filter((r) => r.kind === "block").every((r) => r.kind === "block" && r.dev === "tunl0")).toBe(true);
  });
});

describe("VXLAN peers and MTUs", () => {
  it("a node's MAC is 66 then the first five bytes of sha1(node name)", () => {
    // `echo -n calico-ipip-worker | sha1sum | cut -c1-10`
    expect(vxlanMac("calico-ipip-worker")).toBe("66:20:24:67:fc:16");
    expect(vxlanMac("a")).toBe("66:86:f7:e4:37:fa");
    expect(vxlanPeers(seed.nodes[0], seed.nodes)).toEqual(
      seed.nodes.slice(1).map((n) => ({ node: n.name, nodeIp: n.ip, vtep: n.tunnelIp, mac: vxlanMac(n.name) })),
    );
  });

  it("the pod MTU is the underlay's minus the enabled encapsulation's overhead", () => {
    expect(podMtu(1500, ipipOnly("Always"))).toBe(1480);
    expect(podMtu(1500, ipipOnly("Never"))).toBe(1500);
    expect(podMtu(1500, { ipipMode: "Never", vxlanMode: "CrossSubnet" })).toBe(1450);
    expect(podMtu(9000, { ipipMode: "Never", vxlanMode: "Always" })).toBe(8950);
  });
});

describe("route lines", () => {
  it("poolRoutes keeps the routes whose destination lies in the pool", () => {
    expect(
      poolRoutes(
        ["default via 10.1.5.1 dev net0", "10.1.5.0/24 dev net0 proto kernel scope link src 10.1.5.10", "blackhole 10.244.0.0/26 proto bird", "10.244.0.1 dev calic220f2ba281 scope link", " 10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink "],
        "10.244.0.0/16",
      ),
    ).toEqual(["blackhole 10.244.0.0/26 proto bird", "10.244.0.1 dev calic220f2ba281 scope link", "10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink"]);
  });

  it("routeKey is the destination, also of a blackhole", () => {
    expect(routeKey("blackhole 10.244.0.0/26 proto bird")).toBe("10.244.0.0/26");
    expect(routeKey("10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink")).toBe("10.244.0.64/26");
  });
});

/** Every pool Calico accepts: at most one encapsulation enabled. */
const ALL_POOL_MODES: PoolModes[] = [
  ...IPIP_MODES.map((ipipMode) => ({ ipipMode, vxlanMode: "Never" as const })),
  ...VXLAN_MODES.filter((m) => m !== "Never").map((vxlanMode) => ({ ipipMode: "Never" as const, vxlanMode })),
];

/** Random valid topologies: 1-5 subnets of 1-6 nodes, prefixes /16../28, blocks /24../29. */
const labs = fc
  .record({
    subnets: fc.array(fc.record({ prefix: fc.integer({ min: 16, max: 28 }), nodes: fc.integer({ min: 1, max: 6 }) }), { minLength: 1, maxLength: 5 }),
    blockSize: fc.integer({ min: 24, max: 29 }),
    modes: fc.constantFrom<PoolModes>(...ALL_POOL_MODES),
  })
  .filter(({ subnets }) => subnets.reduce((n, s) => n + s.nodes, 0) >= 2)
  .map(({ subnets, blockSize, modes }) => {
    const raw: RawSubnet[] = subnets.map((s, si) => ({
      cidr: `10.${si + 1}.0.0/${s.prefix}`,
      gateway: `10.${si + 1}.0.1`,
      nodes: Array.from({ length: s.nodes }, (_, k) => `10.${si + 1}.0.${k + 2}`),
    }));
    const total = subnets.reduce((n, s) => n + s.nodes, 0);
    const scenarios = [{ name: "first-last", client: 1, server: total }];
    return { spec: buildLabSpec({ backend: "netns", blockSize, ...modes, topology: { subnets: raw }, scenarios }, ctx), modes };
  });

describe("expectedDataplane properties", () => {
  it("blocks never overlap, and every remote block has exactly one route on every node", () => {
    fc.assert(
      fc.property(labs, ({ spec, modes }) => {
        for (let i = 0; i < spec.nodes.length; i++) {
          for (let j = i + 1; j < spec.nodes.length; j++) if (cidrsOverlap(spec.nodes[i].block, spec.nodes[j].block)) return false;
        }
        return expectedDataplane(spec, modes).every((dp) => {
          const dsts = dp.routes.map((r) => r.dst);
          return (
            new Set(dsts).size === dsts.length &&
            spec.nodes.every((remote) => {
              const hits = dp.routes.filter((r) => r.dst === remote.block);
              return hits.length === 1 && hits[0].kind === (remote.index === dp.index ? "blackhole" : "block");
            })
          );
        });
      }),
      { numRuns: 150 },
    );
  });

  it("a route's device is the encapsulation the path must show, with the next hop that device needs", () => {
    const deviceOf = { ipip: "tunl0", vxlan: "vxlan.calico", none: "net0" } as const;
    fc.assert(
      fc.property(labs, ({ spec, modes }) =>
        expectedDataplane(spec, modes).every((dp) => {
          const local = spec.nodes[dp.index - 1];
          return dp.routes.every((r) => {
            if (r.kind !== "block") return true;
            const remote = spec.nodes.find((n) => n.block === r.dst);
            if (remote === undefined) return false;
            const enc = expectedEncapsulation(modes, local, remote);
            if (r.dev !== deviceOf[enc]) return false;
            const felix = modes.vxlanMode !== "Never";
            if (r.proto !== (felix ? "80" : "bird")) return false;
            if (enc === "vxlan") return r.via === remote.tunnelIp && r.onlink;
            if (enc === "ipip") return r.via === remote.ip && r.onlink;
            // Plain: the remote node itself within the subnet, else the gateway (BIRD), onlink only from Felix.
            const same = sameSubnet(local, remote);
            return r.onlink === felix && r.via === (same || felix ? remote.ip : local.gateway) && (same || !felix);
          });
        }),
      ),
      { numRuns: 200 },
    );
  });

  it("cali interface names are unique, Calico-shaped and at most 15 characters", () => {
    fc.assert(
      fc.property(labs, ({ spec, modes }) => {
        const names = expectedDataplane(spec, modes).map((d) => d.cali);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) {
          expect(n.length).toBeLessThanOrEqual(IFNAME_MAX);
          expect(n).toMatch(/^cali[0-9a-f]{11}$/);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("the table filters keep exactly the rendered routes: every one in the pool, Calico's by their protocol", () => {
    fc.assert(
      fc.property(labs, ({ spec, modes }) => {
        for (const dp of expectedDataplane(spec, modes)) {
          const rendered = dp.routes.map(renderRoute);
          const table = ["default via 192.0.2.1 dev net0", ...rendered, "192.0.2.0/24 dev net0 proto kernel scope link src 192.0.2.10"];
          expect(poolRoutes(table, spec.podSubnet)).toEqual(rendered);
          expect(calicoRouteLines(table)).toEqual(dp.routes.filter((r: CalicoRoute) => r.kind !== "pod").map(renderRoute));
          expect(routeSetDrift("n", rendered, [...rendered].reverse())).toBeUndefined();
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("routeSetDrift", () => {
  it("names what each side lacks, in order, and says nothing when the sets agree", () => {
    const want = ["10.244.0.64/26 via 10.1.5.11 dev net0 proto bird", "blackhole 10.244.0.0/26 proto bird"];
    expect(routeSetDrift("n1", want, [...want].reverse())).toBeUndefined();
    expect(routeSetDrift("n1", want, [want[1], "10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink"])).toBe(
      'n1: the model expects ["10.244.0.64/26 via 10.1.5.11 dev net0 proto bird"] which the table lacks; the table has ["10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink"] which the model does not',
    );
    expect(routeSetDrift("gw0", [], ["10.244.0.0/26 via 10.1.5.10 dev eth1 proto bird"])).toContain('expects [] which the table lacks; the table has ["10.244.0.0/26');
  });
});

