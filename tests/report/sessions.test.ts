import * as os from "os";
import type { LabOutputs } from "../../model/spec";
import { outputsProblems } from "../../model/outputs";
import { seedOutputs } from "./fixtures";
import { arcPeak, ARC_MAX, layoutSessions, MESH_DRAW_LIMIT, SessionEdge, sessionsSummary, SessionsLayout } from "../../report/sessions";
import { sessionsSvg } from "../../report/svg";

const noPcaps = { captureDir: os.tmpdir(), writePcaps: false };

type Box = { x: number; y: number; w: number; h: number };
const overlaps = (a: Box, b: Box): boolean => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
const pairs = (t: SessionsLayout, kind?: SessionEdge["kind"]): string[] =>
  t.edges
    .filter((e) => kind === undefined || e.kind === kind)
    .map((e) => `${e.a}|${e.b}`)
    .sort();

/** The points a session's shape passes through, sampled (the quadratic Bézier for arcs). */
function samples(e: SessionEdge): [number, number][] {
  const s = e.shape;
  return Array.from({ length: 21 }, (_, i) => {
    const t = i / 20;
    if (s.type === "line") return [s.from[0] + (s.to[0] - s.from[0]) * t, s.from[1] + (s.to[1] - s.from[1]) * t];
    const u = 1 - t;
    return [u * u * s.from[0] + 2 * u * t * s.control[0] + t * t * s.to[0], u * u * s.from[1] + 2 * u * t * s.control[1] + t * t * s.to[1]];
  });
}

/** Strictly inside a box (a session may touch its own ends' edges). */
const strictlyIn = (b: Box, [x, y]: [number, number]): boolean => x > b.x + 0.5 && x < b.x + b.w - 0.5 && y > b.y + 0.5 && y < b.y + b.h - 0.5;

function checkGeometry(t: SessionsLayout): void {
  const boxes = [...t.nodes.map((n) => n.box), ...(t.gateway ? [t.gateway.box] : [])];
  for (const b of boxes) {
    expect(b.x).toBeGreaterThanOrEqual(0);
    expect(b.y).toBeGreaterThanOrEqual(0);
    expect(b.x + b.w).toBeLessThanOrEqual(t.width);
    expect(b.y + b.h).toBeLessThanOrEqual(t.height);
  }
  const nodes = t.nodes.map((n) => n.box);
  for (let i = 0; i < nodes.length; i++) for (let j = i + 1; j < nodes.length; j++) expect(overlaps(nodes[i], nodes[j])).toBe(false);
  // Gathered, then asserted once: thousands of expect calls are slow.
  const wrong: string[] = [];
  for (const e of t.edges)
    for (const p of samples(e)) {
      if (p[0] < 0 || p[1] < 0 || p[0] > t.width || p[1] > t.height) wrong.push(`${e.a}|${e.b} leaves the picture at ${p}`);
      // No session runs through a node box, its own ends' included.
      for (const b of nodes) if (strictlyIn(b, p)) wrong.push(`${e.a}|${e.b} crosses a node at ${p}`);
    }
  expect(wrong).toEqual([]);
}

