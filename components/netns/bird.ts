/**
 * BIRD 2 configs for the netns lab's control plane, rendered from the LabSpec the way
 * Calico's confd renders BIRD's (templates bird.cfg, bird_ipam.cfg and bird_aggr.cfg,
 * v3.23 to v3.28 alike), in BIRD 2 syntax (DESIGN.md section 4). Pure: golden-tested,
 * then written and loaded by assets/netns/controlplane.py.
 */
import { bgpSessions, peerProtocolName } from "../../model/bgp";
import { LabSpec, NodeSpec } from "../../model/spec";
import { CALICO_AS, TUNNEL_DEVICE } from "../../model/dataplane";

/**
 * What the kernel export filter does with pool routes, by mode (Calico's
 * `calico_kernel_programming`, `krt_tunnel` in BIRD 1.6; BIRD 2.0.12's ifname/gw/onlink):
 * IPIP Always → tunl0; CrossSubnet → tunl0 unless the BGP next hop is in the node's own
 * network; VXLAN → those learned by BGP rejected (Felix programs them); none → accepted
 * as learned.
 */
function kernelFilter(spec: LabSpec, node: NodeSpec): string {
  const { pool } = spec;
  // Order matters: with onlink set first, `gw` keeps tunl0 instead of looking the next
  // hop up among the neighbours (which would pick net0, or refuse one in another subnet).
  const tunnel = [
    `      ifname = "${TUNNEL_DEVICE}";`,
    "      onlink = true;",
    "      gw = bgp_next_hop;",
  ];
  let poolBody: string[];
  if (pool.encapsulation === "vxlan") {
    // The node's own blackhole still comes from BIRD.
    poolBody = ["    # VXLAN routes are programmed by Felix, not BIRD.", "    if source = RTS_BGP then reject;", "    accept;"];
  } else if (pool.encapsulation === "ipip" && !pool.crossSubnetOnly) {
    poolBody = ["    if source = RTS_BGP then {", ...tunnel, "    }", "    accept;"];
  } else if (pool.encapsulation === "ipip") {
    poolBody = [
      `    # CrossSubnet: plain when the next hop is in ${node.subnet}, this node's own network.`,
      `    if source = RTS_BGP && !(bgp_next_hop ~ ${node.subnet}) then {`,
      ...tunnel,
      "    }",
      "    accept;",
    ];
  } else {
    poolBody = ["    accept;"];
  }
  return [
    "filter calico_kernel_programming {",
    "  # BIRD 1.6, which Calico runs, never exported device routes to the kernel.",
    "  if source = RTS_DEVICE then reject;",
    `  if ( net ~ ${spec.podSubnet} ) then {`,
    ...poolBody,
    "  }",
    "  accept;",
    "}",
  ].join("\n");
}

/** One node's BIRD config in the spec's modes. */
export function nodeBirdConfig(spec: LabSpec, node: NodeSpec): string {
  const peers = bgpSessions(spec, node).map((p) =>
    [
      `protocol bgp ${p.name} from bgp_template {`,
      `  neighbor ${p.ip} as ${CALICO_AS};`,
      `  source address ${node.ip};`,
      ...(p.passive ? ["  passive on; # the peer connects to us"] : []),
      ...(p.rrClient ? ["  rr client;", `  rr cluster id ${spec.bgp.clusterId};`] : []),
      "}",
    ].join("\n"),
  );
  return `${[
    `# BIRD for ${node.name} (${node.ip}), as Calico's confd configures it; rendered by calico-ipip-lab.`,
    `router id ${node.ip};`,
    "log stderr all;",
    "",
    "# This node's block, announced as one route; the /32s inside it stay home.",
    "protocol static calico_blocks {",
    "  ipv4;",
    `  route ${node.block} blackhole;`,
    "}",
    "",
    "function calico_aggr() {",
    `  if ( net = ${node.block} ) then accept;`,
    `  if ( net ~ ${node.block} ) then reject;`,
    "}",
    "",
    "filter calico_export_to_bgp_peers {",
    "  # Only this node's block: routes learned from the kernel (Felix's VXLAN routes) stay home.",
    "  if source = RTS_INHERIT then reject;",
    "  calico_aggr();",
    `  if ( net ~ ${spec.podSubnet} ) then accept;`,
    "  reject;",
    "}",
    "",
    kernelFilter(spec, node),
    "",
    "protocol kernel {",
    "  ipv4 {",
    "    import all;",
    "    export filter calico_kernel_programming;",
    "  };",
    "  learn;              # the default route, so next hops in other subnets resolve",
    "  persist;",
    "  scan time 2;",
    "  graceful restart;",
    "  merge paths on;",
    "  metric 0;           # Calico's routes carry none (BIRD 2's default is 32)",
    "}",
    "",
    "protocol device {",
    "  scan time 2;",
    "}",
    "",
    "protocol direct {",
    "  ipv4;",
    '  interface -"cali*", -"kube-ipvs*", "*";',
    "}",
    "",
    "template bgp bgp_template {",
    `  local as ${CALICO_AS};`,
    "  multihop;",
    "  ipv4 {",
    "    gateway recursive;",
    "    import all;",
    "    export filter calico_export_to_bgp_peers;",
    "    add paths on;",
    "  };",
    "  graceful restart;",
    "  connect delay time 2;",
    "  connect retry time 5;",
    "  error wait time 5,30;",
    "}",
    "",
    ...peers.flatMap((p) => [p, ""]),
  ].join("\n").trimEnd()}\n`;
}

/**
 * The gateway's BIRD config in mode Never: an iBGP peer of every node (AS 64512), taking
 * their blocks into its kernel table and announcing nothing. Null in the other modes,
 * where the gateway runs no BGP.
 */
export function gatewayBirdConfig(spec: LabSpec): string | null {
  if (!spec.pool.gatewayPeers) return null;
  const peers = spec.nodes.map((n) =>
    [
      `protocol bgp ${peerProtocolName("Node", n.ip)} {`,
      `  local ${n.gateway} as ${CALICO_AS};`,
      `  neighbor ${n.ip} as ${CALICO_AS};`,
      "  direct;",
      "  ipv4 {",
      "    import all;",
      "    export none;",
      "  };",
      "}",
    ].join("\n"),
  );
  return `${[
    `# BIRD for the gateway ${spec.router.name} of lab ${spec.name}: an iBGP peer of every node; rendered by calico-ipip-lab.`,
    `router id ${spec.subnets[0].gateway};`,
    "log stderr all;",
    "",
    "protocol device {",
    "  scan time 2;",
    "}",
    "",
    "protocol kernel {",
    "  ipv4 {",
    "    import none;",
    `    export where net ~ ${spec.podSubnet};`,
    "  };",
    "  metric 0;",
    "}",
    "",
    ...peers.flatMap((p) => [p, ""]),
  ].join("\n").trimEnd()}\n`;
}
