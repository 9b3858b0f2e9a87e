import { spawnSync } from "child_process";
import * as path from "path";
import { buildLabSpec } from "../../model/config";
import { labPods, NETNS_ASSETS, NETNS_SCRIPTS, netnsNames } from "./names";
import { netnsCaptureTargets } from "./capture";

const ctx = { stack: "ipip", cwd: "/work/lab" };
const seed = buildLabSpec({ backend: "netns" }, ctx);

describe("netns names", () => {
  it("derives every namespace from the lab name", () => {
    expect(netnsNames(seed)).toEqual({
      underlay: "calico-ipip-ul",
      router: "calico-ipip-gw0",
      nodes: ["calico-ipip-n1", "calico-ipip-n2", "calico-ipip-n3", "calico-ipip-n4"],
      pods: ["calico-ipip-p1", "calico-ipip-p2", "calico-ipip-p3", "calico-ipip-p4"],
    });
  });

  it("refuses a router name that would clash with the lab's own namespaces, naming the key", () => {
    const clash = buildLabSpec({ backend: "netns", topology: { router: { name: "n2" }, subnets: seed.subnets.map((s) => ({ cidr: s.cidr, gateway: s.gateway, nodes: s.nodes.map((n) => n.ip) })) } }, ctx);
    expect(() => netnsNames(clash)).toThrow(/topology.router.name: "n2" is not valid on the netns backend/);
  });
});

describe("the names a capture and the outputs use", () => {
  it("names the namespaces and pods of both ends", () => {
    const [n1, , n3] = seed.nodes;
    expect(netnsCaptureTargets(seed, n1, n3)).toEqual({
      NETNS_LAB: "calico-ipip",
      NETNS_RUN_DIR: "/run/calico-ipip-lab/calico-ipip",
      CLIENT_NODE_NS: "calico-ipip-n1",
      SERVER_NODE_NS: "calico-ipip-n3",
      CLIENT_POD: "pod-0",
      CLIENT_POD_NS: "calico-ipip-p1",
      CLIENT_POD_IP: "10.244.0.1",
      SERVER_POD: "pod-2",
      SERVER_POD_NS: "calico-ipip-p3",
      SERVER_POD_IP: "10.244.0.129",
    });
    expect(labPods(seed)[1]).toEqual({ name: "pod-1", ip: "10.244.0.65", node: "calico-ipip-worker" });
  });
});

describe("assets", () => {
  it("every script parses (bash -n)", () => {
    for (const script of [...Object.values(NETNS_SCRIPTS), path.join(NETNS_ASSETS, "lib.sh")]) {
      const r = spawnSync("bash", ["-n", script], { encoding: "utf8" });
      expect({ script, status: r.status, stderr: r.stderr }).toEqual({ script, status: 0, stderr: "" });
    }
  });
});
