import { buildLabSpec } from "../model/config";
import { bgpSessions } from "../model/bgp";
import { benchReflectors, benchTable, benchTopology, cpuJiffies, netstatCounter, sessionCount, vmRssKb } from "./netns.bench";

describe("netns bench sizes", () => {
  it.each([
    [16, 4],
    [64, 8],
  ])("%i nodes split evenly into %i /24s, distinct addresses, and the config validates with its 2 reflectors", (nodes, subnets) => {
    const topology = benchTopology({ nodes, subnets });
    expect(topology).toHaveLength(subnets);
    const ips = topology.flatMap((s) => s.nodes);
    expect(new Set(ips).size).toBe(nodes);
    const spec = buildLabSpec({ backend: "netns", labName: "b", topology: { subnets: topology }, bgp: { routeReflectors: benchReflectors({ nodes, subnets }) } }, { stack: "t", cwd: "/" });
    expect(spec.nodes).toHaveLength(nodes);
    // The two reflectors sit in different subnets.
    const [a, b] = spec.bgp.routeReflectors.map((i) => spec.nodes[i - 1].subnet);
    expect(a).not.toBe(b);
  });

  it("256 nodes: 8 /24s of 32 (the lab itself stays out of the suite)", () => {
    const topology = benchTopology({ nodes: 256, subnets: 8 });
    expect(topology.map((s) => s.nodes.length)).toEqual(Array(8).fill(32));
    expect(topology[7].nodes[31]).toBe("10.8.0.41");
    expect(benchReflectors({ nodes: 256, subnets: 8 })).toEqual([1, 33]);
  });

  it("refuses a split that does not fit /24s", () => {
    expect(() => benchTopology({ nodes: 10, subnets: 4 })).toThrow(/do not split/);
    expect(() => benchTopology({ nodes: 256, subnets: 1 })).toThrow(/do not split/);
  });
});

describe("sessionCount", () => {
  it("counts each session once: the mesh's n(n-1)/2, 2 reflectors' 2(n-2)+1", () => {
    for (const routeReflectors of [[], [1, 3]]) {
      const spec = buildLabSpec({ backend: "netns", labName: "b", topology: { subnets: benchTopology({ nodes: 16, subnets: 4 }) }, bgp: { routeReflectors } }, { stack: "t", cwd: "/" });
      const nodes = spec.nodes.map((n) => ({ name: n.name, routes: [], bgpPeers: bgpSessions(spec, n).map((s) => ({ peer: s.ip, state: "Established" })) }));
      expect(sessionCount({ nodes })).toBe(routeReflectors.length === 0 ? 120 : 2 * 14 + 1);
    }
  });
});

describe("vmRssKb", () => {
  it("reads VmRSS, and 0 when the status has none", () => {
    expect(vmRssKb("Name:\tbird\nVmPeak:\t  9000 kB\nVmRSS:\t    9792 kB\nThreads:\t1\n")).toBe(9792);
    expect(vmRssKb("Name:\tkthreadd\nThreads:\t1\n")).toBe(0);
  });
});

describe("cpuJiffies", () => {
  it("counts idle and iowait as not busy, every other field as busy", () => {
    expect(cpuJiffies("cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n")).toEqual({ busy: 160, total: 980 });
  });
});

describe("netstatCounter", () => {
  const netstat = [
    "TcpExt: SyncookiesSent ListenOverflows ListenDrops",
    "TcpExt: 4 398 401",
    "IpExt: InNoRoutes ListenDrops",
    "IpExt: 7 9",
  ].join("\n");
  it("reads the named counter of the named group, from the values line under the names", () => {
    expect(netstatCounter(netstat, "TcpExt", "ListenDrops")).toBe(401);
    expect(netstatCounter(netstat, "TcpExt", "ListenOverflows")).toBe(398);
    expect(netstatCounter(netstat, "IpExt", "ListenDrops")).toBe(9);
  });
  it("0 when the counter or its group is missing", () => {
    expect(netstatCounter(netstat, "TcpExt", "TCPTimeouts")).toBe(0);
    expect(netstatCounter(netstat, "MPTcpExt", "ListenDrops")).toBe(0);
  });
});

describe("benchTable", () => {
  it("one Markdown row per size and mode, the switch only on the mesh row", () => {
    const size = { nodes: 16, subnets: 4 };
    const table = benchTable([
      { size, bgp: "mesh", up: 0.5, converged: 3.2, sessions: 120, rss: 2048, listenDrops: 0, toReflectors: { seconds: 2.5, sessions: 29 }, down: 0.17, dataplane: "userspace-ipip" },
      { size, bgp: "reflectors", up: 0.6, converged: 3.05, sessions: 29, rss: 1024, listenDrops: 341, down: 0.16, dataplane: "userspace-ipip" },
    ]).split("\n");
    expect(table).toHaveLength(4);
    expect(table[2]).toBe("| 16 / 4 | mesh | 0.50 | 3.20 | 120 | 2.0 | 0 | 2.50 (29 sessions) | 0.17 |");
    expect(table[3]).toBe("| 16 / 4 | reflectors | 0.60 | 3.05 | 29 | 1.0 | 341 |  | 0.16 |");
  });
});
