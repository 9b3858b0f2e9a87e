/**
 * The scenario judge: from a file's flows, what the packets between two pods showed and
 * whether that is the encapsulation the scenario expects.
 */
import type { Encapsulation } from "../lab/spec";
import type { FileAnalysis, Flow, ScenarioJudgement } from "./types";

const WORDS: Record<Encapsulation, string> = {
  ipip: "IP-in-IP encapsulated",
  vxlan: "VXLAN encapsulated",
  none: "plain",
};

const ORDER: readonly Encapsulation[] = ["ipip", "vxlan", "none"];

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Judges one scenario. Only flows whose inner source and destination are the two pod
 * addresses (either direction) count. No such packets is never a pass; packets of more
 * than one kind are "mixed" and fail.
 */
export function judgeScenario(analysis: FileAnalysis, clientIp: string, serverIp: string, expected: Encapsulation): ScenarioJudgement {
  const between = `between ${clientIp} and ${serverIp}`;
  const flows = analysis.flows.filter(
    (f) => (f.innerSrc === clientIp && f.innerDst === serverIp) || (f.innerSrc === serverIp && f.innerDst === clientIp),
  );
  const packets = flows.reduce((n, f) => n + f.packets, 0);
  const unread = analysis.error ? ` (the file could not be read to its end: ${analysis.error.message} at byte ${analysis.error.offset})` : "";
  if (packets === 0) {
    return {
      observed: "missing",
      outer: null,
      packets: 0,
      pass: false,
      reason: `expected ${expected} ${between} but the capture holds no packet ${between} (${plural(analysis.packets, "packet", "packets")} read)${unread}`,
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
      reason: `expected ${expected} ${between} but the ${packets} packets were mixed: ${parts.join(", ")}${unread}`,
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
    reason: pass ? "" : `expected ${expected} ${between} but ${packets === 1 ? "the only packet was" : `the ${packets} packets were`} ${WORDS[observed]}${unread}`,
  };
}

/**
 * The outer header of the client→server direction (its busiest flow). When only the
 * server→client direction was captured, its outer addresses are reported swapped.
 */
function outerHeader(flows: Flow[], clientIp: string, serverIp: string, enc: Encapsulation): { src: string; dst: string; protocol: number } {
  const protocol = enc === "ipip" ? 4 : 17;
  const busiest = (fs: Flow[]): Flow | undefined => fs.reduce<Flow | undefined>((a, f) => (a === undefined || f.packets > a.packets ? f : a), undefined);
  const forward = busiest(flows.filter((f) => f.innerSrc === clientIp && f.innerDst === serverIp));
  if (forward) return { src: forward.outerSrc ?? "", dst: forward.outerDst ?? "", protocol };
  const back = busiest(flows) as Flow;
  return { src: back.outerDst ?? "", dst: back.outerSrc ?? "", protocol };
}
