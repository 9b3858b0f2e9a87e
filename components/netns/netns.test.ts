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
import { buildLabSpec, RawLabConfig } from "../../lab/config";
import { diffRoutes, expectedDataplane } from "../../lab/dataplane";
import { expectedEncapsulation, ipipOnly } from "../../lab/expect";
import { IpipMode, NodeSpec } from "../../lab/spec";
import { DirectLab, processesMentioning, runScript } from "./direct";
import { NETNS_SCRIPTS, nodeNamespace, podNamespace } from "./plan";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const suite = isRoot ? describe : describe.skip;
if (!isRoot) console.warn("components/netns/netns.test.ts needs root (network namespaces): skipped");

const tag = `t${process.pid}`;
const ctx = { stack: "test", cwd: process.cwd() };
const hasKernelIpip = fs.existsSync("/sys/module/ipip");

function lab(name: string, raw: RawLabConfig = {}): DirectLab {
  return new DirectLab(buildLabSpec({ backend: "netns", labName: `${tag}-${name}`, ...raw }, ctx));
}

/** One packet as `tcpdump -nn -r` prints it: inner addresses, and the outer ones for IPIP. */
interface Packet {
  outer?: { src: string; dst: string };
  src: string;
  dst: string;
  what: string;
}

const host = (s: string): string => s.split(".").slice(0, 4).join(".");

