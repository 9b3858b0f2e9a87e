/**
 * Test fixtures for the report (used by the tests only): the seed lab's outputs for any
 * of the pool's modes, and pcaps written byte by byte with the packets those modes put on
 * the client node's net0 — ICMP echo both ways, a TCP handshake and an HTTP exchange,
 * wrapped where the modes encapsulate: in an outer IPv4 header (protocol 4), or in outer
 * IPv4 + UDP (port 4789) + VXLAN (VNI 4096) + the inner Ethernet frame, between the node
 * addresses. Each node's BGP sessions and pool routes are the model's (model/dataplane.ts).
 */
import * as path from "path";
import { promises as fsp } from "fs";
import { ETHERTYPE, arp, ethernet, icmpEcho, ipv4, pcapFile, tcp, udp, vxlanPayload } from "../pcap/pcapWriter";
import { specOutputs } from "../../components/calicoIpipLab";
import { bgpSessions } from "../../model/bgp";
import { buildLabSpec } from "../../model/config";
import { blockRoute, expectedDataplane, renderRoute, VXLAN_PORT, VXLAN_VNI, vxlanMac } from "../../model/dataplane";
import { expectedEncapsulation } from "../../model/expect";
import type { BgpPeer, CaptureResult, Encapsulation, IpipMode, LabOutputs, LabSpec, OuterHeader, PoolModes, VxlanMode } from "../../model/spec";

export const SEED_NODES = [
  { name: "lab-control-plane", role: "control-plane" as const, ip: "10.1.5.10", prefixLength: 24, subnet: "10.1.5.0/24", segment: "br-pool0" },
  { name: "lab-worker", role: "worker" as const, ip: "10.1.5.11", prefixLength: 24, subnet: "10.1.5.0/24", segment: "br-pool0" },
  { name: "lab-worker2", role: "worker" as const, ip: "10.1.8.10", prefixLength: 24, subnet: "10.1.8.0/24", segment: "br-pool1" },
  { name: "lab-worker3", role: "worker" as const, ip: "10.1.8.11", prefixLength: 24, subnet: "10.1.8.0/24", segment: "br-pool1" },
];

export const SEED_PODS = [
  { name: "pod-0", ip: "10.244.0.1", node: "lab-control-plane" },
  { name: "pod-1", ip: "10.244.0.65", node: "lab-worker" },
  { name: "pod-2", ip: "10.244.0.129", node: "lab-worker2" },
  { name: "pod-3", ip: "10.244.0.193", node: "lab-worker3" },
];

/** The tunnel a scenario's packets travel in: between two node addresses, IPIP unless said otherwise. */
export interface Tunnel {
  src: string;
  dst: string;
  encapsulation?: "ipip" | "vxlan";
}

/** The UDP source port a node's VXLAN picks for the flow (any fixed one: the kernel hashes the inner flow). */
const VXLAN_SOURCE_PORT = { forward: 43121, back: 51887 } as const;

/** The packets of one scenario as the client node's net0 sees them. */
export function scenarioPackets(clientIp: string, serverIp: string, outer: Tunnel | null): Buffer[] {
  const wrap = (inner: Buffer, forward: boolean): Buffer => {
    if (!outer) return ethernet(ETHERTYPE.IPV4, inner);
    const [src, dst] = forward ? [outer.src, outer.dst] : [outer.dst, outer.src];
    if (outer.encapsulation !== "vxlan") return ethernet(ETHERTYPE.IPV4, ipv4({ src, dst, protocol: 4, payload: inner, ttl: 64 }));
    // Felix's VTEP MACs are derived from the node names; any two do here.
    const frame = ethernet(ETHERTYPE.IPV4, inner, [], vxlanMac(src), vxlanMac(dst));
    const sport = forward ? VXLAN_SOURCE_PORT.forward : VXLAN_SOURCE_PORT.back;
    return ethernet(ETHERTYPE.IPV4, ipv4({ src, dst, protocol: 17, payload: udp(sport, VXLAN_PORT, vxlanPayload(VXLAN_VNI, frame)), ttl: 64 }));
  };
  const fwd = (protocol: number, payload: Buffer): Buffer => wrap(ipv4({ src: clientIp, dst: serverIp, protocol, payload, df: true }), true);
  const back = (protocol: number, payload: Buffer): Buffer => wrap(ipv4({ src: serverIp, dst: clientIp, protocol, payload, df: true }), false);
  const frames: Buffer[] = [ethernet(ETHERTYPE.ARP, arp())];
  for (let seq = 1; seq <= 3; seq++) {
    frames.push(fwd(1, icmpEcho(7, seq, 56)));
    const reply = icmpEcho(7, seq, 56);
    reply[0] = 0; // echo reply
    frames.push(back(1, reply));
  }
  frames.push(fwd(6, tcp(40000, 80, 0)), back(6, tcp(80, 40000, 0)), fwd(6, tcp(40000, 80, 0)));
  frames.push(fwd(6, tcp(40000, 80, 78)), back(6, tcp(80, 40000, 853)), fwd(6, tcp(40000, 80, 0)));
  return frames;
}

