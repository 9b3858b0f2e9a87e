/**
 * Where a netns lab lives on this host: its namespaces (all `<lab>-...`), its run folder
 * and the backend's scripts. Pure, derived from the LabSpec.
 */
import * as path from "path";
import { LabSpec, NodeSpec } from "../../model/spec";

/** The folder of the backend's scripts and helpers. */
export const NETNS_ASSETS = path.resolve(__dirname, "..", "..", "assets", "netns");

/** The scripts, by role (each is run as `bash <path>`). */
export const NETNS_SCRIPTS = {
  up: path.join(NETNS_ASSETS, "up.sh"),
  down: path.join(NETNS_ASSETS, "down.sh"),
  controlPlane: path.join(NETNS_ASSETS, "controlplane.sh"),
  capture: path.join(NETNS_ASSETS, "capture.sh"),
} as const;

/** Where labs keep pid files, logs and batch files: `<root>/<lab>` (tmpfs, gone at reboot). */
export const RUN_ROOT = "/run/calico-ipip-lab";

/**
 * The suffixes of the lab's own namespaces (`ul`, `n<k>`, `p<k>`): a router name that is
 * or ends in one would make its namespace ambiguous.
 */
const RESERVED_SUFFIX = /(^|-)(ul|[np]\d+)$/;

/** The lab's namespaces: all start with `<lab>-`, so two labs never share one. */
export interface NetnsNames {
  /** Holds the segment bridges: `<lab>-ul`. */
  underlay: string;
  /** The gateway: `<lab>-<router name>`. */
  router: string;
  /** Node namespaces in node order: `<lab>-n<index>`. */
  nodes: string[];
  /** Pod namespaces in node order: `<lab>-p<index>`. */
  pods: string[];
}

export function nodeNamespace(spec: LabSpec, node: NodeSpec): string {
  return `${spec.name}-n${node.index}`;
}

export function podNamespace(spec: LabSpec, node: NodeSpec): string {
  return `${spec.name}-p${node.index}`;
}

export function netnsNames(spec: LabSpec): NetnsNames {
  if (RESERVED_SUFFIX.test(spec.router.name)) {
    throw new Error(
      `topology.router.name: ${JSON.stringify(spec.router.name)} is not valid on the netns backend; ` +
        "its namespace would clash with the lab's own (names ending in ul, n<number>, p<number>): choose another name, e.g. gw0",
    );
  }
  return {
    underlay: `${spec.name}-ul`,
    router: `${spec.name}-${spec.router.name}`,
    nodes: spec.nodes.map((n) => nodeNamespace(spec, n)),
    pods: spec.nodes.map((n) => podNamespace(spec, n)),
  };
}

export function allNamespaces(names: NetnsNames): string[] {
  return [names.underlay, names.router, ...names.nodes, ...names.pods];
}

export function runDir(spec: LabSpec, root: string = RUN_ROOT): string {
  return path.join(root, spec.name);
}

/** The pods of the lab as the stack outputs list them. */
export function labPods(spec: LabSpec): { name: string; ip: string; node: string }[] {
  return spec.nodes.map((n) => ({ name: n.pod.name, ip: n.pod.ip, node: n.name }));
}
