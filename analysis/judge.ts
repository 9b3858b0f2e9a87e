/**
 * The scenario judge: from a file's flows, what the packets between two pods showed and
 * whether that is the encapsulation the scenario expects.
 */
import type { Encapsulation, IgnoredPackets, OuterHeader } from "../model/spec";
import type { FileAnalysis, Flow, ScenarioJudgement } from "./types";

const WORDS: Record<Encapsulation, string> = {
  ipip: "IP-in-IP encapsulated",
  vxlan: "VXLAN encapsulated",
  none: "plain",
};

const NAMES: Record<Encapsulation, string> = { ipip: "IP-in-IP", vxlan: "VXLAN", none: "plain" };

const ORDER: readonly Encapsulation[] = ["ipip", "vxlan", "none"];

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * What makes an encapsulated packet the lab's. Felix drops IPIP and VXLAN from hosts that
 * are not nodes, and the lab's VXLAN uses one UDP port: a tunnel packet between the pods
 * from elsewhere, or on another port, is someone else's and must not decide the verdict.
 */
export interface LabIdentity {
  /** The underlay addresses of the lab's nodes. */
  nodes: readonly string[];
  /** The UDP destination port of the lab's VXLAN (Calico's 4789). */
  vxlanPort: number;
}

/** Why a flow is not the lab's, or undefined when it is (or when there is no lab to compare with). */
function foreign(f: Flow, lab: LabIdentity | undefined): string | undefined {
  if (lab === undefined || f.encapsulation === "none") return undefined;
  if (f.encapsulation === "vxlan" && f.outerDstPort !== lab.vxlanPort) return `${NAMES.vxlan} on UDP port ${f.outerDstPort} (the lab's VXLAN port is ${lab.vxlanPort})`;
  const strangers = [f.outerSrc ?? "", f.outerDst ?? ""].filter((a) => !lab.nodes.includes(a));
  if (strangers.length === 0) return undefined;
  return `${NAMES[f.encapsulation]} to or from ${[...new Set(strangers)].join(" and ")}, which ${strangers.length === 1 ? "is" : "are"} no node of the lab`;
}

/**
 * Judges one scenario. Only flows whose inner source and destination are the two pod
 * addresses (either direction) count, and, given `lab`, only tunnel packets between the
 * lab's nodes (VXLAN on its port): the others are listed in `ignored`. No counted packet
 * is never a pass; packets of more than one kind are "mixed" and fail.
 */
export function judgeScenario(analysis: FileAnalysis, clientIp: string, serverIp: string, expected: Encapsulation, lab?: LabIdentity): ScenarioJudgement {
  const between = `between ${clientIp} and ${serverIp}`;
  const pods = analysis.flows.filter(
    (f) => (f.innerSrc === clientIp && f.innerDst === serverIp) || (f.innerSrc === serverIp && f.innerDst === clientIp),
  );
  const setAside = new Map<string, number>();
  const flows: Flow[] = [];
  for (const f of pods) {
    const why = foreign(f, lab);
    if (why === undefined) flows.push(f);
    else setAside.set(why, (setAside.get(why) ?? 0) + f.packets);
  }
  const ignored: IgnoredPackets[] = [...setAside].map(([reason, packets]) => ({ packets, reason }));
  const notCounted = ignored.length ? `; not counted: ${ignored.map((i) => `${plural(i.packets, "packet", "packets")} of ${i.reason}`).join("; ")}` : "";
  const packets = flows.reduce((n, f) => n + f.packets, 0);
  const unread = analysis.error ? ` (the file could not be read to its end: ${analysis.error.message} at byte ${analysis.error.offset})` : "";
  if (packets === 0) {
    return {
      observed: "missing",
      outer: null,
      packets: 0,
      pass: false,
      reason: `expected ${expected} ${between} but the capture holds no ${ignored.length ? "packet of the lab's" : "packet"} ${between} (${plural(analysis.packets, "packet", "packets")} read)${unread}${notCounted}`,
      ignored,
    };
  }
  const byKind = new Map<Encapsulation, number>();
  for (const f of flows) byKind.set(f.encapsulation, (byKind.get(f.encapsulation) ?? 0) + f.packets);
  if (byKind.size > 1) {
    const parts = ORDER.filter((k) => byKind.has(k)).map((k) => `${byKind.get(k)} ${WORDS[k]}`);
    return {
      observed: "mixed",
      outer: null,
      packets,
      pass: false,
      reason: `expected ${expected} ${between} but the ${packets} packets were mixed: ${parts.join(", ")}${unread}${notCounted}`,
      ignored,
    };
  }
  const observed = flows[0].encapsulation;
  const outer = observed === "none" ? null : outerHeader(flows, clientIp, serverIp, observed);
  const pass = observed === expected;
  return {
    observed,
    outer,
    packets,
    pass,
    reason: pass ? "" : `expected ${expected} ${between} but ${packets === 1 ? "the only packet was" : `the ${packets} packets were`} ${WORDS[observed]}${unread}${notCounted}`,
    ignored,
  };
}

/**
 * The outer header of the client→server direction (its busiest flow), with VXLAN's ports
 * and VNI. When only the server→client direction was captured, its outer addresses are
 * reported swapped; its destination port and VNI are the tunnel's too, but its source
 * port is the server's choice, so none is reported.
 */
function outerHeader(flows: Flow[], clientIp: string, serverIp: string, enc: Encapsulation): OuterHeader {
  const protocol = enc === "ipip" ? 4 : 17;
  const busiest = (fs: Flow[]): Flow | undefined => fs.reduce<Flow | undefined>((a, f) => (a === undefined || f.packets > a.packets ? f : a), undefined);
  const udp = (f: Flow, withSource: boolean): Partial<OuterHeader> =>
    enc === "vxlan" ? { ...(withSource ? { srcPort: f.outerSrcPort } : {}), dstPort: f.outerDstPort, vni: f.vni } : {};
  const forward = busiest(flows.filter((f) => f.innerSrc === clientIp && f.innerDst === serverIp));
  if (forward) return { src: forward.outerSrc ?? "", dst: forward.outerDst ?? "", protocol, ...udp(forward, true) };
  const back = busiest(flows) as Flow;
  return { src: back.outerDst ?? "", dst: back.outerSrc ?? "", protocol, ...udp(back, false) };
}