export async function writeScenarioPcap(file: string, clientIp: string, serverIp: string, outer: Tunnel | null): Promise<number> {
  const frames = scenarioPackets(clientIp, serverIp, outer);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, pcapFile({ linkType: 1 }, frames.map((data, i) => ({ data, ts: 1700000000 + i / 10 }))));
  return frames.length;
}

/** The seed lab as model/config.ts builds it (lab name "lab": the node names above), reflectors by node number from 1. */
function seedSpec(modes: PoolModes, routeReflectors: number[] = []): LabSpec {
  return buildLabSpec({ labName: "lab", backend: "netns", ...modes, bgp: { routeReflectors } }, { stack: "fixture", cwd: "/" });
}

/** What `ip route get` prints on `from` for `to`'s pod under `modes` (the model's route; tunnels take the tunnel address as source). */
function routeGet(modes: PoolModes, from: number, to: number): string[] {
  const spec = seedSpec(modes);
  const [a, b] = [spec.nodes[from], spec.nodes[to]];
  const r = blockRoute(modes, a, b);
  const src = r.dev === "net0" ? a.ip : a.tunnelIp;
  return [`${b.pod.ip} via ${r.via} dev ${r.dev} src ${src} uid 0`, "    cache"];
}

/**
 * A node's BGP sessions, as BIRD would report them under `modes`: the model's graph
 * (model/bgp.ts: the mesh, or the reflectors and their clients; the gateway in mode
 * Never), all Established; none with VXLAN, where Calico runs no BIRD.
 */
function sessions(spec: LabSpec, index: number): BgpPeer[] {
  if (spec.pool.encapsulation === "vxlan") return [];
  return bgpSessions(spec, spec.nodes[index]).map((x) => ({ peer: x.ip, state: "Established" }));
}

export interface SeedOptions {
  /** The pool's IPIP mode; Never when `vxlanMode` is on and this is not given. */
  mode?: IpipMode;
  vxlanMode?: VxlanMode;
  /** Folder for the pcaps; with `writePcaps: false` they are named but not written. */
  captureDir: string;
  writePcaps?: boolean;
  labName?: string;
  /** Route reflectors by node number from 1 (the rr stack: [1, 3]); none: the mesh. */
  reflectors?: number[];
  /** Force the observed encapsulation of a scenario (to make it fail). */
  observe?: Partial<Record<string, Encapsulation | "missing">>;
}

/** The lab's name for a stack of these modes: calico-<the shipped stack's name>. */
function stackName(modes: PoolModes): string {
  if (modes.vxlanMode !== "Never") return modes.vxlanMode === "Always" ? "vxlan" : "vxlancrosssubnet";
  return modes.ipipMode === "Always" ? "ipip" : modes.ipipMode === "CrossSubnet" ? "crosssubnet" : "bgp";
}

