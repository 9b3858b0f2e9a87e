/**
 * The topology step (up.sh / down.sh): what it builds, how the scripts are invoked, the
 * digest that decides a rebuild, and up.sh's result.
 */
import * as crypto from "crypto";
import { CALI_MAC, IPIP_OVERHEAD, nodeCaliName, POD_GATEWAY, UNDERLAY_NIC } from "../../model/dataplane";
import { bridgePortName } from "../../model/names";
import { Dataplane, LabSpec } from "../../model/spec";
import { lastJsonObject } from "../scriptOutput";
import { allNamespaces, netnsNames, nodeNamespace, podNamespace, runDir } from "./names";

/** How tunl0 is realised: `auto` uses the kernel's when the ipip module is loaded. */
export type Tunl0Choice = "auto" | "userspace";

export interface TopologyOptions {
  /** Run dir (default `/run/calico-ipip-lab/<lab>`); its last part must be the lab name. */
  runDir?: string;
  /** tunl0 realisation (default auto). */
  tunl0?: Tunl0Choice;
}

/**
 * The topology as up.sh applies it, rendered here so the script only runs it: the
 * namespaces, every link (created from inside the underlay namespace straight into its
 * final namespace, all down), the sysctls and each namespace's addresses, links up and
 * routes. tunl0 is the one thing the host decides (kernel or userspace), so up.sh adds
 * it to each node's batch. No IPIP mode: a mode change never rebuilds the topology.
 */
export interface TopologyPlan {
  namespaces: string[];
  /** `ip -batch` lines run in the underlay namespace. */
  links: string[];
  /** `NAMESPACE net.KEY VALUE` lines for labns.py: no IPv6 anywhere (keeps the captures
   * to the lab's IPv4), forwarding on router and nodes, loose reverse-path filtering on
   * the nodes' underlay and tunnel (a remote pod's packets arrive on net0 or tunl0
   * depending on the mode), Felix's settings on each cali interface. */
  sysctls: string[];
  /** Each namespace's `ip -batch` lines, in namespace order. */
  batches: { ns: string; lines: string[] }[];
  /** The nodes that get a tunl0: namespace and underlay address (the helpers' peers). */
  tunl0Nodes: { ns: string; ip: string }[];
  /** tunl0's MTU (and the pods' veths' until the control plane sets the modes' MTU). */
  tunl0Mtu: number;
  /** Whether the batches hold permanent neighbour entries instead of leaving them to ARP (LEARNED_NEIGHBOUR_BUDGET). */
  permanentNeighbours: boolean;
}

/**
 * The learned (ARP) neighbour entries a lab may use. Linux's neighbour tables share one
 * limit across every namespace of the host (net.ipv4.neigh.default.gc_thresh3, 1024 by
 * default); past it new entries fail, and BGP peers on a segment turn "No route to host".
 * Permanent entries do not count towards it (Linux 4.19 and later). So a lab that would
 * learn more than half the default gets permanent entries instead; smaller labs keep ARP,
 * which their captures show as Calico nodes do.
 */
export const LEARNED_NEIGHBOUR_BUDGET = 512;

/** The neighbour entries a lab learns at most: both ways between every two members of a
 * segment (its nodes and the gateway), and per node its pod and the pod's gateway. */
export function learnedNeighbours(spec: LabSpec): number {
  return spec.subnets.reduce((n, s) => n + (s.nodes.length + 1) * s.nodes.length, 0) + 2 * spec.nodes.length;
}

/** The MAC the lab gives the interface holding `ip` (net0, the gateway's, a pod's eth0): locally administered (02), 00, then the address's four bytes, so a permanent neighbour entry can name it. */
export function addressMac(ip: string): string {
  return ["02", "00", ...ip.split(".").map((b) => Number(b).toString(16).padStart(2, "0"))].join(":");
}

const permanentNeighbour = (ip: string, dev: string, mac = addressMac(ip)): string => `neigh replace ${ip} lladdr ${mac} dev ${dev} nud permanent`;

