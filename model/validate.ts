/**
 * Config validation: a pure function that returns every problem at once, each naming
 * the key path, the bad value and what is allowed (the awsx / containerlab habit).
 */
import { BACKENDS, IPIP_MODES, VXLAN_MODES } from "./spec";
import { DEFAULT_IMAGES } from "./defaults";
import { LabContext, RawLabConfig } from "./rawConfig";
import { captureDirProblem, EMPTY_HOST } from "./captureDir";
import { bridgePortName, kindNodeName } from "./names";
import { cidrContains, cidrRange, cidrsOverlap, ipToInt, isIPv4, isIPv4Cidr, isNetworkCidr, parseCidr } from "./net";

/** Linux interface names: at most 15 bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;
/** kind node hostnames `<lab>-control-plane` must stay valid DNS labels (63). */
export const LAB_NAME_MAX = 40;
export const MAX_NODES = 256;

const LAB_NAME_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const IFNAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const DNS_LABEL_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const IMAGE_RE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;
const SAFE_PATH_RE = /^[A-Za-z0-9_./@:+-]+$/;
const VERSION_RE = /^v\d+\.\d+\.\d+$/;
const URL_RE = /^https?:\/\/[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+$/;

function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

class Problems {
  readonly list: string[] = [];
  add(key: string, value: unknown, allowed: string): void {
    this.list.push(`${key}: ${show(value)} is not valid; ${allowed}`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function checkKeys(p: Problems, key: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(value)) {
    if (!allowed.includes(k)) p.add(`${key}.${k}`, value[k], `unknown key; allowed keys are ${allowed.join(", ")}`);
  }
}

function checkInt(p: Problems, key: string, value: unknown, min: number, max: number): value is number {
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return true;
  p.add(key, value, `expected a whole number from ${min} to ${max}`);
  return false;
}

function checkIfName(p: Problems, key: string, value: unknown): value is string {
  if (typeof value === "string" && IFNAME_RE.test(value) && value.length <= IFNAME_MAX) return true;
  p.add(key, value, `expected a Linux interface name: 1-${IFNAME_MAX} characters of letters, digits, '_', '.', '-', starting with a letter or digit`);
  return false;
}

function checkNetwork(p: Problems, key: string, value: unknown, minLen: number, maxLen: number): value is string {
  if (!isIPv4Cidr(value)) {
    p.add(key, value, "expected an IPv4 network in CIDR form, e.g. 10.1.5.0/24");
    return false;
  }
  if (!isNetworkCidr(value)) {
    p.add(key, value, `host bits are set; the network is ${networkOf(value)}`);
    return false;
  }
  const len = parseCidr(value).prefixLength;
  if (len < minLen || len > maxLen) {
    p.add(key, value, `expected a prefix length from /${minLen} to /${maxLen}`);
    return false;
  }
  return true;
}

function networkOf(cidr: string): string {
  const [first] = cidrRange(cidr);
  return `${[24, 16, 8, 0].map((s) => Math.floor(first / 2 ** s) % 256).join(".")}/${parseCidr(cidr).prefixLength}`;
}

/** A usable host address of `cidr`: inside it, not its network or broadcast address. */
function checkHost(p: Problems, key: string, value: unknown, cidr: string | undefined): value is string {
  if (!isIPv4(value)) {
    p.add(key, value, "expected an IPv4 address such as 10.1.5.10");
    return false;
  }
  if (cidr === undefined) return true;
  if (!cidrContains(cidr, value)) {
    p.add(key, value, `the address is outside its subnet ${cidr}`);
    return false;
  }
  const [first, last] = cidrRange(cidr);
  const n = ipToInt(value);
  if (n === first || n === last) {
    p.add(key, value, `the network and broadcast addresses of ${cidr} cannot be used by a host`);
    return false;
  }
  return true;
}

/** A valid encapsulation mode other than Never. */
function isEnabledMode(value: unknown, modes: readonly string[]): boolean {
  return typeof value === "string" && value !== "Never" && modes.includes(value);
}

function checkEnum(p: Problems, key: string, value: unknown, allowed: readonly string[]): void {
  if (typeof value !== "string" || !allowed.includes(value)) p.add(key, value, `allowed values are ${allowed.join(", ")}`);
}

/** Returns every problem with the config (an empty list means valid). */
export function validateConfig(cfg: Required<RawLabConfig>, ctx: LabContext): string[] {
  const p = new Problems();
  checkEnum(p, "ipipMode", cfg.ipipMode, IPIP_MODES);
  checkEnum(p, "vxlanMode", cfg.vxlanMode, VXLAN_MODES);
  if (isEnabledMode(cfg.ipipMode, IPIP_MODES) && isEnabledMode(cfg.vxlanMode, VXLAN_MODES)) {
    // Calico's IPPool validation refuses the same pool with both encapsulations.
    p.add("vxlanMode", cfg.vxlanMode, `Calico refuses a pool with both IPIP and VXLAN enabled, and ipipMode is ${cfg.ipipMode}; set ipipMode to Never for VXLAN, or vxlanMode to Never for IPIP`);
  }
  checkEnum(p, "backend", cfg.backend, BACKENDS);

  const labNameOk = typeof cfg.labName === "string" && LAB_NAME_RE.test(cfg.labName) && cfg.labName.length <= LAB_NAME_MAX;
  if (!labNameOk) {
    p.add("labName", cfg.labName, `kind and containerlab need 1-${LAB_NAME_MAX} lowercase letters, digits and '-', starting and ending with a letter or digit`);
  }

  const blockOk = checkInt(p, "blockSize", cfg.blockSize, 20, 30);
  checkInt(p, "mtu", cfg.mtu, 1280, 9000);
  const podOk = checkNetwork(p, "podSubnet", cfg.podSubnet, 8, 28);
  if (podOk && cidrsOverlap(cfg.podSubnet, "169.254.0.0/16")) {
    p.add("podSubnet", cfg.podSubnet, "it overlaps 169.254.0.0/16, where Calico puts the pods' default gateway 169.254.1.1; choose a private range such as 10.244.0.0/16");
  }

  const nodeCount = validateTopology(p, cfg, podOk ? cfg.podSubnet : undefined, labNameOk ? cfg.labName : undefined);

  if (podOk && blockOk && nodeCount > 0) {
    const blocks = 2 ** (cfg.blockSize - parseCidr(cfg.podSubnet).prefixLength);
    if (cfg.blockSize < parseCidr(cfg.podSubnet).prefixLength) {
      p.add("blockSize", cfg.blockSize, `blocks must be smaller than podSubnet ${cfg.podSubnet}`);
    } else if (blocks < nodeCount) {
      p.add("blockSize", cfg.blockSize, `podSubnet ${cfg.podSubnet} holds ${blocks} /${cfg.blockSize} blocks for ${nodeCount} nodes; use a larger pod subnet or a larger blockSize`);
    }
  }

  validateImages(p, cfg.images);
  validateCalico(p, cfg.calico);
  validateScenarios(p, cfg.scenarios, nodeCount);
  validateCapture(p, cfg.capture, ctx);
  validateBgp(p, cfg.bgp, nodeCount, cfg.vxlanMode);
  return p.list;
}

function validateTopology(p: Problems, cfg: Required<RawLabConfig>, podSubnet: string | undefined, labName: string | undefined): number {
  const topo: unknown = cfg.topology;
  if (!isObject(topo)) {
    p.add("topology", topo, "expected an object with subnets: [{cidr, gateway, bridge, nodes}]");
    return 0;
  }
  checkKeys(p, "topology", topo, ["router", "natSource", "subnets"]);
  if (topo.router !== undefined) {
    if (!isObject(topo.router)) p.add("topology.router", topo.router, "expected an object such as {name: gw0}");
    else {
      checkKeys(p, "topology.router", topo.router, ["name"]);
      const name = topo.router.name;
      if (name !== undefined && !(typeof name === "string" && DNS_LABEL_RE.test(name) && name.length <= IFNAME_MAX)) {
        p.add("topology.router.name", name, `expected 1-${IFNAME_MAX} lowercase letters, digits and '-'`);
      }
    }
  }
  if (topo.natSource !== undefined) checkNetwork(p, "topology.natSource", topo.natSource, 8, 30);

  const subnets = topo.subnets;
  if (!Array.isArray(subnets) || subnets.length === 0) {
    p.add("topology.subnets", subnets, "expected at least one subnet: [{cidr, gateway, nodes: [address, ...]}]");
    return 0;
  }
  const seenIps = new Map<string, string>();
  const seenBridges = new Map<string, string>();
  const goodCidrs: { key: string; cidr: string }[] = [];
  let nodeCount = 0;

  subnets.forEach((s: unknown, si: number) => {
    const key = `topology.subnets[${si}]`;
    if (!isObject(s)) {
      p.add(key, s, "expected an object {cidr, gateway, bridge, nodes}");
      return;
    }
    checkKeys(p, key, s, ["cidr", "gateway", "bridge", "nodes"]);
    const cidrOk = checkNetwork(p, `${key}.cidr`, s.cidr, 8, 30);
    const cidr = cidrOk ? (s.cidr as string) : undefined;
    if (cidr !== undefined) {
      for (const other of goodCidrs) {
        if (cidrsOverlap(other.cidr, cidr)) p.add(`${key}.cidr`, cidr, `it overlaps ${other.key}.cidr ${other.cidr}; segments must be disjoint`);
      }
      if (podSubnet !== undefined && cidrsOverlap(podSubnet, cidr)) {
        p.add("podSubnet", podSubnet, `it overlaps the underlay ${key}.cidr ${cidr}; pod and node addresses must be disjoint`);
      }
      goodCidrs.push({ key, cidr });
    }
    const claim = (k: string, ip: string): void => {
      const prev = seenIps.get(ip);
      if (prev !== undefined) p.add(k, ip, `the address is already used by ${prev}; every address must be unique`);
      else seenIps.set(ip, k);
    };
    if (checkHost(p, `${key}.gateway`, s.gateway, cidr)) claim(`${key}.gateway`, s.gateway as string);

    if (checkIfName(p, `${key}.bridge`, s.bridge)) {
      const bridge = s.bridge as string;
      const prev = seenBridges.get(bridge);
      if (prev !== undefined) p.add(`${key}.bridge`, bridge, `the bridge name is already used by ${prev}; each segment needs its own bridge`);
      seenBridges.set(bridge, key);
    }

    const nodes = s.nodes;
    if (!Array.isArray(nodes) || nodes.length === 0) {
      p.add(`${key}.nodes`, nodes, "expected at least one node address, e.g. [\"10.1.5.10\"]");
      return;
    }
    nodes.forEach((n: unknown, ni: number) => {
      const nkey = `${key}.nodes[${ni}]`;
      const ip = isObject(n) ? n.ip : n;
      if (isObject(n)) checkKeys(p, nkey, n, ["ip"]);
      if (checkHost(p, isObject(n) ? `${nkey}.ip` : nkey, ip, cidr)) claim(nkey, ip as string);
    });
    nodeCount += nodes.length;
    // containerlab names the host side of each bridge link `<bridge>-net<n>`: one per node plus the router's.
    if (typeof s.bridge === "string" && s.bridge.length <= IFNAME_MAX) {
      const longest = bridgePortName(s.bridge, nodes.length);
      if (longest.length > IFNAME_MAX) {
        p.add(`${key}.bridge`, s.bridge, `its port names such as ${longest} exceed ${IFNAME_MAX} characters; use a bridge name of at most ${IFNAME_MAX - longest.length + s.bridge.length} characters`);
      }
    }
  });

  if (nodeCount > MAX_NODES) p.add("topology.subnets", `${nodeCount} nodes`, `at most ${MAX_NODES} nodes are supported`);
  if (labName !== undefined && nodeCount > 0) {
    const longest = kindNodeName(labName, nodeCount);
    if (longest.length > 63) p.add("labName", labName, `node names such as ${longest} exceed 63 characters; use a shorter lab name`);
  }
  return nodeCount;
}

function validateImages(p: Problems, images: unknown): void {
  if (!isObject(images)) {
    p.add("images", images, `expected an object with keys ${Object.keys(DEFAULT_IMAGES).join(", ")}`);
    return;
  }
  checkKeys(p, "images", images, Object.keys(DEFAULT_IMAGES));
  for (const k of Object.keys(DEFAULT_IMAGES)) {
    const v = images[k];
    if (!(typeof v === "string" && IMAGE_RE.test(v))) p.add(`images.${k}`, v, "expected an image reference such as registry/name:tag (letters, digits and ._/:@-)");
  }
}

function validateCalico(p: Problems, calico: unknown): void {
  if (!isObject(calico)) {
    p.add("calico", calico, "expected an object {version, manifest}");
    return;
  }
  checkKeys(p, "calico", calico, ["version", "manifest"]);
  if (!(typeof calico.version === "string" && VERSION_RE.test(calico.version))) {
    p.add("calico.version", calico.version, "expected a Calico release such as v3.23.2");
  }
  const m = calico.manifest;
  const isUrl = typeof m === "string" && /^https?:/.test(m);
  if (!(typeof m === "string" && (isUrl ? URL_RE.test(m) : SAFE_PATH_RE.test(m)))) {
    p.add("calico.manifest", m, "expected an http(s) URL or a file path (letters, digits and _./@:+-) of a calico.yaml manifest");
  }
}

/**
 * Route reflectors: node numbers of the topology, each once, and not with VXLAN: Calico's
 * VXLAN manifest runs calico-node without BIRD (calico_backend: vxlan), so no node speaks
 * BGP and there is nothing to reflect. The cluster ID is an IPv4 dotted quad, as Calico's
 * `routeReflectorClusterID` takes it.
 */
function validateBgp(p: Problems, bgp: unknown, nodeCount: number, vxlanMode: unknown): void {
  if (!isObject(bgp)) {
    p.add("bgp", bgp, "expected an object {routeReflectors: [node numbers from 1], clusterID}");
    return;
  }
  checkKeys(p, "bgp", bgp, ["routeReflectors", "clusterID"]);
  const rr = bgp.routeReflectors;
  if (!Array.isArray(rr)) {
    p.add("bgp.routeReflectors", rr, "expected a list of node numbers from 1 (empty: Calico's node-to-node mesh)");
  } else {
    const seen = new Set<number>();
    rr.forEach((n, i) => {
      const range = nodeCount > 0 ? `1 to ${nodeCount}` : "from 1";
      if (!(typeof n === "number" && Number.isInteger(n) && n >= 1 && (nodeCount === 0 || n <= nodeCount))) {
        p.add(`bgp.routeReflectors[${i}]`, n, `expected a node number ${range} (the topology's nodes in subnet order)`);
      } else if (seen.has(n)) {
        p.add(`bgp.routeReflectors[${i}]`, n, `node ${n} is named twice; name each reflector once`);
      }
      if (typeof n === "number") seen.add(n);
    });
    if (rr.length > 0 && isEnabledMode(vxlanMode, VXLAN_MODES)) {
      p.add("bgp.routeReflectors", rr, `vxlanMode is ${String(vxlanMode)}: Calico's VXLAN manifest runs calico-node without BIRD (calico_backend: vxlan), so no node speaks BGP and there is nothing to reflect; leave the list empty, or use IPIP or no encapsulation`);
    }
  }
  if (!(typeof bgp.clusterID === "string" && isIPv4(bgp.clusterID))) {
    p.add("bgp.clusterID", bgp.clusterID, "expected an IPv4 dotted quad such as 244.0.0.1 (Calico's routeReflectorClusterID)");
  }
}

function validateScenarios(p: Problems, scenarios: unknown, nodeCount: number): void {
  if (!Array.isArray(scenarios) || scenarios.length === 0) {
    p.add("scenarios", scenarios, "expected at least one scenario {name, client, server} (node numbers from 1)");
    return;
  }
  const names = new Set<string>();
  scenarios.forEach((s: unknown, i: number) => {
    const key = `scenarios[${i}]`;
    if (!isObject(s)) {
      p.add(key, s, "expected an object {name, client, server}");
      return;
    }
    checkKeys(p, key, s, ["name", "client", "server"]);
    if (!(typeof s.name === "string" && DNS_LABEL_RE.test(s.name) && s.name.length <= 40)) {
      p.add(`${key}.name`, s.name, "expected 1-40 lowercase letters, digits and '-'");
    } else if (names.has(s.name)) {
      p.add(`${key}.name`, s.name, "scenario names must be unique");
    } else names.add(s.name);
    const max = Math.max(nodeCount, 1);
    const clientOk = checkInt(p, `${key}.client`, s.client, 1, max);
    const serverOk = checkInt(p, `${key}.server`, s.server, 1, max);
    if (clientOk && serverOk && s.client === s.server) {
      p.add(`${key}.server`, s.server, "client and server must be different nodes (one pod runs per node)");
    }
  });
}

function validateCapture(p: Problems, capture: unknown, ctx: LabContext): void {
  if (!isObject(capture)) {
    p.add("capture", capture, "expected an object {maxPackets, timeoutSeconds, dir}");
    return;
  }
  checkKeys(p, "capture", capture, ["maxPackets", "timeoutSeconds", "dir"]);
  checkInt(p, "capture.maxPackets", capture.maxPackets, 1, 1_000_000);
  checkInt(p, "capture.timeoutSeconds", capture.timeoutSeconds, 1, 600);
  const dir = capture.dir;
  if (!(typeof dir === "string" && SAFE_PATH_RE.test(dir))) {
    p.add("capture.dir", dir, "expected a folder path of letters, digits and _./@:+-");
    return;
  }
  const problem = captureDirProblem(dir, ctx.cwd, ctx.host ?? EMPTY_HOST);
  if (problem !== undefined) p.add("capture.dir", dir, problem);
}
