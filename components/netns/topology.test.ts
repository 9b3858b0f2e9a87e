import { buildLabSpec } from "../../model/config";
import { nodeCaliName } from "../../model/dataplane";
import { addressMac, LEARNED_NEIGHBOUR_BUDGET, learnedNeighbours, parseUpOutput, topologyDigest, topologyInvocation, topologyPlan } from "./topology";

const ctx = { stack: "ipip", cwd: "/work/lab" };
const seed = buildLabSpec({ backend: "netns" }, ctx);

describe("the topology up.sh applies", () => {
  const inv = topologyInvocation(seed);
  const plan = topologyPlan(seed);
  const batch = (ns: string) => plan.batches.find((b) => b.ns === ns)?.lines;

  it("names every namespace, the nodes that get a tunl0, and tunl0's MTU in the environment", () => {
    expect(inv.environment).toEqual({
      NETNS_LAB: "calico-ipip",
      NETNS_RUN_DIR: "/run/calico-ipip-lab/calico-ipip",
      NETNS_UNDERLAY: "calico-ipip-ul",
      NETNS_TUNL0: "auto",
      NETNS_TUNL0_MTU: "1480",
      NETNS_NAMESPACES: ["ul", "gw0", "n1", "n2", "n3", "n4", "p1", "p2", "p3", "p4"].map((s) => `calico-ipip-${s}`).join("\n"),
      NETNS_TUNL0_NODES: "calico-ipip-n1 10.1.5.10\ncalico-ipip-n2 10.1.5.11\ncalico-ipip-n3 10.1.8.10\ncalico-ipip-n4 10.1.8.11",
    });
  });

  it("wires each segment's bridge to the router, each node to its bridge and each pod to its node", () => {
    expect(plan.links.slice(0, 3)).toEqual([
      "link add br-ipip0 mtu 1500 type bridge forward_delay 0 stp_state 0 mcast_snooping 0",
      "link add br-ipip0-net0 mtu 1500 type veth peer name eth1 netns calico-ipip-gw0 mtu 1500 address 02:00:0a:01:05:01",
      "link set br-ipip0-net0 master br-ipip0",
    ]);
    expect(plan.links).toContain("link add br-ipip1-net1 mtu 1500 type veth peer name net0 netns calico-ipip-n3 mtu 1500 address 02:00:0a:01:08:0a");
    expect(plan.links).toContain(`link add califbd243bfedd netns calico-ipip-n3 mtu 1480 address ee:ee:ee:ee:ee:ee type veth peer name eth0 netns calico-ipip-p3 mtu 1480 address ${addressMac(seed.nodes[2].pod.ip)}`);
    expect(plan.links).toHaveLength(2 * 3 + 4 * 3);
  });

  it("gives every namespace its addresses and routes, in the order ip needs them", () => {
    expect(batch("calico-ipip-gw0")).toEqual(["link set lo up", "address add 10.1.5.1/24 dev eth1", "link set eth1 up", "address add 10.1.8.1/24 dev eth2", "link set eth2 up"]);
    expect(batch("calico-ipip-n3")).toEqual([
      "link set lo up",
      "address add 10.1.8.10/24 dev net0",
      "link set net0 up",
      "route add default via 10.1.8.1 dev net0",
      "link set califbd243bfedd up",
      "route replace 10.244.0.129 dev califbd243bfedd scope link",
    ]);
    expect(batch("calico-ipip-p3")).toEqual(["link set lo up", "address add 10.244.0.129/32 dev eth0", "link set eth0 up", "route add default via 169.254.1.1 dev eth0 onlink"]);
    expect(plan.batches.map((b) => b.ns)).toEqual(plan.namespaces);
  });

  it("sets the sysctls grouped by namespace: no IPv6, forwarding, Felix's cali settings", () => {
    const of = (ns: string) => plan.sysctls.filter((l) => l.startsWith(`${ns} `)).map((l) => l.slice(ns.length + 1));
    expect(of("calico-ipip-p1")).toEqual(["net.ipv6.conf.all.disable_ipv6 1", "net.ipv6.conf.default.disable_ipv6 1"]);
    expect(of("calico-ipip-n1")).toEqual(
      expect.arrayContaining(["net.ipv4.ip_forward 1", "net.ipv4.conf.net0.rp_filter 0", "net.ipv4.conf.calic220f2ba281.rp_filter 1", "net.ipv4.conf.calic220f2ba281.proxy_arp 1", "net.ipv4.neigh.calic220f2ba281.proxy_delay 0"]),
    );
    expect(of("calico-ipip-ul")).not.toContain("net.ipv4.ip_forward 1");
    const order = plan.sysctls.map((l) => l.split(" ")[0]).filter((ns, i, all) => ns !== all[i - 1]);
    expect(order).toEqual(plan.namespaces);
  });

  it("hands up.sh its sections on stdin, each after its =NAME line", () => {
    const sections = inv.stdin.split("\n").filter((l) => l.startsWith("="));
    expect(sections).toEqual(["=links", "=sysctl", ...plan.namespaces.map((ns) => `=${ns}`)]);
    expect(inv.stdin).toContain("=calico-ipip-p3\nlink set lo up\naddress add 10.244.0.129/32 dev eth0\n");
    expect(inv.stdin.endsWith("onlink\n")).toBe(true);
  });

  it("holds no IPIP mode: switching the mode leaves the topology (and its digest) unchanged", () => {
    const cross = buildLabSpec({ backend: "netns", ipipMode: "CrossSubnet" }, ctx);
    expect(topologyInvocation(cross)).toEqual(inv);
    expect(topologyDigest(topologyInvocation(cross))).toBe(topologyDigest(inv));
    expect(JSON.stringify(inv)).not.toMatch(/Always|CrossSubnet/);
  });

  it("changes its digest when the topology changes, in the environment or on stdin", () => {
    const other = buildLabSpec({ backend: "netns", mtu: 9000 }, ctx);
    expect(topologyDigest(topologyInvocation(other))).not.toBe(topologyDigest(inv));
    expect(topologyDigest({ ...inv, stdin: `${inv.stdin}link set lo up\n` })).not.toBe(topologyDigest(inv));
    expect(topologyDigest(topologyInvocation(seed, { tunl0: "userspace" }))).not.toBe(topologyDigest(inv));
  });

  it("leaves the seed lab's neighbours to ARP: its captures show it, as on Calico nodes", () => {
    expect(learnedNeighbours(seed)).toBe(2 * (3 * 2) + 2 * 4);
    expect(plan.permanentNeighbours).toBe(false);
    expect(plan.batches.flatMap((b) => b.lines).filter((l) => l.startsWith("neigh "))).toEqual([]);
  });

  it("gives a lab past the neighbour budget permanent entries: every segment peer and the gateway, the pod, and the pod's gateway", () => {
    const subnets = Array.from({ length: 8 }, (_, s) => ({ cidr: `10.${s + 1}.0.0/24`, gateway: `10.${s + 1}.0.1`, nodes: Array.from({ length: 8 }, (_, k) => `10.${s + 1}.0.${k + 10}`) }));
    const big = buildLabSpec({ backend: "netns", labName: "big", topology: { subnets } }, ctx);
    expect(learnedNeighbours(big)).toBe(8 * 9 * 8 + 2 * 64);
    expect(learnedNeighbours(big)).toBeGreaterThan(LEARNED_NEIGHBOUR_BUDGET);
    const bigPlan = topologyPlan(big);
    expect(bigPlan.permanentNeighbours).toBe(true);
    const lines = (ns: string) => bigPlan.batches.find((b) => b.ns === ns)?.lines.filter((l) => l.startsWith("neigh ")) ?? [];
    const node = big.nodes[9]; // 10.2.0.11, the second node of the second subnet
    expect(node.ip).toBe("10.2.0.11");
    const onNet0 = lines("big-n10").filter((l) => l.endsWith(" dev net0 nud permanent"));
    expect(onNet0).toHaveLength(1 + 7);
    expect(onNet0).toContain("neigh replace 10.2.0.1 lladdr 02:00:0a:02:00:01 dev net0 nud permanent");
    expect(onNet0).toContain("neigh replace 10.2.0.10 lladdr 02:00:0a:02:00:0a dev net0 nud permanent");
    expect(onNet0.some((l) => l.includes(` ${node.ip} `) || l.includes(" 10.1.0."))).toBe(false);
    expect(lines("big-n10")).toContain(`neigh replace ${node.pod.ip} lladdr ${addressMac(node.pod.ip)} dev ${nodeCaliName(node)} nud permanent`);
    expect(lines("big-p10")).toEqual(["neigh replace 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent"]);
    expect(lines("big-gw0")).toHaveLength(64);
    expect(lines("big-gw0")).toContain("neigh replace 10.2.0.11 lladdr 02:00:0a:02:00:0b dev eth2 nud permanent");
    // Each MAC a permanent entry names is the one its interface is given.
    for (const l of bigPlan.batches.flatMap((b) => b.lines).filter((x) => x.startsWith("neigh ") && !x.includes(" 169.254.1.1 "))) {
      const [, , ip, , mac] = l.split(" ");
      expect(bigPlan.links.some((x) => x.endsWith(` address ${mac}`))).toBe(true);
      expect(mac).toBe(addressMac(ip));
    }
  });

  it("reads up.sh's JSON line and rejects anything else", () => {
    const line = '{"lab":"x","dataplane":"userspace-ipip","runDir":"/run/calico-ipip-lab/x","namespaces":10,"nodes":4,"seconds":0.8,"createdAt":"t"}';
    expect(parseUpOutput(`progress\n${line}\n`).dataplane).toBe("userspace-ipip");
    expect(() => parseUpOutput("oops")).toThrow(/not JSON/);
    expect(() => parseUpOutput('{"dataplane":"calico"}')).toThrow(/kernel-ipip or userspace-ipip/);
  });
});