describe("layoutSessions", () => {
  let mesh: LabOutputs;
  let rr: LabOutputs;
  let never: LabOutputs;
  let rrNever: LabOutputs;
  beforeAll(async () => {
    mesh = await seedOutputs({ mode: "CrossSubnet", ...noPcaps });
    rr = await seedOutputs({ mode: "CrossSubnet", reflectors: [1, 3], ...noPcaps });
    never = await seedOutputs({ mode: "Never", ...noPcaps });
    rrNever = await seedOutputs({ mode: "Never", reflectors: [1, 3], ...noPcaps });
  });

  it("the outputs name the reflectors by node name and pass the contract check", () => {
    expect(rr.lab.bgp).toEqual({ routeReflectors: ["lab-control-plane", "lab-worker2"], clusterId: "244.0.0.1" });
    expect(mesh.lab.bgp).toEqual({ routeReflectors: [], clusterId: "244.0.0.1" });
    expect(outputsProblems(rr)).toEqual([]);
    expect(outputsProblems({ ...rr, lab: { ...rr.lab, bgp: { routeReflectors: [3], clusterId: "244.0.0" } } })).toEqual([
      "lab.bgp.routeReflectors[0]: expected a string, got number 3",
      'lab.bgp.clusterId: expected an IPv4 address, got string "244.0.0"',
    ]);
  });

  it("the mesh: one arc per pair of nodes, all in one row", () => {
    const t = layoutSessions(mesh);
    expect(t.reflectors).toEqual([]);
    expect(t.assumedMesh).toBe(false);
    expect(t.edges).toHaveLength(6);
    expect(t.edges.every((e) => e.kind === "mesh" && e.shape.type === "arc" && e.established && !e.oneSided)).toBe(true);
    expect(new Set(t.nodes.map((n) => n.box.y)).size).toBe(1);
    expect(t.nodes.map((n) => [n.role, n.sessions, n.established])).toEqual(Array(4).fill(["mesh", 3, 3]));
    expect(t.gateway).toBeUndefined();
    expect(sessionsSummary(t)).toBe("node-to-node mesh of 4 nodes: 6 sessions, 6 Established between nodes");
    checkGeometry(t);
  });

  it("reflectors: in a row above their clients, a line to each client, an arc between them; no client-to-client session", () => {
    const t = layoutSessions(rr);
    expect(t.reflectors).toEqual(["lab-control-plane", "lab-worker2"]);
    expect(t.nodes.map((n) => n.role)).toEqual(["reflector", "client", "reflector", "client"]);
    const [r1, c1, r2, c2] = t.nodes;
    expect(r1.box.y).toBe(r2.box.y);
    expect(c1.box.y).toBe(c2.box.y);
    expect(r1.box.y + r1.box.h).toBeLessThan(c1.box.y);
    expect(pairs(t, "reflectors")).toEqual(["lab-control-plane|lab-worker2"]);
    expect(pairs(t, "client")).toEqual(["lab-control-plane|lab-worker", "lab-control-plane|lab-worker3", "lab-worker2|lab-worker3", "lab-worker|lab-worker2"]);
    expect(pairs(t, "client-client")).toEqual([]);
    for (const e of t.edges.filter((x) => x.kind === "client")) {
      expect(e.shape.type).toBe("line");
      // from a reflector's bottom edge to a client's top edge
      expect(e.shape.from[1]).toBe(r1.box.y + r1.box.h);
      expect(e.shape.to[1]).toBe(c1.box.y);
    }
    // a client reports only the reflectors
    expect(c1.sessions).toBe(2);
    expect(r1.sessions).toBe(3);
    expect(sessionsSummary(t)).toBe("route reflectors lab-control-plane, lab-worker2 (cluster ID 244.0.0.1), 2 clients: 5 sessions, 5 Established between nodes");
    checkGeometry(t);
  });

  it("mode Never: the gateway's bar under the nodes, a vertical line from each node down to it", () => {
    for (const o of [never, rrNever]) {
      const t = layoutSessions(o);
      const gw = t.edges.filter((e) => e.kind === "gateway");
      expect(gw.map((e) => `${e.a}|${e.b}`)).toEqual([
        "lab-control-plane|10.1.5.1",
        "lab-worker|10.1.5.1",
        "lab-worker2|10.1.8.1",
        "lab-worker3|10.1.8.1",
      ]);
      expect(t.gateway?.addresses).toEqual(["10.1.5.1", "10.1.8.1"]);
      const lowest = Math.max(...t.nodes.map((n) => n.box.y + n.box.h));
      expect(t.gateway!.box.y).toBeGreaterThan(lowest);
      for (const e of gw) {
        expect(e.shape.type).toBe("line");
        expect(e.shape.from[0]).toBe(e.shape.to[0]);
        expect(e.shape.to[1]).toBe(t.gateway!.box.y);
      }
      checkGeometry(t);
    }
    expect(sessionsSummary(layoutSessions(rrNever))).toMatch(/: 5 sessions, 5 Established between nodes; 4 sessions, 4 Established with the gateway$/);
  });

  it("old outputs without lab.bgp draw the mesh, and say it was assumed", () => {
    const { bgp: _bgp, ...lab } = mesh.lab;
    const t = layoutSessions({ ...mesh, lab });
    expect(t.assumedMesh).toBe(true);
    expect(t.edges).toHaveLength(6);
    expect(sessionsSummary(t)).toMatch(/mesh assumed/);
    expect(outputsProblems({ ...mesh, lab })).toEqual([]);
  });

  it("old outputs without router still know the gateway: the peer on the node's own segment that is no node", () => {
    const { router: _router, ...older } = rrNever;
    const t = layoutSessions(older as LabOutputs);
    expect(t.edges.filter((e) => e.kind === "gateway")).toHaveLength(4);
    expect(t.strays).toEqual([]);
    expect(t.gateway?.name).toBe("");
    expect(sessionsSvg(t, "old", "t")).toContain(">gateway · 10.1.5.1, 10.1.8.1<");
  });

  it("a session not Established is drawn apart: after the working ones, with its state; one reported by one end only is flagged", () => {
    const o: LabOutputs = JSON.parse(JSON.stringify(rr));
    o.nodes[1].bgpPeers[0].state = "Active"; // lab-worker's session with lab-control-plane
    o.nodes[3].bgpPeers = o.nodes[3].bgpPeers.filter((p) => p.peer !== "10.1.8.10"); // lab-worker3 forgets lab-worker2
    const t = layoutSessions(o);
    const last = t.edges[t.edges.length - 1];
    expect(`${last.a}|${last.b}`).toBe("lab-control-plane|lab-worker");
    expect(last.established).toBe(false);
    expect(last.states).toEqual(["lab-control-plane: Established", "lab-worker: Active"]);
    expect(t.edges.slice(0, -1).every((e) => e.established)).toBe(true);
    const one = t.edges.find((e) => e.a === "lab-worker2" && e.b === "lab-worker3")!;
    expect(one.oneSided).toBe(true);
    expect(one.states).toEqual(["lab-worker2: Established"]);
    expect(sessionsSummary(t)).toMatch(/5 sessions, 4 Established, 1 not between nodes/);
  });

  it("a client peering with a client (off Calico's design) is drawn under the clients' row; a stranger's address is listed, not drawn", () => {
    const o: LabOutputs = JSON.parse(JSON.stringify(rr));
    o.nodes[1].bgpPeers.push({ peer: "10.1.8.11", state: "Established" });
    o.nodes[3].bgpPeers.push({ peer: "10.1.5.11", state: "Established" }, { peer: "192.0.2.7", state: "Connect" });
    const t = layoutSessions(o);
    const cc = t.edges.filter((e) => e.kind === "client-client");
    expect(cc.map((e) => `${e.a}|${e.b}`)).toEqual(["lab-worker|lab-worker3"]);
    const clientsBottom = t.nodes[1].box.y + t.nodes[1].box.h;
    expect(cc[0].shape.from[1]).toBe(clientsBottom);
    expect(t.strays).toEqual([{ node: "lab-worker3", peer: "192.0.2.7", state: "Connect" }]);
    checkGeometry(t);
  });

  it("a mesh of 16 nodes keeps every arc and box inside the picture, arcs no higher than ARC_MAX", async () => {
    const o: LabOutputs = JSON.parse(JSON.stringify(mesh));
    o.nodes = Array.from({ length: 16 }, (_, i) => ({ ...mesh.nodes[0], name: `n${i + 1}`, ip: `10.1.5.${i + 10}` }));
    for (const n of o.nodes) n.bgpPeers = o.nodes.filter((p) => p !== n).map((p) => ({ peer: p.ip, state: "Established" }));
    const t = layoutSessions(o);
    expect(t.edges).toHaveLength(120);
    expect(arcPeak(15)).toBe(ARC_MAX);
    checkGeometry(t);
  });

  it("a mesh over MESH_DRAW_LIMIT nodes counts its Established sessions and draws only those not Established", () => {
    const o: LabOutputs = JSON.parse(JSON.stringify(mesh));
    const n = MESH_DRAW_LIMIT + 1;
    o.nodes = Array.from({ length: n }, (_, i) => ({ ...mesh.nodes[0], name: `n${i + 1}`, ip: `10.1.${i >> 5}.${(i & 31) + 10}` }));
    for (const x of o.nodes) x.bgpPeers = o.nodes.filter((p) => p !== x).map((p) => ({ peer: p.ip, state: "Established" }));
    o.nodes[0].bgpPeers[0].state = "Idle";
    const t = layoutSessions(o);
    expect(t.edges).toHaveLength((n * (n - 1)) / 2);
    expect(t.edges.filter((e) => e.drawn).map((e) => `${e.a}|${e.b}`)).toEqual(["n1|n2"]);
    expect(sessionsSummary(t)).toBe(`node-to-node mesh of ${n} nodes: 2080 sessions, 2079 Established, 1 not between nodes (over ${MESH_DRAW_LIMIT} nodes the 2079 Established mesh sessions are not drawn)`);
    expect(sessionsSvg(t, "big", "t").match(/<g class="bgp-session /g)).toHaveLength(1);
  });

  it("no BGP (VXLAN): no sessions to draw", async () => {
    const t = layoutSessions(await seedOutputs({ vxlanMode: "Always", ...noPcaps }));
    expect(t.edges).toEqual([]);
    expect(t.nodes.every((n) => n.sessions === 0)).toBe(true);
  });
});

describe("sessionsSvg", () => {
  it("draws a node per node with its role, a shape per session, and marks those not Established", async () => {
    const o = await seedOutputs({ mode: "Never", reflectors: [1, 3], ...noPcaps });
    o.nodes[1].bgpPeers[0].state = "Idle";
    const svg = sessionsSvg(layoutSessions(o), "s1-sessions", "BGP sessions");
    expect(svg.match(/<g class="node role-reflector"/g)).toHaveLength(2);
    expect(svg.match(/<g class="node role-client"/g)).toHaveLength(2);
    expect(svg.match(/<g class="bgp-session /g)).toHaveLength(9);
    expect(svg.match(/data-established="false"/g)).toHaveLength(1);
    expect(svg).toContain(`<g class="bgp-session bgp-client down" data-session="lab-control-plane|lab-worker" data-kind="client" data-established="false"><title>lab-control-plane ↔ lab-worker · reflector ↔ client · lab-control-plane: Established, lab-worker: Idle</title>`);
    expect(svg.match(/class="down-mark"/g)).toHaveLength(1);
    expect(svg).toMatch(/data-node="lab-worker" data-role="client">.*?>client<.*?class="sub warn"[^>]*>2\/3 Established ✘</);
    expect(svg).toMatch(/data-node="lab-worker2" data-role="reflector">.*?>route reflector<.*?class="sub"[^>]*>4\/4 Established ✔</);
    expect(svg).toContain("gateway gw0 · 10.1.5.1, 10.1.8.1");
    // the one not Established comes last: drawn over the others
    expect(svg.lastIndexOf('data-established="true"')).toBeLessThan(svg.indexOf('data-established="false"'));
  });

  it("escapes node names", async () => {
    const o = await seedOutputs({ mode: "CrossSubnet", ...noPcaps });
    o.nodes[0].name = `<script>x</script>`;
    const svg = sessionsSvg(layoutSessions(o), "x", "t");
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
  });
});
