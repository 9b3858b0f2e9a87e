/**
 * The pool routes of a kind lab, judged by the program. Calico's IPAM, not the model,
 * picks each node's block and VXLAN tunnel address on a cluster, so ipam.sh reads them
 * first; the program renders every node's expected routes from the model
 * (model/dataplane.ts) with those addresses, exact and in `ip route` form; routes.sh waits
 * until the nodes show exactly those and prints the tables; `routeDrift` judges them.
 */
import { calicoRouteLines, expectedDataplane, renderRoute, routeSetDrift } from "../../model/dataplane";
import { LabSpec } from "../../model/spec";
import { lastJsonObject } from "../scriptOutput";

/** What Calico's IPAM gave one node: its confirmed blocks and its VXLAN tunnel address (null while it has none). */
export interface NodeIpam {
  blocks: string[];
  vtep: string | null;
}

/** By node name. */
export type ClusterIpam = Record<string, NodeIpam>;

/** Parses ipam.sh's output. */
export function parseIpam(stdout: string): ClusterIpam {
  const { value, line } = lastJsonObject(stdout, "ipam.sh");
  const ok = (v: unknown): v is NodeIpam => {
    const n = v as Partial<NodeIpam> | null;
    return typeof n === "object" && n !== null && Array.isArray(n.blocks) && n.blocks.every((b) => typeof b === "string") && (n.vtep === null || typeof n.vtep === "string");
  };
  for (const [node, ipam] of Object.entries(value)) {
    if (!ok(ipam)) throw new Error(`ipam.sh: ${node} is not {blocks: [cidr, ...], vtep: address | null}: ${line.slice(0, 200)}`);
  }
  return value as ClusterIpam;
}

/**
 * Every node's pool routes as the model has them (BIRD's and Felix's, without BIRD when
 * calico_backend is vxlan), with the blocks and VTEPs the cluster gave the nodes; exact,
 * one route per line as `ip route` prints it. The pod routes are left out: where the
 * scheduler put which pod is not the model's to say.
 */
export function expectedRoutes(spec: LabSpec, ipam: ClusterIpam): Record<string, string[]> {
  const vxlan = spec.pool.encapsulation === "vxlan";
  const nodes = spec.nodes.map((n) => {
    const got = ipam[n.name];
    if (got === undefined || got.blocks.length !== 1) {
      throw new Error(`Calico's IPAM gave ${n.name} ${got === undefined ? "no block" : `the blocks [${got.blocks.join(", ")}]`}; the model routes exactly one block per node`);
    }
    if (vxlan && got.vtep === null) throw new Error(`Calico's IPAM gave ${n.name} no VXLAN tunnel address, which the pool's VXLAN routes go via`);
    return { ...n, block: got.blocks[0], tunnelIp: got.vtep ?? n.tunnelIp };
  });
  const real = { ...spec, nodes };
  return Object.fromEntries(expectedDataplane(real, real, { bird: spec.pool.bird }).map((dp) => [dp.node, dp.routes.filter((r) => r.kind !== "pod").map(renderRoute)]));
}

/**
 * The drift check: each node's Calico routes as read back (routes.sh) against the expected
 * ones. routes.sh waits for the same condition; this keeps the verdict the program's.
 * Each problem names both sides.
 */
export function routeDrift(expected: Record<string, string[]>, tables: Record<string, string[]>): string[] {
  return Object.entries(expected).flatMap(([node, want]) => {
    const table = tables[node];
    if (table === undefined) return [`${node}: no routing table was read back`];
    const drift = routeSetDrift(node, want, calicoRouteLines(table));
    return drift === undefined ? [] : [drift];
  });
}
