import * as os from "os";
import type { LabOutputs } from "../../model/spec";
import { seedOutputs } from "./fixtures";
import { BRIDGE_Y, GW_H, GW_Y, inSubnet, layoutTopology, nextHops, NODE_Y, simplify, TopologyLayout } from "../../report/topology";

const noPcaps = { captureDir: os.tmpdir(), writePcaps: false };

function overlaps(a: { x: number; y: number; w: number; h: number }, b: { x: number; y: number; w: number; h: number }): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function inside(t: TopologyLayout, [x, y]: readonly [number, number]): boolean {
  return x >= 0 && y >= 0 && x <= t.width && y <= t.height;
}

describe("layoutTopology on the seed lab", () => {
  let always: LabOutputs;
  let cross: LabOutputs;
  beforeAll(async () => {
    always = await seedOutputs({ mode: "Always", ...noPcaps });
    cross = await seedOutputs({ mode: "CrossSubnet", ...noPcaps });
  });

  it("draws two segments in output order, each under the gateway, with its nodes on it", () => {
    const t = layoutTopology(always);
    expect(t.segments.map((s) => [s.bridge, s.subnet])).toEqual([
      ["br-pool0", "10.1.5.0/24"],
      ["br-pool1", "10.1.8.0/24"],
    ]);
    expect(t.nodes.map((n) => n.name)).toEqual(["lab-control-plane", "lab-worker", "lab-worker2", "lab-worker3"]);
    for (const s of t.segments) {
      const mine = t.nodes.filter((n) => n.segment === s.bridge);
      expect(mine).toHaveLength(2);
      for (const n of mine) {
        expect(n.box.x).toBeGreaterThanOrEqual(s.x1);
        expect(n.box.x + n.box.w).toBeLessThanOrEqual(s.x2);
      }
      expect(s.uplinkX).toBeGreaterThanOrEqual(t.gateway.box.x);
      expect(s.uplinkX).toBeLessThanOrEqual(t.gateway.box.x + t.gateway.box.w);
    }
    expect(t.segments[0].x2).toBeLessThan(t.segments[1].x1);
  });

  it("places every box inside the picture and no two boxes on top of each other", () => {
    const t = layoutTopology(always);
    const boxes = [t.gateway.box, ...t.nodes.map((n) => n.box), ...t.pods.map((p) => p.box)];
    for (const b of boxes) {
      expect(inside(t, [b.x, b.y])).toBe(true);
      expect(inside(t, [b.x + b.w, b.y + b.h])).toBe(true);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) expect(overlaps(boxes[i], boxes[j])).toBe(false);
  });

  it("puts each pod under its node", () => {
    const t = layoutTopology(always);
    for (const p of t.pods) {
      const n = t.nodes.find((x) => x.name === p.node)!;
      expect(p.box.y).toBeGreaterThan(n.box.y + n.box.h);
      expect(p.box.x).toBeGreaterThanOrEqual(n.box.x);
      expect(p.box.x + p.box.w).toBeLessThanOrEqual(n.box.x + n.box.w + 0.001);
    }
  });

  it("routes same-subnet over the bridge and cross-subnet through the gateway, from client node to server node", () => {
    const t = layoutTopology(always);
    const [same, crossPath] = t.paths;
    expect(same.scenario).toBe("same-subnet");
    expect(same.viaGateway).toBe(false);
    expect(Math.min(...same.underlay.map(([, y]) => y))).toBeGreaterThan(BRIDGE_Y);
    expect(crossPath.viaGateway).toBe(true);
    const top = Math.min(...crossPath.underlay.map(([, y]) => y));
    expect(top).toBeGreaterThan(GW_Y);
    expect(top).toBeLessThan(GW_Y + GW_H);
    for (const p of t.paths) {
      const cn = t.nodes.find((n) => n.name === p.client.node)!;
      const sn = t.nodes.find((n) => n.name === p.server.node)!;
      const [fx, fy] = p.underlay[0];
      const [lx, ly] = p.underlay[p.underlay.length - 1];
      expect(fy).toBe(NODE_Y);
      expect(ly).toBe(NODE_Y);
      expect(fx).toBeGreaterThan(cn.box.x);
      expect(fx).toBeLessThan(cn.box.x + cn.box.w);
      expect(lx).toBeGreaterThan(sn.box.x);
      expect(lx).toBeLessThan(sn.box.x + sn.box.w);
      expect(p.clientLeg.length).toBe(2);
      expect(p.serverLeg.length).toBe(2);
      for (const q of [...p.underlay, ...p.clientLeg, ...p.serverLeg, p.badge]) expect(inside(t, q)).toBe(true);
      // Only horizontal and vertical runs.
      for (let i = 1; i < p.underlay.length; i++) {
        const [a, b] = [p.underlay[i - 1], p.underlay[i]];
        expect(a[0] === b[0] || a[1] === b[1]).toBe(true);
      }
    }
  });

  it("keeps parallel paths apart (different lanes)", () => {
    const t = layoutTopology(always);
    const [a, b] = t.paths;
    expect(a.underlay[0][0]).not.toBe(b.underlay[0][0]);
    expect(a.underlay[1][1]).not.toBe(b.underlay[1][1]);
  });

  it("styles paths by what was observed and marks tunnel endpoints only for encapsulated ones", () => {
    const ta = layoutTopology(always);
    expect(ta.paths.map((p) => p.style)).toEqual(["ipip", "ipip"]);
    expect(ta.nodes[0].tunnel.map((m) => [m.scenario, m.role])).toEqual([
      [1, "encap"],
      [2, "encap"],
    ]);
    expect(ta.nodes[1].tunnel.map((m) => m.role)).toEqual(["decap"]);
    expect(ta.nodes[2].tunnel.map((m) => m.role)).toEqual(["decap"]);
    expect(ta.nodes[3].tunnel).toEqual([]);

    const tc = layoutTopology(cross);
    expect(tc.paths.map((p) => [p.scenario, p.style])).toEqual([
      ["same-subnet", "none"],
      ["cross-subnet", "ipip"],
    ]);
    expect(tc.nodes[1].tunnel).toEqual([]);
    expect(tc.nodes[2].tunnel.map((m) => [m.scenario, m.role])).toEqual([[2, "decap"]]);
    expect(tc.nodes[0].captures).toEqual(["net0"]);
    expect(tc.nodes[1].captures).toEqual([]);
  });

  it("draws a missing or mixed observation as unknown and keeps the failure's reason", async () => {
    const o = await seedOutputs({ mode: "CrossSubnet", ...noPcaps, observe: { "same-subnet": "missing" } });
    const t = layoutTopology(o);
    expect(t.paths[0].style).toBe("unknown");
    expect(t.paths[0].pass).toBe(false);
    expect(t.paths[0].reason).toMatch(/expected none/);
  });

  it("says why a path cannot be drawn when a node is unknown, and never throws", async () => {
    const o = await seedOutputs({ mode: "Always", ...noPcaps });
    o.captures[1].server.node = "ghost";
    o.pods = o.pods.filter((p) => p.name !== "pod-1");
    const t = layoutTopology(o);
    expect(t.paths[1].underlay).toEqual([]);
    expect(t.paths[1].note).toMatch(/server node ghost/);
    expect(t.paths[0].serverLeg).toEqual([]);
    expect(t.paths[0].note).toMatch(/server pod pod-1/);
  });

  it("widens node boxes for long names and handles any number of segments", async () => {
    const o = await seedOutputs({ mode: "Always", ...noPcaps });
    o.nodes = [
      ...o.nodes,
      { name: "a-really-long-kind-node-name-worker4", role: "worker", ip: "10.1.9.10", prefixLength: 24, subnet: "10.1.9.0/24", segment: "br-pool2", bgpPeers: [], routes: [] },
    ];
    const t = layoutTopology(o);
    expect(t.segments).toHaveLength(3);
    expect(t.nodes[0].box.w).toBeGreaterThan(184);
    expect(t.gateway.box.x + t.gateway.box.w).toBeLessThanOrEqual(t.width);
  });

  it("takes the gateway addresses from the router in the outputs", async () => {
    const t = layoutTopology(await seedOutputs({ mode: "Always", ...noPcaps }));
    expect(t.segments.map((s) => s.gateway)).toEqual(["10.1.5.1", "10.1.8.1"]);
    expect(t.gateway.addresses).toEqual(["10.1.5.1", "10.1.8.1"]);
  });

  it("learns gateway addresses from next hops that are no node's address when outputs lack the router", async () => {
    const o = await seedOutputs({ mode: "Always", ...noPcaps });
    o.router = { name: "gw0", interfaces: [] };
    o.captures[0].routes.client = ["10.1.8.10 via 10.1.5.1 dev net0 src 10.1.5.10 uid 0"];
    const t = layoutTopology(o);
    expect(t.segments[0].gateway).toBe("10.1.5.1");
    expect(t.segments[1].gateway).toBeUndefined();
    expect(t.gateway.addresses).toEqual(["10.1.5.1"]);
  });
});