/** The seed lab's outputs under the given modes, with scenarios same-subnet (1→2) and cross-subnet (1→3). */
export async function seedOutputs(o: SeedOptions): Promise<LabOutputs> {
  const vxlanMode = o.vxlanMode ?? "Never";
  const modes: PoolModes = { ipipMode: o.mode ?? (vxlanMode === "Never" ? "Always" : "Never"), vxlanMode };
  const scenarios = [
    { name: "same-subnet", client: 0, server: 1 },
    { name: "cross-subnet", client: 0, server: 2 },
  ];
  const captures: CaptureResult[] = [];
  for (const sc of scenarios) {
    const cn = SEED_NODES[sc.client];
    const sn = SEED_NODES[sc.server];
    const cp = SEED_PODS[sc.client];
    const sp = SEED_PODS[sc.server];
    const expected = expectedEncapsulation(modes, cn, sn);
    const observed = o.observe?.[sc.name] ?? expected;
    const outer = observed === "ipip" || observed === "vxlan" ? { src: cn.ip, dst: sn.ip, encapsulation: observed } : null;
    const pcap = path.join(o.captureDir, `${sc.name}.pcap`);
    let packets = 0;
    if (o.writePcaps !== false) packets = observed === "missing" ? 0 : await writeScenarioPcap(pcap, cp.ip, sp.ip, outer);
    if (o.writePcaps !== false && observed === "missing") await writeScenarioPcap(pcap, "10.9.9.9", "10.9.9.8", null);
    const pass = observed === expected;
    const header: OuterHeader | null =
      outer === null
        ? null
        : outer.encapsulation === "ipip"
          ? { src: outer.src, dst: outer.dst, protocol: 4 }
          : { src: outer.src, dst: outer.dst, protocol: 17, srcPort: VXLAN_SOURCE_PORT.forward, dstPort: VXLAN_PORT, vni: VXLAN_VNI };
    captures.push({
      scenario: sc.name,
      client: { pod: cp.name, ip: cp.ip, node: cn.name, nodeIp: cn.ip },
      server: { pod: sp.name, ip: sp.ip, node: sn.name, nodeIp: sn.ip },
      point: { node: cn.name, interface: "net0" },
      pcap,
      packets: packets || 16,
      expected,
      observed,
      outer: header,
      pass,
      reason: pass ? "" : `expected ${expected} between ${cp.ip} and ${sp.ip} but the packets were ${observed}`,
      routes: { client: routeGet(modes, sc.client, sc.server), server: routeGet(modes, sc.server, sc.client) },
    });
  }
  const spec = seedSpec(modes, o.reflectors);
  const model = expectedDataplane(spec, modes);
  return {
    lab: {
      name: o.labName ?? (o.reflectors?.length ? "calico-rr" : `calico-${stackName(modes)}`),
      backend: "netns",
      ...modes,
      controlPlane: "bird",
      podSubnet: "10.244.0.0/16",
      dataplane: "userspace-ipip",
      mtu: 1500,
      bgp: specOutputs(spec).lab.bgp,
    },
    router: {
      name: "gw0",
      interfaces: [
        { name: "eth1", ip: "10.1.5.1", subnet: "10.1.5.0/24", segment: SEED_NODES[0].segment },
        { name: "eth2", ip: "10.1.8.1", subnet: "10.1.8.0/24", segment: SEED_NODES[2].segment },
      ],
    },
    nodes: SEED_NODES.map((n, i) => ({ ...n, bgpPeers: sessions(spec, i), routes: model[i].routes.map(renderRoute) })),
    pods: SEED_PODS.map((p) => ({ ...p })),
    captures,
    verdict: captures.length > 0 && captures.every((c) => c.pass) ? "pass" : "fail",
  };
}

/** The five shipped stacks, in the order a user compares them, with their pcaps under `dir/captures/<stack>`. */
export const FIVE_STACKS: readonly { name: string; mode?: IpipMode; vxlanMode?: VxlanMode }[] = [
  { name: "ipip", mode: "Always" },
  { name: "crosssubnet", mode: "CrossSubnet" },
  { name: "bgp", mode: "Never" },
  { name: "vxlan", vxlanMode: "Always" },
  { name: "vxlancrosssubnet", vxlanMode: "CrossSubnet" },
];

export async function fiveStackOutputs(dir: string): Promise<{ name: string; outputs: LabOutputs }[]> {
  const out: { name: string; outputs: LabOutputs }[] = [];
  for (const s of FIVE_STACKS) out.push({ name: s.name, outputs: await seedOutputs({ mode: s.mode, vxlanMode: s.vxlanMode, captureDir: path.join(dir, "captures", s.name) }) });
  return out;
}