export function topologyPlan(spec: LabSpec): TopologyPlan {
  const names = netnsNames(spec);
  const mtu = spec.mtu;
  const tunMtu = mtu - IPIP_OVERHEAD;
  const nodes = spec.subnets.flatMap((s) =>
    s.nodes.map((n, k) => ({ n, ns: nodeNamespace(spec, n), pod: podNamespace(spec, n), cali: nodeCaliName(n), port: bridgePortName(s.bridge, k + 1), bridge: s.bridge, segment: s })),
  );
  const links = [
    ...spec.subnets.flatMap((s) => [
      `link add ${s.bridge} mtu ${mtu} type bridge forward_delay 0 stp_state 0 mcast_snooping 0`,
      `link add ${bridgePortName(s.bridge, 0)} mtu ${mtu} type veth peer name ${s.routerInterface} netns ${names.router} mtu ${mtu} address ${addressMac(s.gateway)}`,
      `link set ${bridgePortName(s.bridge, 0)} master ${s.bridge}`,
    ]),
    ...nodes.flatMap(({ n, ns, pod, cali, port, bridge }) => [
      `link add ${port} mtu ${mtu} type veth peer name ${UNDERLAY_NIC} netns ${ns} mtu ${mtu} address ${addressMac(n.ip)}`,
      `link set ${port} master ${bridge}`,
      `link add ${cali} netns ${ns} mtu ${tunMtu} address ${CALI_MAC} type veth peer name eth0 netns ${pod} mtu ${tunMtu} address ${addressMac(n.pod.ip)}`,
    ]),
  ];
  // Grouped by namespace: labns.py enters each once.
  const noIpv6 = (ns: string) => [`${ns} net.ipv6.conf.all.disable_ipv6 1`, `${ns} net.ipv6.conf.default.disable_ipv6 1`];
  const forwarding = (ns: string) => [...noIpv6(ns), `${ns} net.ipv4.ip_forward 1`, `${ns} net.ipv4.conf.all.rp_filter 0`, `${ns} net.ipv4.conf.default.rp_filter 0`];
  const sysctls = [
    ...noIpv6(names.underlay),
    ...forwarding(names.router),
    ...nodes.flatMap(({ ns, cali }) => [
      ...forwarding(ns),
      `${ns} net.ipv4.conf.${UNDERLAY_NIC}.rp_filter 0`,
      `${ns} net.ipv4.conf.${cali}.rp_filter 1`,
      `${ns} net.ipv4.conf.${cali}.proxy_arp 1`,
      `${ns} net.ipv4.conf.${cali}.route_localnet 1`,
      `${ns} net.ipv4.neigh.${cali}.proxy_delay 0`,
    ]),
    ...nodes.flatMap(({ pod }) => noIpv6(pod)),
  ];
  const permanent = learnedNeighbours(spec) > LEARNED_NEIGHBOUR_BUDGET;
  const neighbours = (entries: string[]): string[] => (permanent ? entries : []);
  const batches = [
    { ns: names.underlay, lines: [...spec.subnets.flatMap((s) => [`link set ${s.bridge} up`, `link set ${bridgePortName(s.bridge, 0)} up`]), ...nodes.map((x) => `link set ${x.port} up`)] },
    {
      ns: names.router,
      lines: [
        "link set lo up",
        ...spec.subnets.flatMap((s) => [`address add ${s.gateway}/${s.cidr.split("/")[1]} dev ${s.routerInterface}`, `link set ${s.routerInterface} up`]),
        ...neighbours(spec.subnets.flatMap((s) => s.nodes.map((n) => permanentNeighbour(n.ip, s.routerInterface)))),
      ],
    },
    ...nodes.map(({ n, ns, cali, segment }) => ({
      ns,
      lines: [
        "link set lo up",
        `address add ${n.ip}/${n.prefixLength} dev ${UNDERLAY_NIC}`,
        `link set ${UNDERLAY_NIC} up`,
        `route add default via ${n.gateway} dev ${UNDERLAY_NIC}`,
        `link set ${cali} up`,
        `route replace ${n.pod.ip} dev ${cali} scope link`,
        ...neighbours([
          ...[n.gateway, ...segment.nodes.filter((m) => m.index !== n.index).map((m) => m.ip)].map((ip) => permanentNeighbour(ip, UNDERLAY_NIC)),
          permanentNeighbour(n.pod.ip, cali),
        ]),
      ],
    })),
    ...nodes.map(({ n, pod }) => ({
      ns: pod,
      lines: [
        "link set lo up",
        `address add ${n.pod.ip}/32 dev eth0`,
        "link set eth0 up",
        `route add default via ${POD_GATEWAY} dev eth0 onlink`,
        ...neighbours([permanentNeighbour(POD_GATEWAY, "eth0", CALI_MAC)]),
      ],
    })),
  ];
  return {
    namespaces: allNamespaces(names),
    links,
    sysctls,
    batches,
    tunl0Nodes: nodes.map(({ n, ns }) => ({ ns, ip: n.ip })),
    tunl0Mtu: tunMtu,
    permanentNeighbours: permanent,
  };
}