describe("helpers", () => {
  it("inSubnet", () => {
    expect(inSubnet("10.1.5.11", "10.1.5.0/24")).toBe(true);
    expect(inSubnet("10.1.8.11", "10.1.5.0/24")).toBe(false);
    expect(inSubnet("10.1.5.11", "10.1.5.11/32")).toBe(true);
    expect(inSubnet("1.2.3.4", "0.0.0.0/0")).toBe(true);
    expect(inSubnet("nonsense", "10.0.0.0/8")).toBe(false);
    expect(inSubnet("10.0.0.1", "10.0.0.0/33")).toBe(false);
  });

  it("nextHops", () => {
    expect(nextHops(["10.244.0.129 via 10.1.8.10 dev tunl0 src 10.244.0.0 uid 0", "    cache", "10.244.0.65 dev cali123 scope link"])).toEqual(["10.1.8.10"]);
  });

  it("simplify drops repeats and collinear middles", () => {
    expect(
      simplify([
        [0, 0],
        [0, 0],
        [0, 5],
        [0, 10],
        [5, 10],
        [5, 10],
      ]),
    ).toEqual([
      [0, 0],
      [0, 10],
      [5, 10],
    ]);
  });
});

describe("small and odd labs", () => {
  it("one segment, no captures: gateway over the one bridge, no paths", async () => {
    const o = await seedOutputs({ mode: "Always", ...noPcaps });
    o.nodes = o.nodes.slice(0, 2);
    o.pods = o.pods.slice(0, 2);
    o.captures = [];
    const t = layoutTopology(o);
    expect(t.segments).toHaveLength(1);
    expect(t.paths).toEqual([]);
    expect(t.gateway.box.x).toBeGreaterThanOrEqual(0);
    expect(t.gateway.box.x + t.gateway.box.w).toBeLessThanOrEqual(t.width);
    expect(Number.isFinite(t.width) && Number.isFinite(t.height)).toBe(true);
  });

  it("a scenario within one node draws no underlay and says why", async () => {
    const o = await seedOutputs({ mode: "Always", ...noPcaps });
    o.captures[0].server = { ...o.captures[0].client };
    const t = layoutTopology(o);
    expect(t.paths[0].underlay).toEqual([]);
    expect(t.paths[0].note).toMatch(/one node/);
  });

  it("many scenarios stay in separate lanes between the bridge and the nodes", async () => {
    const o = await seedOutputs({ mode: "Always", ...noPcaps });
    o.captures = Array.from({ length: 8 }, (_, i) => ({ ...o.captures[i % 2], scenario: `s${i}` }));
    const t = layoutTopology(o);
    const lanesY = t.paths.map((p) => p.underlay[1][1]);
    expect(new Set(lanesY).size).toBe(8);
    for (const y of lanesY) {
      expect(y).toBeGreaterThan(BRIDGE_Y);
      expect(y).toBeLessThan(NODE_Y);
    }
  });
});
