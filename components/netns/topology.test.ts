import { buildLabSpec } from "../../lab/config";
import { parseUpOutput, topologyDigest, topologyEnvironment } from "./topology";

const ctx = { stack: "ipip", cwd: "/work/lab" };
const seed = buildLabSpec({ backend: "netns" }, ctx);

describe("topologyEnvironment", () => {
  const env = topologyEnvironment(seed);

  it("tables the segments and the nodes for up.sh", () => {
    expect(env.NETNS_SUBNETS).toBe("br-ipip0 eth1 10.1.5.1 24\nbr-ipip1 eth2 10.1.8.1 24");
    expect(env.NETNS_NODES.split("\n")[2]).toBe(
      "calico-ipip-n3 br-ipip1 br-ipip1-net1 10.1.8.10 24 10.1.8.1 calico-ipip-p3 10.244.0.129 califbd243bfedd",
    );
    expect(env.NETNS_RUN_DIR).toBe("/run/calico-ipip-lab/calico-ipip");
    expect(env.NETNS_MTU).toBe("1500");
  });

  it("holds no IPIP mode: switching the mode leaves the topology (and its digest) unchanged", () => {
    const cross = buildLabSpec({ backend: "netns", ipipMode: "CrossSubnet" }, ctx);
    expect(topologyEnvironment(cross)).toEqual(env);
    expect(topologyDigest(topologyEnvironment(cross))).toBe(topologyDigest(env));
    expect(JSON.stringify(env)).not.toMatch(/Always|CrossSubnet/);
  });

  it("changes its digest when the topology changes", () => {
    const other = buildLabSpec({ backend: "netns", mtu: 9000 }, ctx);
    expect(topologyDigest(topologyEnvironment(other))).not.toBe(topologyDigest(env));
  });

  it("reads up.sh's JSON line and rejects anything else", () => {
    const line = '{"lab":"x","dataplane":"userspace-ipip","runDir":"/run/calico-ipip-lab/x","namespaces":10,"nodes":4,"seconds":0.8,"createdAt":"t"}';
    expect(parseUpOutput(`progress\n${line}\n`).dataplane).toBe("userspace-ipip");
    expect(() => parseUpOutput("oops")).toThrow(/not JSON/);
    expect(() => parseUpOutput('{"dataplane":"calico"}')).toThrow(/kernel-ipip or userspace-ipip/);
  });
});
