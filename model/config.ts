/**
 * Stack config → LabSpec, in stages: validate the raw config (every problem at once),
 * then derive names, addresses and blocks. Nothing here touches Pulumi or the host, so
 * a bad config fails before any resource exists.
 */
import * as path from "path";
import {
  BACKENDS,
  BackendName,
  IPIP_MODES,
  IpipMode,
  VXLAN_MODES,
  VxlanMode,
  LabSpec,
  NodeSpec,
  PoolModes,
  ScenarioSpec,
  SubnetSpec,
} from "./spec";
import {
  DEFAULT_BLOCK_SIZE,
  DEFAULT_CALICO_MANIFEST,
  DEFAULT_CALICO_VERSION,
  DEFAULT_BGP,
  DEFAULT_CAPTURE,
  DEFAULT_IMAGES,
  DEFAULT_MTU,
  DEFAULT_POD_SUBNET,
  DEFAULT_SCENARIOS,
  SEED_TOPOLOGY,
} from "./defaults";
import { nodeRoutes, poolFacts } from "./dataplane";
import { expectedEncapsulation, poolModes } from "./expect";
import { addToIp, nthSubnet, parseCidr, smallestSupernet } from "./net";
import { validateConfig } from "./validate";
import { captureFolder, EMPTY_HOST } from "./captureDir";
import { LabContext, RawLabConfig, RawNode } from "./rawConfig";

export { CONFIG_KEYS } from "./rawConfig";
export type { LabContext, RawLabConfig, RawNode, RawSubnet } from "./rawConfig";
import { defaultBridgeName, defaultLabName, kindNodeName } from "./names";

/** Every problem found in a config, reported together. */
export class LabConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid lab config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "LabConfigError";
  }
}

function nodeIp(node: RawNode): string {
  return typeof node === "string" ? node : node.ip;
}

/** Fill every default; the result still needs `validateConfig`. */
export function withDefaults(raw: RawLabConfig, ctx: LabContext): Required<RawLabConfig> {
  const labName = raw.labName ?? defaultLabName(ctx.stack);
  const topology = raw.topology ?? SEED_TOPOLOGY;
  return {
    // IPIP Always unless the user turned VXLAN on: then the pool's IPIP default is Never,
    // as in Calico's VXLAN manifest, rather than a refused IPIP-and-VXLAN pool.
    ipipMode: raw.ipipMode ?? (raw.vxlanMode !== undefined && raw.vxlanMode !== "Never" ? "Never" : "Always"),
    vxlanMode: raw.vxlanMode ?? "Never",
    backend: raw.backend ?? "kind",
    labName,
    podSubnet: raw.podSubnet ?? DEFAULT_POD_SUBNET,
    blockSize: raw.blockSize ?? DEFAULT_BLOCK_SIZE,
    mtu: raw.mtu ?? DEFAULT_MTU,
    topology: {
      ...topology,
      subnets: Array.isArray(topology.subnets)
        ? topology.subnets.map((s, i) =>
            s !== null && typeof s === "object" ? { ...s, bridge: s.bridge ?? defaultBridgeName(labName, i) } : s,
          )
        : topology.subnets,
    },
    images: { ...DEFAULT_IMAGES, ...raw.images },
    calico: { version: DEFAULT_CALICO_VERSION, manifest: DEFAULT_CALICO_MANIFEST, ...raw.calico },
    scenarios: raw.scenarios ?? DEFAULT_SCENARIOS,
    capture: { ...DEFAULT_CAPTURE, dir: path.join("captures", ctx.stack), ...raw.capture },
    bgp: { ...DEFAULT_BGP, ...raw.bgp },
  };
}

/**
 * Validate and derive the LabSpec. Throws LabConfigError listing every problem, each
 * naming the key, the bad value and what is allowed.
 */