function readPcap(file: string): Packet[] {
  const text = execFileSync("tcpdump", ["-nn", "-r", file], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  const packets: Packet[] = [];
  for (const line of text.split("\n")) {
    const ipip = /^\S+ IP (\d+\.\d+\.\d+\.\d+) > (\d+\.\d+\.\d+\.\d+): IP (\S+) > (\S+): (.*)$/.exec(line);
    if (ipip) {
      packets.push({ outer: { src: ipip[1], dst: ipip[2] }, src: host(ipip[3]), dst: host(ipip[4]), what: ipip[5] });
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
  const ipip = pair.filter((p) => p.outer !== undefined && [p.outer.src, p.outer.dst].sort().join(" ") === nodes);
  const plain = pair.filter((p) => p.outer === undefined);
  const verdict = pair.length === 0 ? "missing" : ipip.length === pair.length ? "ipip" : plain.length === pair.length ? "none" : "mixed";
  return { verdict, icmp: pair.filter((p) => p.what.startsWith("ICMP")).length, tcp: pair.filter((p) => p.what.startsWith("Flags")).length };
}

function routesOf(ns: string): string[] {
  return execFileSync("ip", ["-n", ns, "route", "show"], { encoding: "utf8" }).split("\n");
}

function helperPids(l: DirectLab): number[] {
  return l.spec.nodes.map((n) => Number(fs.readFileSync(path.join(l.runDir, `${nodeNamespace(l.spec, n)}.tunl0.pid`), "utf8").trim()));
}

function nsExec(ns: string, args: string[]): string {
  return execFileSync("ip", ["netns", "exec", ns, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

suite("netns backend scripts on this host", () => {
  const pcaps = fs.mkdtempSync(path.join(os.tmpdir(), `netns-test-${tag}-`));
  const labs: DirectLab[] = [];
  const seed = lab("seed");
  labs.push(seed);

  afterAll(async () => {
    for (const l of labs) await runScript(NETNS_SCRIPTS.down, l.topologyEnv).catch(() => undefined);
    fs.rmSync(pcaps, { recursive: true, force: true });
  });

  async function captureAndJudge(l: DirectLab, client: NodeSpec, server: NodeSpec, mode: IpipMode, extra: Record<string, string> = {}) {
    const pcap = path.join(pcaps, `${l.spec.name}-${mode}-${client.index}-${server.index}.pcap`);
    const result = await l.capture(client, server, pcap, ipipOnly(mode), extra);
    expect(result.pcap).toBe(pcap);
    expect(result.ping).toMatch(/^(\d+)\/\1$/);
    expect(result.http).toBe(200);
    return { result, seen: observed(readPcap(pcap), client, server) };
  }

  function expectRoutesMatch(l: DirectLab, mode: IpipMode): void {
    for (const dp of expectedDataplane(l.spec, ipipOnly(mode))) {
      const ns = nodeNamespace(l.spec, l.spec.nodes[dp.index - 1]);
      expect({ ns, ...diffRoutes(dp.routes, routesOf(ns)) }).toEqual({ ns, missing: [], unexpected: [] });
    }
  }

  it("up builds the seed lab as Calico would: tunl0, cali veths, pod routes", async () => {
    const up = await seed.up();
    expect(up.dataplane).toBe(hasKernelIpip ? "kernel-ipip" : "userspace-ipip");
    expect(up.namespaces).toBe(10);
    expect(up.wall).toBeLessThan(5);
    const n1 = seed.spec.nodes[0];
    const ns = nodeNamespace(seed.spec, n1);
    expect(execFileSync("ip", ["-n", ns, "-o", "link", "show", "tunl0"], { encoding: "utf8" })).toMatch(/mtu 1480/);
    expect(execFileSync("ip", ["-n", ns, "-o", "addr", "show", "dev", "tunl0"], { encoding: "utf8" })).toContain(`inet ${n1.tunnelIp}/32`);
    expect(execFileSync("ip", ["-n", ns, "-o", "link", "show", "calic220f2ba281"], { encoding: "utf8" })).toMatch(/mtu 1480 .*link\/ether ee:ee:ee:ee:ee:ee/);
    expect(nsExec(ns, ["cat", "/proc/sys/net/ipv4/conf/calic220f2ba281/proxy_arp", "/proc/sys/net/ipv4/neigh/calic220f2ba281/proxy_delay", "/proc/sys/net/ipv4/ip_forward"])).toBe("1\n0\n1\n");
    expect(routesOf(podNamespace(seed.spec, n1))).toContain("default via 169.254.1.1 dev eth0 onlink ");
    expect(routesOf(ns)).toEqual(expect.arrayContaining([`blackhole ${n1.block} proto bird `, `${n1.pod.ip} dev calic220f2ba281 scope link `]));
    expect(routesOf(ns).some((r) => / via .* dev tunl0/.test(r))).toBe(false);
  });

  it("Always: routes are the expected data plane, and node1's net0 shows IPIP between node addresses on both paths", async () => {
    const routes = await seed.routes(ipipOnly("Always"));
    expect(routes).toMatchObject({ mode: "Always", nodes: 4, routes: 20 });
    expectRoutesMatch(seed, "Always");
    const [n1, n2, n3] = seed.spec.nodes;
    for (const server of [n2, n3]) {
      const { result, seen } = await captureAndJudge(seed, n1, server, "Always");
      expect(seen).toMatchObject({ verdict: "ipip" });
      expect(seen.icmp).toBeGreaterThanOrEqual(8);
      expect(seen.tcp).toBeGreaterThan(0);
      expect(result.routes.client[0]).toMatch(new RegExp(`^${server.pod.ip.replace(/\./g, "\\.")} via ${server.ip.replace(/\./g, "\\.")} dev tunl0`));
      expect(result.routes.server[0]).toMatch(/dev tunl0/);
    }
  });

  it("CrossSubnet by routes.sh alone, in under a second: plain within the subnet, IPIP across", async () => {
    const before = helperPids(seed);
    const routes = await seed.routes(ipipOnly("CrossSubnet"));
    expect(routes.wall).toBeLessThan(1);
    expect(helperPids(seed)).toEqual(before);
    expectRoutesMatch(seed, "CrossSubnet");
    const [n1, n2, n3] = seed.spec.nodes;
    const same = await captureAndJudge(seed, n1, n2, "CrossSubnet", { NETNS_HTTP_CLIENT: "python" });
    expect(same.seen.verdict).toBe(expectedEncapsulation(ipipOnly("CrossSubnet"), n1, n2));
    expect(same.seen.verdict).toBe("none");
    expect(same.result.routes.client[0]).toMatch(/ via 10\.1\.5\.11 dev net0/);
    const cross = await captureAndJudge(seed, n1, n3, "CrossSubnet");
    expect(cross.seen.verdict).toBe("ipip");
  });

  it("two captures at once towards one server pod share its HTTP server", async () => {
    const [n1, n2, , n4] = seed.spec.nodes;
    const [a, b] = await Promise.all([captureAndJudge(seed, n1, n4, "CrossSubnet"), captureAndJudge(seed, n2, n4, "CrossSubnet")]);
    expect([a.seen.verdict, b.seen.verdict]).toEqual(["ipip", "ipip"]);
    expect(processesMentioning(path.join(seed.runDir, `${podNamespace(seed.spec, n4)}.http.pid`))).toHaveLength(1);
  });

  it("back to Always: the other mode's routes and a stale bird route are gone", async () => {
    const ns = nodeNamespace(seed.spec, seed.spec.nodes[0]);
    execFileSync("ip", ["-n", ns, "route", "add", "10.244.9.0/26", "via", "10.1.5.99", "dev", "net0", "proto", "bird"]);
    await seed.routes(ipipOnly("Always"));
    expectRoutesMatch(seed, "Always");
    expect(routesOf(ns).join("\n")).not.toContain("10.244.9.0/26");
  });

  it("a second lab (3 subnets, 6 nodes, CrossSubnet) coexists with the first and every pod reaches every other", async () => {
    const six = lab("six", {
      ipipMode: "CrossSubnet",
      topology: {
        subnets: [
          { cidr: "10.1.5.0/24", gateway: "10.1.5.1", nodes: ["10.1.5.10", "10.1.5.11"] },
          { cidr: "10.1.8.0/24", gateway: "10.1.8.1", nodes: ["10.1.8.10", "10.1.8.11"] },
          { cidr: "10.1.9.0/28", gateway: "10.1.9.1", nodes: ["10.1.9.2", "10.1.9.3"] },
        ],
      },
      scenarios: [{ name: "a", client: 1, server: 5 }],
    });
    labs.push(six);
    expect((await six.up()).nodes).toBe(6);
    await six.routes(ipipOnly("CrossSubnet"));
    expectRoutesMatch(six, "CrossSubnet");
    const nodes = six.spec.nodes;
    for (const [c, s] of [[0, 1], [0, 2], [0, 3], [0, 4], [0, 5], [5, 0], [5, 4], [3, 1]]) {
      nsExec(podNamespace(six.spec, nodes[c]), ["ping", "-n", "-c", "1", "-W", "2", nodes[s].pod.ip]);
    }
    expect((await captureAndJudge(six, nodes[4], nodes[5], "CrossSubnet")).seen.verdict).toBe("none");
    expect((await captureAndJudge(six, nodes[0], nodes[4], "CrossSubnet")).seen.verdict).toBe("ipip");
    // The seed lab, built from the same addresses, still works beside it.
    nsExec(podNamespace(seed.spec, seed.spec.nodes[0]), ["ping", "-n", "-c", "1", "-W", "2", seed.spec.nodes[3].pod.ip]);
  });

  it("up converges after a run killed midway, and removes what it built when it fails", async () => {
    const again = lab("kill");
    labs.push(again);
    const child = spawn("bash", [NETNS_SCRIPTS.up], { env: { ...process.env, ...again.topologyEnv }, stdio: "ignore" });
    const probe = path.join(again.runDir, `${nodeNamespace(again.spec, again.spec.nodes[0])}.tunl0.log`);
    const deadline = Date.now() + 10000;
    while (!fs.existsSync(probe) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    const killedMidway = child.exitCode === null;
    child.kill("SIGKILL");
    await new Promise((r) => child.once("close", r));
    expect(killedMidway).toBe(true);
    const up = await again.up();
    expect(up.namespaces).toBe(10);
    await again.routes(ipipOnly("Always"));
    nsExec(podNamespace(again.spec, again.spec.nodes[0]), ["ping", "-n", "-c", "1", "-W", "2", again.spec.nodes[2].pod.ip]);
    expect(processesMentioning(again.runDir + "/")).toHaveLength(4);

    const broken = lab("fail");
    labs.push(broken);
    // A gateway outside the node's subnet: `route add default via` fails in phase 4.
    const env = { ...broken.topologyEnv, NETNS_NODES: broken.topologyEnv.NETNS_NODES.replace(" 10.1.8.1 10.244.0.192", " 10.9.9.9 10.244.0.192") };
    const failed = await runScript(NETNS_SCRIPTS.up, env);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/removing what it built/);
    expect(broken.leftovers()).toEqual({ namespaces: [], runDir: false, processes: [] });
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

