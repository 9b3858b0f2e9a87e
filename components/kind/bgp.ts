/**
 * BGP between Calico and the gateway on the kind backend, and what calico-node's BIRD
 * says about its sessions. In mode Never (no encapsulation) the gateway forwards pod
 * addresses between subnets, so it must learn every block: it peers with every node in
 * the nodes' AS (vyos.ts) and each node peers with it through a Calico BGPPeer, the
 * node-to-node mesh left on (DESIGN.md section 4). Pure: rendered objects and a parser.
 */
import { BgpPeer, LabSpec } from "../../model/spec";
import { K8sObject } from "./calicoManifest";
import { CALICO } from "./tools";

/**
 * One Calico BGPPeer per node (mode Never only): the gateway's address on the node's own
 * segment, in the nodes' AS. Per node rather than global because the gateway has another
 * address on each segment; `spec.node` needs no node labels.
 */
export function calicoBgpPeers(spec: LabSpec): K8sObject[] {
  if (!spec.pool.gatewayPeers) return [];
  return spec.nodes.map((n) => ({
    apiVersion: "crd.projectcalico.org/v1",
    kind: "BGPPeer",
    metadata: { name: `${spec.router.name}-${n.name}` },
    spec: { node: n.name, peerIP: n.gateway, asNumber: CALICO.asNumber },
  }));
}

/** BGP session states as BIRD names them (RFC 4271's, plus BIRD's own Close and Down). */
const BGP_STATES = new Set(["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established", "Close", "Down"]);

/** The protocol names Calico's confd gives BGP peers: `Mesh_10_1_5_11`, `Node_10_1_5_1`, `Global_...`, with an optional `_port_N`. */
const PEER_NAME = /^(?:Mesh|Node|Global)_(\d{1,3})_(\d{1,3})_(\d{1,3})_(\d{1,3})(?:_port_\d+)?$/;

/**
 * The BGP sessions in BIRD's `show protocols` output (birdcl, BIRD 1.6 as calico-node
 * runs it; BIRD 2's columns read the same way): one per BGP protocol Calico named after
 * its peer. The state is the BGP state BIRD gives in the info column (`Established`,
 * `Active`, ...), else the protocol's own state (`up`, `start`, `down`). Lines that are
 * not a Calico peer (the banner, the header, kernel/static/device protocols) are skipped.
 */
export function parseBirdProtocols(text: string): BgpPeer[] {
  const peers: BgpPeer[] = [];
  for (const line of text.split("\n")) {
    const words = line.trim().split(/\s+/);
    if (words.length < 4 || words[1] !== "BGP") continue;
    const m = PEER_NAME.exec(words[0]);
    if (m === null) continue;
    const info = words.slice(4).find((w) => BGP_STATES.has(w));
    peers.push({ peer: m.slice(1, 5).join("."), state: info ?? words[3] });
  }
  return peers;
}