/**
 * up.sh's stdin: the plan's sections, each after a `=NAME` line (`links`, `sysctl`, or
 * a namespace for its batch). Stdin, not the environment: a 256-node lab's batches pass
 * the 128 KiB one environment string may hold.
 */
export function topologyStdin(plan: TopologyPlan): string {
  const sections = [{ name: "links", lines: plan.links }, { name: "sysctl", lines: plan.sysctls }, ...plan.batches.map((b) => ({ name: b.ns, lines: b.lines }))];
  return sections.map((s) => `=${s.name}\n${s.lines.map((l) => `${l}\n`).join("")}`).join("");
}

/** How up.sh and down.sh run (see assets/netns/lib.sh); down.sh needs only the environment. */
export interface TopologyInvocation {
  environment: Record<string, string>;
  stdin: string;
}

export function topologyInvocation(spec: LabSpec, options: TopologyOptions = {}): TopologyInvocation {
  const plan = topologyPlan(spec);
  return {
    environment: {
      NETNS_LAB: spec.name,
      NETNS_RUN_DIR: options.runDir ?? runDir(spec),
      NETNS_UNDERLAY: netnsNames(spec).underlay,
      NETNS_TUNL0: options.tunl0 ?? "auto",
      NETNS_TUNL0_MTU: String(plan.tunl0Mtu),
      NETNS_NAMESPACES: plan.namespaces.join("\n"),
      NETNS_TUNL0_NODES: plan.tunl0Nodes.map((n) => `${n.ns} ${n.ip}`).join("\n"),
    },
    stdin: topologyStdin(plan),
  };
}

/** A short digest of the topology's invocation: it changes exactly when the lab must be rebuilt. */
export function topologyDigest(inv: TopologyInvocation): string {
  const keys = Object.keys(inv.environment).sort();
  return crypto
    .createHash("sha256")
    .update(JSON.stringify([keys.map((k) => [k, inv.environment[k]]), inv.stdin]))
    .digest("hex")
    .slice(0, 16);
}

/** What up.sh prints as its last stdout line. */
export interface UpResult {
  lab: string;
  dataplane: Extract<Dataplane, "kernel-ipip" | "userspace-ipip">;
  runDir: string;
  namespaces: number;
  nodes: number;
  seconds: number;
  createdAt: string;
}

export function parseUpOutput(stdout: string): UpResult {
  const parsed = lastJsonObject(stdout, "up.sh").value as Partial<UpResult>;
  if (parsed.dataplane !== "kernel-ipip" && parsed.dataplane !== "userspace-ipip") {
    throw new Error(`up.sh reported dataplane ${JSON.stringify(parsed.dataplane)}; expected kernel-ipip or userspace-ipip`);
  }
  return parsed as UpResult;
}
