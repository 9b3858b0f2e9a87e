/**
 * Test fixtures for the report (used by the tests only): the seed lab's outputs for
 * both modes, and pcaps written byte by byte with the packets those modes put on the
 * client node's net0 — ICMP echo both ways, a TCP handshake and an HTTP exchange,
 * wrapped in an outer IPv4 header (protocol 4) between the node addresses where the
 * mode encapsulates.
 */
import * as path from "path";
import { promises as fsp } from "fs";
import { ETHERTYPE, arp, ethernet, icmpEcho, ipv4, pcapFile, tcp } from "../analysis/pcapWriter";
import type { CaptureResult, Encapsulation, IpipMode, LabOutputs } from "../lab/spec";

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

/** The packets of one scenario as the client node's net0 sees them. */
export function scenarioPackets(clientIp: string, serverIp: string, outer: { src: string; dst: string } | null): Buffer[] {
  const wrap = (inner: Buffer, forward: boolean): Buffer => {
    const pkt = outer ? ipv4({ src: forward ? outer.src : outer.dst, dst: forward ? outer.dst : outer.src, protocol: 4, payload: inner, ttl: 64 }) : inner;
    return ethernet(ETHERTYPE.IPV4, pkt);
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

export async function writeScenarioPcap(file: string, clientIp: string, serverIp: string, outer: { src: string; dst: string } | null): Promise<number> {
  const frames = scenarioPackets(clientIp, serverIp, outer);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, pcapFile({ linkType: 1 }, frames.map((data, i) => ({ data, ts: 1700000000 + i / 10 }))));
  return frames.length;
}

function route(dst: string, via: string, dev: string, src: string): string[] {
  return [`${dst} via ${via} dev ${dev} src ${src} uid 0`, "    cache"];
}

export interface SeedOptions {
  mode: IpipMode;
  /** Folder for the pcaps; with `writePcaps: false` they are named but not written. */
  captureDir: string;
  writePcaps?: boolean;
  labName?: string;
  /** Force the observed encapsulation of a scenario (to make it fail). */
  observe?: Partial<Record<string, Encapsulation | "missing">>;
}

/** The seed lab's outputs in `mode`, with scenarios same-subnet (1→2) and cross-subnet (1→3). */
export async function seedOutputs(o: SeedOptions): Promise<LabOutputs> {
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
    const expected: Encapsulation = o.mode === "Always" || cn.subnet !== sn.subnet ? "ipip" : "none";
    const observed = o.observe?.[sc.name] ?? expected;
    const outer = observed === "ipip" ? { src: cn.ip, dst: sn.ip } : null;
    const pcap = path.join(o.captureDir, `${sc.name}.pcap`);
    let packets = 0;
    if (o.writePcaps !== false) packets = observed === "missing" ? 0 : await writeScenarioPcap(pcap, cp.ip, sp.ip, outer);
    if (o.writePcaps !== false && observed === "missing") await writeScenarioPcap(pcap, "10.9.9.9", "10.9.9.8", null);
    const dev = expected === "ipip" ? "tunl0" : "net0";
    const pass = observed === expected;
    captures.push({
      scenario: sc.name,
      client: { pod: cp.name, ip: cp.ip, node: cn.name, nodeIp: cn.ip },
      server: { pod: sp.name, ip: sp.ip, node: sn.name, nodeIp: sn.ip },
      point: { node: cn.name, interface: "net0" },
      pcap,
      packets: packets || 16,
      expected,
      observed,
      outer: outer ? { ...outer, protocol: 4 } : null,
      pass,
      reason: pass ? "" : `expected ${expected} between ${cp.ip} and ${sp.ip} but the packets were ${observed}`,
      routes: {
        client: route(sp.ip, sn.ip, dev, expected === "ipip" ? "10.244.0.0" : cn.ip),
        server: route(cp.ip, cn.ip, dev, expected === "ipip" ? "10.244.0.128" : sn.ip),
      },
    });
  }
  return {
    lab: { name: o.labName ?? `calico-${o.mode === "Always" ? "ipip" : "crosssubnet"}`, backend: "netns", ipipMode: o.mode, vxlanMode: "Never", controlPlane: "bird", podSubnet: "10.244.0.0/16", dataplane: "userspace-ipip", mtu: 1500 },
    router: {
      name: "gw0",
      interfaces: [
        { name: "eth1", ip: "10.1.5.1", subnet: "10.1.5.0/24", segment: SEED_NODES[0].segment },
        { name: "eth2", ip: "10.1.8.1", subnet: "10.1.8.0/24", segment: SEED_NODES[2].segment },
      ],
    },
    nodes: SEED_NODES.map((n) => ({ ...n, bgpPeers: SEED_NODES.filter((p) => p !== n).map((p) => ({ peer: p.ip, state: "Established" })), routes: [] })),
    pods: SEED_PODS.map((p) => ({ ...p })),
    captures,
    verdict: captures.length > 0 && captures.every((c) => c.pass) ? "pass" : "fail",
  };
}