export function buildLabSpec(raw: RawLabConfig, ctx: LabContext): LabSpec {
  const cfg = withDefaults(raw, ctx);
  const problems = validateConfig(cfg, ctx);
  if (problems.length > 0) throw new LabConfigError(problems);

  const labName = cfg.labName;
  const subnets: SubnetSpec[] = [];
  const nodes: NodeSpec[] = [];
  cfg.topology.subnets.forEach((s, si) => {
    const { prefixLength } = parseCidr(s.cidr);
    const bridge = s.bridge ?? defaultBridgeName(labName, si);
    const subnetNodes = s.nodes.map((n): NodeSpec => {
      const index = nodes.length + 1;
      const block = nthSubnet(cfg.podSubnet, cfg.blockSize, index - 1);
      const blockBase = parseCidr(block).address;
      const node: NodeSpec = {
        index,
        name: kindNodeName(labName, index),
        role: index === 1 ? "control-plane" : "worker",
        ip: nodeIp(n),
        prefixLength,
        subnet: s.cidr,
        segment: bridge,
        gateway: s.gateway,
        sidecar: `server${index}`,
        block,
        tunnelIp: blockBase,
        pod: { name: `pod-${index - 1}`, ip: addToIp(blockBase, 1) },
        routes: [],
      };
      nodes.push(node);
      return node;
    });
    subnets.push({ cidr: s.cidr, gateway: s.gateway, bridge, routerInterface: `eth${si + 1}`, nodes: subnetNodes });
  });

  const modes = { ipipMode: cfg.ipipMode as IpipMode, vxlanMode: cfg.vxlanMode as VxlanMode };
  // Filled in by withModes below, the one place the facts that follow from the modes are derived.
  const scenarios: ScenarioSpec[] = cfg.scenarios.map((s) => ({ name: s.name, client: s.client, server: s.server, expected: "none" }));
  const routerName = cfg.topology.router?.name ?? "gw0";
  return withModes({
    name: labName,
    stack: ctx.stack,
    backend: cfg.backend as BackendName,
    ...modes,
    podSubnet: cfg.podSubnet,
    blockSize: cfg.blockSize,
    mtu: cfg.mtu,
    router: { name: routerName, container: `clab-${labName}-${routerName}` },
    underlaySupernet: cfg.topology.natSource ?? smallestSupernet(subnets.map((s) => s.cidr)),
    subnets,
    nodes,
    images: { ...cfg.images } as LabSpec["images"],
    calico: {
      version: cfg.calico.version ?? DEFAULT_CALICO_VERSION,
      manifest: resolveManifest(cfg.calico.manifest ?? DEFAULT_CALICO_MANIFEST, ctx.cwd),
    },
    scenarios,
    bgp: { routeReflectors: [...(cfg.bgp.routeReflectors ?? [])], clusterId: cfg.bgp.clusterID ?? DEFAULT_BGP.clusterID },
    capture: {
      maxPackets: cfg.capture.maxPackets ?? DEFAULT_CAPTURE.maxPackets,
      timeoutSeconds: cfg.capture.timeoutSeconds ?? DEFAULT_CAPTURE.timeoutSeconds,
      ...captureFolder(raw.capture?.dir, ctx.stack, ctx.cwd, ctx.host ?? EMPTY_HOST),
    },
  }, modes);
}

/**
 * The spec in `modes`: the facts that follow from the pool's modes (what they turn on,
 * each node's routes, each path's encapsulation) derived anew. The one place they are
 * derived: buildLabSpec ends here, and a live mode switch (tests, bench) starts here.
 */
export function withModes(spec: Omit<LabSpec, "pool">, modes: PoolModes): LabSpec {
  const m = poolModes(modes);
  const pool = poolFacts(m, spec.backend, spec.mtu);
  const nodes = spec.nodes.map((n) => ({ ...n }));
  for (const node of nodes) node.routes = nodeRoutes(m, node, nodes, { bird: pool.bird });
  const byIndex = new Map(nodes.map((n) => [n.index, n]));
  const node = (index: number): NodeSpec => byIndex.get(index) as NodeSpec;
  return {
    ...spec,
    ...m,
    pool,
    nodes,
    subnets: spec.subnets.map((s) => ({ ...s, nodes: s.nodes.map((n) => node(n.index)) })),
    scenarios: spec.scenarios.map((s) => ({ ...s, expected: expectedEncapsulation(m, node(s.client), node(s.server)) })),
  };
}

/** Whether calico.manifest is downloaded (an http(s) URL) rather than read from a file. */
export function isManifestUrl(manifest: string): boolean {
  return /^https?:\/\//.test(manifest);
}

function resolveManifest(manifest: string, cwd: string): string {
  return isManifestUrl(manifest) ? manifest : path.resolve(cwd, manifest);
}

export { IPIP_MODES, VXLAN_MODES, BACKENDS };
