import * as yaml from "js-yaml";
import { calicoBgpPeers, parseBirdProtocols } from "../../components/kind/bgp";
import { bgpSpec, crossSubnetSpec, expectGolden, ipipSpec, vxlanSpec } from "./testing";

/** birdcl's answer on a seed node in mode Never: the mesh, the gateway, one session still coming up. */
const BIRD16 = `BIRD v0.3.3+birdv1.6.8 ready.
name     proto    table    state  since       info
static1  Static   master   up     07:34:24
kernel1  Kernel   master   up     07:34:24
device1  Device   master   up     07:34:24
direct1  Direct   master   up     07:34:24
Mesh_10_1_5_11 BGP      master   up     07:34:25    Established
Mesh_10_1_8_10 BGP      master   start  07:34:25    Active        Socket: Connection refused
Mesh_10_1_8_11 BGP      master   up     2024-03-02  Established
Node_10_1_5_1 BGP      master   start  07:34:26    Connect
Global_192_0_2_9_port_1790 BGP master   down   07:34:26
`;

describe("parseBirdProtocols", () => {
  test("BIRD 1.6 (calico-node's birdcl): every Calico peer with its BGP state", () => {
    expect(parseBirdProtocols(BIRD16)).toEqual([
      { peer: "10.1.5.11", state: "Established" },
      { peer: "10.1.8.10", state: "Active" },
      { peer: "10.1.8.11", state: "Established" },
      { peer: "10.1.5.1", state: "Connect" },
      { peer: "192.0.2.9", state: "down" },
    ]);
  });

  test("BIRD 2's columns read the same way; nothing else is a peer", () => {
    const bird2 = ["Name       Proto      Table      State  Since         Info", "Mesh_10_1_5_11 BGP        ---        up     07:34:25.123  Established", "kernel1    Kernel     master4    up     07:34:24.000"].join("\n");
    expect(parseBirdProtocols(bird2)).toEqual([{ peer: "10.1.5.11", state: "Established" }]);
    expect(parseBirdProtocols("")).toEqual([]);
    expect(parseBirdProtocols("Unable to connect to server control socket (/var/run/calico/bird.ctl): No such file or directory")).toEqual([]);
    expect(parseBirdProtocols("other_10_1_5_11 BGP master up 07:34:25 Established")).toEqual([]);
  });
});

describe("calicoBgpPeers", () => {
  test("mode Never: one BGPPeer per node, to the gateway's address on its segment (golden)", () => {
    const peers = calicoBgpPeers(bgpSpec());
    expect(peers.map((p) => [p.metadata?.name, (p.spec as { peerIP: string }).peerIP])).toEqual([
      ["gw0-calico-bgp-control-plane", "10.1.5.1"],
      ["gw0-calico-bgp-worker", "10.1.5.1"],
      ["gw0-calico-bgp-worker2", "10.1.8.1"],
      ["gw0-calico-bgp-worker3", "10.1.8.1"],
    ]);
    expectGolden("bgppeers.bgp.yaml", peers.map((p) => yaml.dump(p, { lineWidth: -1 })).join("---\n"));
  });

  test("with an encapsulation the gateway sees only node addresses: no BGPPeer", () => {
    for (const spec of [ipipSpec(), crossSubnetSpec(), vxlanSpec()]) expect(calicoBgpPeers(spec)).toEqual([]);
  });
});
