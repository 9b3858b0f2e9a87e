/**
 * The netns backend for real (root): its scripts run directly, not through Pulumi, on
 * labs named after this process (`t<pid>-...`), so they never meet a user's lab. Every
 * lab is removed in afterAll whatever happened, and the last tests prove nothing of any
 * lab is left: no namespace, no helper process, no run dir.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildLabSpec, RawLabConfig, withModes } from "../../model/config";
import { expectedDataplane, gatewayRoutes, poolRoutes, renderRoute, routeSetDrift, vxlanMac } from "../../model/dataplane";
import { expectedEncapsulation, ipipOnly } from "../../model/expect";
import { NodeSpec, PoolModes } from "../../model/spec";
import { bgpSessions } from "../../model/bgp";
import { DirectLab, processesMentioning, runScript } from "./direct";
import { ControlPlaneResult, controlPlanePlan, driftProblems } from "../../components/netns/controlPlane";
import { NETNS_SCRIPTS, nodeNamespace, podNamespace } from "../../components/netns/names";
import { TUNL0_HELPER_PID_FILE } from "../../components/netns/survival";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const suite = isRoot ? describe : describe.skip;
if (!isRoot) console.warn("tests/netns/netns.test.ts needs root (network namespaces): skipped");

const tag = `t${process.pid}`;
const ctx = { stack: "test", cwd: process.cwd() };
const hasKernelIpip = fs.existsSync("/sys/module/ipip");

const THREE_SUBNETS = [
  { cidr: "10.1.5.0/24", gateway: "10.1.5.1", nodes: ["10.1.5.10", "10.1.5.11"] },
  { cidr: "10.1.8.0/24", gateway: "10.1.8.1", nodes: ["10.1.8.10", "10.1.8.11"] },
  { cidr: "10.1.9.0/28", gateway: "10.1.9.1", nodes: ["10.1.9.2", "10.1.9.3"] },
];

function lab(name: string, raw: RawLabConfig = {}): DirectLab {
  return new DirectLab(buildLabSpec({ backend: "netns", labName: `${tag}-${name}`, ...raw }, ctx));
}

/** One packet as `tcpdump -nn -r` prints it: inner addresses, and the outer ones for IPIP and VXLAN. */
interface Packet {
  outer?: { src: string; dst: string; kind: "ipip" | "vxlan" };
  src: string;
  dst: string;
  what: string;
}

const host = (s: string): string => s.split(".").slice(0, 4).join(".");

