/**
 * The containerlab topology (the seed's 2-setup-clab.sh): one `kind: bridge` node per
 * segment, the VyOS gateway with one interface per segment, and one sidecar `serverN` per
 * kind node that joins the node's network namespace (`network-mode: container:<node>`),
 * so the link containerlab creates appears in the kind node as net0; the sidecar's exec
 * then gives net0 the node's underlay address and points the default route at the
 * segment's gateway.
 */
import * as yaml from "js-yaml";
import { LabSpec } from "../../model/spec";
import { bridgePortName } from "../../model/names";

/** A node of the topology; the keys are containerlab's (validated against its schema). */
export interface ClabNode {
  kind: "linux" | "bridge";
  image?: string;
  cmd?: string;
  binds?: string[];
  "network-mode"?: string;
  exec?: string[];
}

export interface ClabLink {
  endpoints: [string, string];
  mtu: number;
}

export interface ClabTopology {
  name: string;
  topology: { nodes: Record<string, ClabNode>; links: ClabLink[] };
}

/** Where VyOS reads its boot config inside the gateway container. */
export const VYOS_BOOT_PATH = "/opt/vyatta/etc/config/config.boot";

/** The gateway's boot config file, relative to the topology file's folder (containerlab resolves binds from there). */
export function bootConfigFile(spec: LabSpec): string {
  return `startup-conf/${spec.router.name}-boot.cfg`;
}

/** The topology file's name inside the lab's work folder. */
export function topologyFile(spec: LabSpec): string {
  return `${spec.name}.clab.yml`;
}

/** The commands a sidecar runs after deploy (containerlab `exec`), in the seed's words. */
export function sidecarExec(node: { ip: string; prefixLength: number; gateway: string }): string[] {
  return [`ip addr add ${node.ip}/${node.prefixLength} dev net0`, `ip route replace default via ${node.gateway}`];
}

export function containerlabTopology(spec: LabSpec): ClabTopology {
  const nodes: Record<string, ClabNode> = {
    [spec.router.name]: {
      kind: "linux",
      image: spec.images.gateway,
      cmd: "/sbin/init",
      binds: ["/lib/modules:/lib/modules", `./${bootConfigFile(spec)}:${VYOS_BOOT_PATH}`],
    },
  };
  for (const s of spec.subnets) nodes[s.bridge] = { kind: "bridge" };
  for (const n of spec.nodes) {
    nodes[n.sidecar] = { kind: "linux", image: spec.images.sidecar, "network-mode": `container:${n.name}`, exec: sidecarExec(n) };
  }

  // Each node takes the next port of its segment's bridge; the router takes the last one.
  const links: ClabLink[] = [];
  for (const s of spec.subnets) {
    s.nodes.forEach((n, port) => links.push({ endpoints: [`${s.bridge}:${bridgePortName(s.bridge, port)}`, `${n.sidecar}:net0`], mtu: spec.mtu }));
  }
  for (const s of spec.subnets) {
    links.push({ endpoints: [`${spec.router.name}:${s.routerInterface}`, `${s.bridge}:${bridgePortName(s.bridge, s.nodes.length)}`], mtu: spec.mtu });
  }
  return { name: spec.name, topology: { nodes, links } };
}

/** The topology as the YAML file `containerlab deploy -t` reads. */
export function renderContainerlabTopology(topology: ClabTopology): string {
  return yaml.dump(topology, { lineWidth: -1, noRefs: true });
}
