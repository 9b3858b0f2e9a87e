/**
 * BGP between Calico and the gateway on the kind backend, and what calico-node's BIRD
 * says about its sessions. In mode Never (no encapsulation) the gateway forwards pod
 * addresses between subnets, so it must learn every block: it peers with every node in
 * the nodes' AS (vyos.ts) and each node peers with it through a Calico BGPPeer, the
 * node-to-node mesh left on (DESIGN.md section 4). With route reflectors (bgp.routeReflectors)
 * the objects of Calico's route-reflector guide: the mesh off in `BGPConfiguration default`,
 * the reflectors labelled and given the cluster ID, one BGPPeer from every node to the
 * labelled ones. Pure: rendered objects, patches and parsers.
 */
import { bgpSessions, isReflector, peerProtocolName } from "../../model/bgp";
import { BgpPeer, LabSpec, NodeSpec } from "../../model/spec";
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

/**
 * How a reflector is known on kind. With the Kubernetes datastore a Calico Node is the
 * Kubernetes Node: its labels are the Node's, and its `spec.bgp.routeReflectorClusterID`
 * lives in this annotation (libcalico-go's node conversion), which is what
 * `calicoctl patch node` writes there; calicoctl is not in the lab, kubectl patches both.
 */
export const REFLECTOR = {
  label: "route-reflector",
  value: "true",
  clusterIdAnnotation: "projectcalico.org/RouteReflectorClusterID",
  /** The guide's BGPPeer that peers every node with the reflectors. */
  peerName: "peer-with-route-reflectors",
} as const;

/**
 * The Calico objects route reflectors need: `BGPConfiguration default` with the mesh off
 * (asNumber as Calico's default, which the mesh used) and the guide's BGPPeer: every
 * node (`all()`) peers with the labelled reflectors; confd applies it from both ends, so
 * each reflector also peers with every other node, and reflects to those without its
 * cluster ID. None for the mesh: without a BGPConfiguration Calico keeps it on, so a
 * switch back removes these objects.
 */
export function calicoReflectorObjects(spec: LabSpec): K8sObject[] {
  if (spec.bgp.routeReflectors.length === 0) return [];
  return [
    {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BGPConfiguration",
      metadata: { name: "default" },
      spec: { nodeToNodeMeshEnabled: false, asNumber: CALICO.asNumber },
    },
    {
      apiVersion: "crd.projectcalico.org/v1",
      kind: "BGPPeer",
      metadata: { name: REFLECTOR.peerName },
      spec: { nodeSelector: "all()", peerSelector: `${REFLECTOR.label} == '${REFLECTOR.value}'` },
    },
  ];
}

/** Every BGP object of the lab: the reflectors' (if any), then the gateway's (mode Never). */
export function calicoBgpObjects(spec: LabSpec): K8sObject[] {
  return [...calicoReflectorObjects(spec), ...calicoBgpPeers(spec)];
}

/** What a node's reflector label and cluster ID are: a reflector's, or none (null). */
export interface ReflectorState {
  label: string | null;
  clusterId: string | null;
}

/** The label and cluster ID `node` must have: set on a reflector, removed (null) from every other node. */
export function reflectorState(spec: LabSpec, node: NodeSpec): ReflectorState {
  return isReflector(spec, node) ? { label: REFLECTOR.value, clusterId: spec.bgp.clusterId } : { label: null, clusterId: null };
}

/** The merge patch that gives a Kubernetes Node `state` (null removes a key; removing an absent one is a no-op). */
export function reflectorNodePatch(state: ReflectorState): string {
  return JSON.stringify({ metadata: { labels: { [REFLECTOR.label]: state.label }, annotations: { [REFLECTOR.clusterIdAnnotation]: state.clusterId } } });
}

/**
 * Checks route-reflectors.sh's read-back, `{"<node>": {label, clusterId}}` after the
 * patches: every node as reflectorState says. Returns it, or throws naming each node that differs.
 */
export function checkReflectorNodes(spec: LabSpec, read: Record<string, unknown>): Record<string, ReflectorState> {
  const wrong: string[] = [];
  const states: Record<string, ReflectorState> = {};
  for (const n of spec.nodes) {
    const want = reflectorState(spec, n);
    const got = read[n.name];
    if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${n.name}: ${JSON.stringify(got ?? null)}, expected ${JSON.stringify(want)}`);
    states[n.name] = want;
  }
  if (wrong.length > 0) throw new Error(`after the patch the nodes' ${REFLECTOR.label} label and ${REFLECTOR.clusterIdAnnotation} are not the configured ones:\n  ${wrong.join("\n  ")}`);
  return states;
}

/**
 * The BGP protocols BIRD shows on `node` on kind once Calico applied the config: the
 * mesh's `Mesh_<ip>`, a reflector's or client's `Node_<ip>` (model/bgp.ts), and the
 * gateway's `Node_<ip>` too, since its BGPPeer names the node (`spec.node`).
 */
export function kindSessionNames(spec: LabSpec, node: NodeSpec): string[] {
  return bgpSessions(spec, node).map((s) => (s.role === "gateway" ? peerProtocolName("Node", s.ip) : s.name));
}

/** BGP session states as BIRD names them (RFC 4271's, plus BIRD's own Close and Down). */
const BGP_STATES = new Set(["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established", "Close", "Down"]);

/** The protocol names Calico's confd gives BGP peers: `Mesh_10_1_5_11`, `Node_10_1_5_1`, `Global_...`, with an optional `_port_N`. */
export const PEER_NAME = /^(?:Mesh|Node|Global)_(\d{1,3})_(\d{1,3})_(\d{1,3})_(\d{1,3})(?:_port_\d+)?$/;

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