function readPcap(file: string): Packet[] {
  const text = execFileSync("tcpdump", ["-nn", "-r", file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const packets: Packet[] = [];
  // tcpdump prints a VXLAN packet's inner frame on the line after its outer header.
  let vxlanOuter: { src: string; dst: string } | undefined;
  for (const line of text.split("\n")) {
    const vxlan = /^\S+ IP (\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.4789: VXLAN/.exec(line);
    if (vxlan) {
      vxlanOuter = { src: vxlan[1], dst: vxlan[2] };
      continue;
    }
    const inner = vxlanOuter && /IP (\S+) > (\S+): (.*)$/.exec(line);
    if (vxlanOuter && inner) {
      packets.push({ outer: { ...vxlanOuter, kind: "vxlan" }, src: host(inner[1]), dst: host(inner[2]), what: inner[3] });
      vxlanOuter = undefined;
      continue;
    }
    vxlanOuter = undefined;
    const ipip = /^\S+ IP (\d+\.\d+\.\d+\.\d+) > (\d+\.\d+\.\d+\.\d+): IP (\S+) > (\S+): (.*)$/.exec(line);
    if (ipip) {
      packets.push({ outer: { src: ipip[1], dst: ipip[2], kind: "ipip" }, src: host(ipip[3]), dst: host(ipip[4]), what: ipip[5] });
      continue;
    }
    const plain = /^\S+ IP (\S+) > (\S+): (.*)$/.exec(line);
    if (plain) packets.push({ src: host(plain[1]), dst: host(plain[2]), what: plain[3] });
  }
  return packets;
}

/** What the packets between two pods showed: every one encapsulated between the two nodes, or none. */
function observed(packets: Packet[], client: NodeSpec, server: NodeSpec): { verdict: string; icmp: number; tcp: number } {
  const pair = packets.filter(
    (p) => (p.src === client.pod.ip && p.dst === server.pod.ip) || (p.src === server.pod.ip && p.dst === client.pod.ip),
  );
  const nodes = [client.ip, server.ip].sort().join(" ");
  const between = (kind: "ipip" | "vxlan") => pair.filter((p) => p.outer?.kind === kind && [p.outer.src, p.outer.dst].sort().join(" ") === nodes).length;
  const plain = pair.filter((p) => p.outer === undefined).length;
  const all = pair.length;
  const verdict = all === 0 ? "missing" : between("ipip") === all ? "ipip" : between("vxlan") === all ? "vxlan" : plain === all ? "none" : "mixed";
  return { verdict, icmp: pair.filter((p) => p.what.startsWith("ICMP")).length, tcp: pair.filter((p) => p.what.startsWith("Flags")).length };
}

function routesOf(ns: string): string[] {
  return execFileSync("ip", ["-n", ns, "route", "show"], { encoding: "utf8" }).split("\n");
}

function helperPid(l: DirectLab): number {
  return Number(fs.readFileSync(path.join(l.runDir, TUNL0_HELPER_PID_FILE), "utf8").trim());
}

function nsExec(ns: string, args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

suite("netns backend scripts on this host", () => {
  const pcaps = fs.mkdtempSync(path.join(os.tmpdir(), `netns-test-${tag}-`));
  const labs: DirectLab[] = [];
  const seed = lab("seed");
  labs.push(seed);
  let sixNodes: DirectLab | undefined;

  afterAll(async () => {
    for (const l of labs) await runScript(NETNS_SCRIPTS.down, l.topologyEnv).catch(() => undefined);
    fs.rmSync(pcaps, { recursive: true, force: true });
  });

  async function captureAndJudge(l: DirectLab, client: NodeSpec, server: NodeSpec, modes: PoolModes) {
    const pcap = path.join(pcaps, `${l.spec.name}-${modes.ipipMode}-${modes.vxlanMode}-${client.index}-${server.index}.pcap`);
    const result = await l.capture(client, server, pcap, modes);
    expect(result.ping).toMatch(/^(\d+)\/\1$/);
    expect(result.http).toBe(200);
    return { result, seen: observed(readPcap(pcap), client, server) };
  }

  /** Every node's table holds exactly the model's pool routes, and every session is Established. */
  function expectConverged(l: DirectLab, modes: PoolModes, result: ControlPlaneResult): void {
    for (const dp of expectedDataplane(l.spec, modes)) {
      const ns = nodeNamespace(l.spec, l.spec.nodes[dp.index - 1]);
      expect(routeSetDrift(ns, dp.routes.map(renderRoute), poolRoutes(routesOf(ns), l.spec.podSubnet))).toBeUndefined();
    }
    expect(driftProblems(controlPlanePlan(l.spec, modes), result)).toEqual([]);
    // Each node's sessions are exactly those of the model's BGP graph (the mesh, or reflectors and clients), all up.
    const inModes = withModes(l.spec, modes);
    for (const [i, n] of result.nodes.entries()) {
      const want = bgpSessions(inModes, inModes.nodes[i]).map((p) => p.ip);
      expect({ node: n.name, peers: n.bgpPeers.map((p) => p.peer).sort() }).toEqual({ node: n.name, peers: [...want].sort() });
      expect(n.bgpPeers.every((p) => p.state === "Established")).toBe(true);
    }
  }

  function birdPids(l: DirectLab): number[] {
    return l.spec.nodes.map((n) => Number(fs.readFileSync(path.join(l.runDir, "bird", `n${n.index}.pid`), "utf8").trim()));
  }

  it("up builds the seed lab as Calico would: tunl0, cali veths, pod routes; no pool route before BIRD", async () => {
    const up = await seed.up();
    expect(up.dataplane).toBe(hasKernelIpip ? "kernel-ipip" : "userspace-ipip");
    expect(up.namespaces).toBe(10);
    expect(up.wall).toBeLessThan(5);
    const n1 = seed.spec.nodes[0];
    const ns = nodeNamespace(seed.spec, n1);
    expect(execFileSync("ip", ["-n", ns, "-o", "link", "show", "tunl0"], { encoding: "utf8" })).toMatch(/mtu 1480/);
    expect(execFileSync("ip", ["-n", ns, "-o", "link", "show", "calic220f2ba281"], { encoding: "utf8" })).toMatch(/mtu 1480 .*link\/ether ee:ee:ee:ee:ee:ee/);
    expect(nsExec(ns, ["cat", "/proc/sys/net/ipv4/conf/calic220f2ba281/proxy_arp", "/proc/sys/net/ipv4/neigh/calic220f2ba281/proxy_delay", "/proc/sys/net/ipv4/ip_forward"])).toBe("1\n0\n1\n");
    expect(routesOf(podNamespace(seed.spec, n1))).toContain("default via 169.254.1.1 dev eth0 onlink ");
    expect(routesOf(ns)).toContain(`${n1.pod.ip} dev calic220f2ba281 scope link `);
    expect(routesOf(ns).some((r) => / proto bird/.test(r))).toBe(false);
  });

  it("Always: BIRD's full mesh installs the model's routes on tunl0, and node1's net0 shows IPIP on both paths", async () => {
    const modes = ipipOnly("Always");
    const result = await seed.converge(modes);
    expectConverged(seed, modes, result);
    const n1 = seed.spec.nodes[0];
    expect(execFileSync("ip", ["-n", nodeNamespace(seed.spec, n1), "-o", "addr", "show", "dev", "tunl0"], { encoding: "utf8" })).toContain(`inet ${n1.tunnelIp}/32`);
    const [, n2, n3] = seed.spec.nodes;
    for (const server of [n2, n3]) {
      const { result: capture, seen } = await captureAndJudge(seed, n1, server, modes);
      expect(seen).toMatchObject({ verdict: "ipip" });
      expect(seen.icmp).toBeGreaterThanOrEqual(8);
      expect(seen.tcp).toBeGreaterThan(0);
      expect(capture.routes.client[0]).toMatch(new RegExp(`^${server.pod.ip.replace(/\./g, "\\.")} via ${server.ip.replace(/\./g, "\\.")} dev tunl0`));
    }
  });

  it("CrossSubnet by a new filter and `birdc configure`: no daemon restarts, plain within the subnet, IPIP across", async () => {
    const helper = helperPid(seed);
    const birds = birdPids(seed);
    const modes = ipipOnly("CrossSubnet");
    const result = await seed.converge(modes);
    expect(result.wall).toBeLessThan(3);
    expect(helperPid(seed)).toBe(helper);
    expect(birdPids(seed)).toEqual(birds);
    expectConverged(seed, modes, result);
    const [n1, n2, n3] = seed.spec.nodes;
    const same = await captureAndJudge(seed, n1, n2, modes);
    expect(same.seen.verdict).toBe(expectedEncapsulation(modes, n1, n2));
    expect(same.seen.verdict).toBe("none");
    expect(same.result.routes.client[0]).toMatch(/ via 10\.1\.5\.11 dev net0/);
    expect((await captureAndJudge(seed, n1, n3, modes)).seen.verdict).toBe("ipip");
  });

  it("two captures at once towards one server pod share its HTTP server", async () => {
    const [n1, n2, , n4] = seed.spec.nodes;
    const modes = ipipOnly("CrossSubnet");
    const [a, b] = await Promise.all([captureAndJudge(seed, n1, n4, modes), captureAndJudge(seed, n2, n4, modes)]);
    expect([a.seen.verdict, b.seen.verdict]).toEqual(["ipip", "ipip"]);
    expect(processesMentioning(path.join(seed.runDir, `${podNamespace(seed.spec, n4)}.http`))).toHaveLength(1);
  });

  it("Never: the gateway peers with every node by iBGP, and pod addresses cross it plainly", async () => {
    const modes = ipipOnly("Never");
    const result = await seed.converge(modes);
    expectConverged(seed, modes, result);
    expect(result.gateway?.routes.sort()).toEqual(gatewayRoutes(withModes(seed.spec, modes)).sort());
    expect(result.gateway?.bgpPeers.map((p) => p.state)).toEqual(["Established", "Established", "Established", "Established"]);
    const [n1, n2, n3] = seed.spec.nodes;
    expect((await captureAndJudge(seed, n1, n2, modes)).seen.verdict).toBe("none");
    const cross = await captureAndJudge(seed, n1, n3, modes);
    expect(cross.seen.verdict).toBe("none");
    expect(cross.result.routes.client[0]).toMatch(/ via 10\.1\.5\.1 dev net0/);
  });

  it("VXLAN Always then CrossSubnet: Felix's vxlan.calico, VTEP entries and routes; BIRD keeps the mesh but no pool route", async () => {
    const always = { ipipMode: "Never" as const, vxlanMode: "Always" as const };
    const result = await seed.converge(always);
    expectConverged(seed, always, result);
    expect(result.gateway?.routes).toEqual([]);
    const [n1, n2, n3] = seed.spec.nodes;
    const ns = nodeNamespace(seed.spec, n1);
    const link = execFileSync("ip", ["-n", ns, "-d", "-o", "link", "show", "vxlan.calico"], { encoding: "utf8" });
    expect(link).toMatch(/mtu 1450 /);
    expect(link).toContain(`link/ether ${vxlanMac(n1.name)}`);
    expect(link).toMatch(new RegExp(`vxlan id 4096 local ${n1.ip.replace(/\./g, "\\.")} dev net0 .*dstport 4789 .*nolearning`));
    expect(execFileSync("ip", ["-n", ns, "neigh", "show", "dev", "vxlan.calico"], { encoding: "utf8" })).toContain(`${n2.tunnelIp} lladdr ${vxlanMac(n2.name)} PERMANENT`);
    expect(execFileSync("bridge", ["-n", ns, "fdb", "show", "dev", "vxlan.calico"], { encoding: "utf8" })).toContain(`${vxlanMac(n3.name)} dst ${n3.ip} self permanent`);
    expect(execFileSync("ip", ["-n", ns, "-o", "addr", "show", "dev", "tunl0"], { encoding: "utf8" })).toBe("");
    expect(execFileSync("ip", ["-n", ns, "-o", "link", "show", "calic220f2ba281"], { encoding: "utf8" })).toMatch(/mtu 1450 /);
    expect((await captureAndJudge(seed, n1, n2, always)).seen.verdict).toBe("vxlan");

    const cross = { ipipMode: "Never" as const, vxlanMode: "CrossSubnet" as const };
    expectConverged(seed, cross, await seed.converge(cross));
    expect((await captureAndJudge(seed, n1, n2, cross)).seen.verdict).toBe("none");
    expect((await captureAndJudge(seed, n1, n3, cross)).seen.verdict).toBe("vxlan");
  });

  it("back to Always: nothing of VXLAN is left, and a stale bird route is gone", async () => {
    const ns = nodeNamespace(seed.spec, seed.spec.nodes[0]);
    execFileSync("ip", ["-n", ns, "route", "add", "10.244.9.0/26", "via", "10.1.5.99", "dev", "net0", "proto", "bird"]);
    const modes = ipipOnly("Always");
    expectConverged(seed, modes, await seed.converge(modes));
    expect(routesOf(ns).join("\n")).not.toMatch(/10\.244\.9\.0\/26|proto 80|vxlan/);
    expect(execFileSync("ip", ["-n", ns, "-o", "link", "show"], { encoding: "utf8" })).not.toContain("vxlan.calico");
  });

  it("the drift check catches a wrong filter: BIRD told Always while the model says CrossSubnet fails, listing both sides", async () => {
    const wrong = controlPlanePlan(seed.spec, ipipOnly("CrossSubnet"));
    const always = controlPlanePlan(seed.spec, ipipOnly("Always"));
    const plan = { ...wrong, timeoutSeconds: 4, nodes: wrong.nodes.map((n, i) => ({ ...n, bird: always.nodes[i].bird })) };
    await expect(seed.controlPlane(ipipOnly("CrossSubnet"), plan)).rejects.toThrow(
      /did not reach what the modes need[\s\S]*model expects, table lacks: 10\.244\.0\.64\/26 via 10\.1\.5\.11 dev net0 proto bird[\s\S]*table has, model does not: 10\.244\.0\.64\/26 via 10\.1\.5\.11 dev tunl0 proto bird onlink/,
    );
    expectConverged(seed, ipipOnly("Always"), await seed.converge(ipipOnly("Always")));
  });

  it("a BIRD that exits at start fails the step at once, with the end of its log", async () => {
    const plan = controlPlanePlan(seed.spec, ipipOnly("Always"));
    // Parses (bird -p) but cannot start: its log file's folder does not exist.
    const broken = { ...plan, nodes: plan.nodes.map((n, i) => (i === 0 ? { ...n, bird: n.bird.replace("log stderr all;", 'log "/nonexistent-calico-ipip-lab/x.log" all;') } : n)) };
    const n1 = nodeNamespace(seed.spec, seed.spec.nodes[0]);
    process.kill(birdPids(seed)[0], "SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    await expect(seed.controlPlane(ipipOnly("Always"), broken)).rejects.toThrow(new RegExp(`the BIRD of ${n1} exited; its log ends:[\\s\\S]*Unable to open log file`));
    expect(Date.now() - started).toBeLessThan(10000);
    expectConverged(seed, ipipOnly("Always"), await seed.converge(ipipOnly("Always")));
  });

  it("a node's BIRD stopped by PID: its block is withdrawn elsewhere, a capture to it fails, and the next run repairs it", async () => {
    const modes = ipipOnly("Always");
    const [n1, n2] = seed.spec.nodes;
    process.kill(birdPids(seed)[1], "SIGTERM");
    const ns1 = nodeNamespace(seed.spec, n1);
    const deadline = Date.now() + 10000;
    while (routesOf(ns1).some((r) => r.startsWith(n2.block)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(routesOf(ns1).some((r) => r.startsWith(n2.block))).toBe(false);
    // Without a route to the block, node1 sends towards its default gateway, which has none either.
    await expect(seed.capture(n1, n2, path.join(pcaps, "withdrawn.pcap"), modes)).rejects.toThrow(
      new RegExp(`ping failed for pod-0 .* -> pod-1 [\\s\\S]*route on ${nodeNamespace(seed.spec, n1)}: 10\\.244\\.0\\.65 via 10\\.1\\.5\\.1 dev net0`),
    );
    const repaired = await seed.converge(modes);
    expectConverged(seed, modes, repaired);
    expect((await captureAndJudge(seed, n1, n2, modes)).seen.verdict).toBe("ipip");
  });

  it.each([ipipOnly("Always"), ipipOnly("CrossSubnet"), ipipOnly("Never"), { ipipMode: "Never" as const, vxlanMode: "CrossSubnet" as const }])(
    "a second lab (3 subnets, 6 nodes) beside the first converges in %o and every pod reaches every other",
    async (modes) => {
      const six = sixNodes ?? lab("six", { topology: { subnets: THREE_SUBNETS }, scenarios: [{ name: "a", client: 1, server: 5 }] });
      if (sixNodes === undefined) {
        labs.push(six);
        expect((await six.up()).nodes).toBe(6);
        sixNodes = six;
      }
      expectConverged(six, modes, await six.converge(modes));
      const nodes = six.spec.nodes;
      for (const [c, s] of [[0, 1], [0, 2], [0, 4], [5, 0], [5, 4], [3, 1]]) {
        nsExec(podNamespace(six.spec, nodes[c]), ["ping", "-n", "-c", "1", "-W", "2", nodes[s].pod.ip]);
      }
      expect((await captureAndJudge(six, nodes[0], nodes[4], modes)).seen.verdict).toBe(expectedEncapsulation(modes, nodes[0], nodes[4]));
      // The seed lab, built from the same addresses, still works beside it.
      nsExec(podNamespace(seed.spec, seed.spec.nodes[0]), ["ping", "-n", "-c", "1", "-W", "2", seed.spec.nodes[3].pod.ip]);
    },
  );

  it("route reflectors (nodes 1 and 3, CrossSubnet): a client peers with exactly the two, the routes are the mesh's, the captures as in CrossSubnet", async () => {
    const rr = lab("rr", { ipipMode: "CrossSubnet", bgp: { routeReflectors: [1, 3] } });
    labs.push(rr);
    await rr.up();
    const modes = ipipOnly("CrossSubnet");
    const result = await rr.converge(modes);
    expectConverged(rr, modes, result);
    const [n1, n2, n3] = rr.spec.nodes;
    expect(result.nodes[1].bgpPeers.map((p) => p.peer)).toEqual([n1.ip, n3.ip]);
    expect(result.nodes[0].bgpPeers.map((p) => p.peer)).toEqual(rr.spec.nodes.filter((n) => n !== n1).map((n) => n.ip));
    // Reflected routes keep the originating node as next hop: the tables equal the mesh's.
    expect(controlPlanePlan(rr.spec).nodes.map((n) => n.routes)).toEqual(controlPlanePlan(withModes({ ...rr.spec, bgp: { ...rr.spec.bgp, routeReflectors: [] } }, modes)).nodes.map((n) => n.routes));
    expect((await captureAndJudge(rr, n2, n1, modes)).seen.verdict).toBe("none");
    expect((await captureAndJudge(rr, n2, n3, modes)).seen.verdict).toBe("ipip");
    await rr.down();
  });

  it("48 nodes in 6 subnets with two reflectors converge and pass their captures", async () => {
    const subnets = [1, 2, 3, 4, 5, 6].map((k) => ({ cidr: `10.2.${k}.0/24`, gateway: `10.2.${k}.1`, nodes: [10, 11, 12, 13, 14, 15, 16, 17].map((h) => `10.2.${k}.${h}`) }));
    const big = lab("rr48", { ipipMode: "CrossSubnet", topology: { subnets }, bgp: { routeReflectors: [1, 25] } });
    labs.push(big);
    await big.up();
    // Past the neighbour budget: each node holds its 7 segment peers and the gateway permanently, ARP adds nothing.
    const neighbours = nsExec(nodeNamespace(big.spec, big.spec.nodes[9]), ["ip", "neigh", "show", "dev", "net0"]).trim().split("\n").map((l) => l.trim());
    expect(neighbours).toHaveLength(8);
    expect(neighbours.every((l) => l.endsWith(" PERMANENT"))).toBe(true);
    const modes = ipipOnly("CrossSubnet");
    const result = await big.converge(modes);
    expectConverged(big, modes, result);
    expect(nsExec(nodeNamespace(big.spec, big.spec.nodes[9]), ["ip", "neigh", "show", "dev", "net0"]).trim().split("\n").map((l) => l.trim())).toEqual(neighbours);
    expect(result.nodes[47].bgpPeers.map((p) => p.peer)).toEqual([big.spec.nodes[0].ip, big.spec.nodes[24].ip]);
    // Listen queues: n1 (the lowest address) is connected to by all 47 others, n25 by the
    // 23 above it; a client, connected to by one reflector at most, keeps BIRD's 8.
    const listenQueue = (i: number): string => nsExec(nodeNamespace(big.spec, big.spec.nodes[i]), ["ss", "-Hltn", "sport = :179"]).trim().split(/\s+/)[2];
    expect([0, 24, 9].map(listenQueue)).toEqual(["47", "23", "8"]);
    const n = big.spec.nodes;
    expect((await captureAndJudge(big, n[1], n[2], modes)).seen.verdict).toBe("none");
    expect((await captureAndJudge(big, n[1], n[40], modes)).seen.verdict).toBe("ipip");
    expect((await captureAndJudge(big, n[47], n[8], modes)).seen.verdict).toBe("ipip");
    await big.down();
  });

  it("up converges after a run killed midway, and removes what it built when it fails", async () => {
    const again = lab("kill");
    labs.push(again);
    const child = spawn("bash", [NETNS_SCRIPTS.up], { env: { ...process.env, ...again.topologyEnv }, stdio: ["pipe", "ignore", "ignore"] });
    child.stdin.end(again.topology.stdin);
    const probe = path.join(again.runDir, "tunl0.log");
    const deadline = Date.now() + 10000;
    while (!fs.existsSync(probe) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    const killedMidway = child.exitCode === null;
    child.kill("SIGKILL");
    await new Promise((r) => child.once("close", r));
    expect(killedMidway).toBe(true);
    const up = await again.up();
    expect(up.namespaces).toBe(10);
    await again.converge(ipipOnly("Always"));
    nsExec(podNamespace(again.spec, again.spec.nodes[0]), ["ping", "-n", "-c", "1", "-W", "2", again.spec.nodes[2].pod.ip]);
    // The tunl0 helper and a BIRD per node.
    expect(processesMentioning(again.runDir + "/")).toHaveLength(5);

    const broken = lab("fail");
    labs.push(broken);
    // A gateway outside node 4's subnet: its `route add default via` fails in phase 4.
    const stdin = broken.topology.stdin.replace(/(=\S+-n4\n(?:.*\n)*?route add default via )10\.1\.8\.1 /, "$110.9.9.9 ");
    expect(stdin).not.toBe(broken.topology.stdin);
    const failed = await runScript(NETNS_SCRIPTS.up, broken.topologyEnv, { stdin });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/removing what it built/);
    expect(broken.leftovers()).toEqual({ namespaces: [], runDir: false, processes: [] });
  });

  (hasKernelIpip ? it.skip : it)("the one tunl0 helper drops a node whose namespace goes, and exits when none is left or another helper is recorded", async () => {
    const waitFor = async (what: string, ok: () => boolean): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const running = (pid: number): boolean => fs.existsSync(`/proc/${pid}`) && !/\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    const orphaned = lab("orphan");
    labs.push(orphaned);
    await orphaned.up();
    const pid = helperPid(orphaned);
    const log = (): string => fs.readFileSync(path.join(orphaned.runDir, "tunl0.log"), "utf8");
    const [first, ...rest] = orphaned.spec.nodes.map((n) => nodeNamespace(orphaned.spec, n));
    execFileSync("ip", ["netns", "del", first]);
    await waitFor(`the helper logs that it dropped ${first}`, () => log().includes(`]: ${first}: its namespace was deleted or re-created: no longer served`));
    expect(running(pid)).toBe(true);
    for (const ns of rest) execFileSync("ip", ["netns", "del", ns]);
    await waitFor("the helper exits with its last node", () => !running(pid));
    expect(log()).toContain("no node's namespace is left: exiting");

    const replaced = lab("replaced");
    labs.push(replaced);
    await replaced.up();
    const before = helperPid(replaced);
    fs.writeFileSync(path.join(replaced.runDir, TUNL0_HELPER_PID_FILE), `${process.pid}\n`);
    await waitFor("the helper exits once the pid file names another process", () => !running(before));
  });

  it("down is fast, can run twice, and leaves no namespace, process or run dir of any lab", async () => {
    const first = await seed.down();
    expect(first.removedNamespaces).toBe(10);
    expect(first.wall).toBeLessThan(1);
    expect((await seed.down()).removedNamespaces).toBe(0);
    for (const l of labs) {
      await l.down();
      await l.down();
      expect({ lab: l.spec.name, ...l.leftovers() }).toEqual({ lab: l.spec.name, namespaces: [], runDir: false, processes: [] });
    }
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(`${tag}-`);
  });
});

