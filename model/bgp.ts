/**
 * The BGP sessions Calico's confd configures on each node: the node-to-node mesh, or with
 * route reflectors (bgp.routeReflectors) the mesh off, each reflector peering with every
 * other node (the BGPPeer of Calico's route-reflector guide: nodeSelector all(),
 * peerSelector the reflectors' label, which confd applies from both ends) and reflecting
 * to the nodes outside its cluster ID, and in mode Never the gateway as a global peer of
 * every node. Pure: the BIRD configs (netns), the BGPPeer objects (kind) and the expected
 * sessions read it.
 */
import { LabSpec, NodeSpec } from "./spec";

/** Why a node holds a session: the mesh, a reflector it is a client of or meshes with, a client it reflects to, the gateway. */
export type SessionRole = "mesh" | "reflector" | "client" | "gateway";

export interface BgpSession {
  /** BIRD's protocol name, as confd names it: Mesh_<ip>, Node_<ip> or Global_<ip>. */
  name: string;
  /** The peer's address. */
  ip: string;
  role: SessionRole;
  /** This side waits for the peer to connect (confd's passive rule between two Calico nodes). */
  passive: boolean;
  /** This side reflects the peer's routes (`rr client; rr cluster id …`): the reflector's end of a client's session. */
  rrClient: boolean;
}

/** A BIRD protocol name for a peer address, as confd names them: `Mesh_10_1_5_11`. */
export function peerProtocolName(prefix: "Mesh" | "Node" | "Global", ip: string): string {
  return `${prefix}_${ip.replace(/\./g, "_")}`;
}

/**
 * Which side of a session between two Calico nodes (mesh or reflector peering) waits for
 * the other to connect. Calico compares the two addresses as strings: the node whose
 * peer's address sorts after its own is passive. One side always connects, so the session
 * never races two TCP connections (on a 256-node lab, collisions at a reflector cost its
 * clients BIRD's error wait of 5 s).
 */
export function nodePeeringPassive(local: string, peer: string): boolean {
  return peer > local;
}

/** Whether `node` is one of the lab's route reflectors. */
export function isReflector(spec: LabSpec, node: NodeSpec): boolean {
  return spec.bgp.routeReflectors.includes(node.index);
}

/** Every BGP session of `node`, mesh or reflector peers in node order, then the gateway's. */
export function bgpSessions(spec: LabSpec, node: NodeSpec): BgpSession[] {
  const others = spec.nodes.filter((n) => n.index !== node.index);
  const nodes: BgpSession[] =
    spec.bgp.routeReflectors.length === 0
      ? others.map((n) => ({ name: peerProtocolName("Mesh", n.ip), ip: n.ip, role: "mesh", passive: nodePeeringPassive(node.ip, n.ip), rrClient: false }))
      : others
          .filter((n) => isReflector(spec, node) || isReflector(spec, n))
          .map((n) => {
            const client = !isReflector(spec, n);
            return { name: peerProtocolName("Node", n.ip), ip: n.ip, role: client ? "client" : "reflector", passive: nodePeeringPassive(node.ip, n.ip), rrClient: client };
          });
  const gateway: BgpSession = { name: peerProtocolName("Global", node.gateway), ip: node.gateway, role: "gateway", passive: false, rrClient: false };
  return spec.pool.gatewayPeers ? [...nodes, gateway] : nodes;
}
