import { expectedEncapsulation, ipipOnly } from "../model/expect";
import { FileAnalysis, Flow, judgeScenario } from "./index";

const C = "10.244.0.1";
const S = "10.244.2.1";

function flow(encapsulation: Flow["encapsulation"], src: string, dst: string, packets: number, outer?: [string, string], udp?: [number, number, number]): Flow {
  return {
    encapsulation,
    outerSrc: outer ? outer[0] : null,
    outerDst: outer ? outer[1] : null,
    ...(udp ? { outerSrcPort: udp[0], outerDstPort: udp[1], vni: udp[2] } : {}),
    innerSrc: src,
    innerDst: dst,
    innerProtocol: 1,
    packets,
    bytes: packets * 100,
  };
}

function analysis(flows: Flow[], extra: Partial<FileAnalysis> = {}): FileAnalysis {
  return {
    file: "x.pcap",
    format: "pcap",
    linkTypes: [1],
    packets: flows.reduce((n, f) => n + f.packets, 0) + 3,
    flows,
    skipped: { truncated: 0, fragments: 0, nonIPv4: 3, malformed: 0 },
    ...extra,
  };
}

const fwd: [string, string] = ["10.1.5.10", "10.1.8.10"];
const back: [string, string] = ["10.1.8.10", "10.1.5.10"];

describe("judgeScenario", () => {
  test("ipip both ways passes when ipip is expected; outer is the client→server header", () => {
    const a = analysis([flow("ipip", S, C, 7, back), flow("ipip", C, S, 5, fwd), flow("none", "10.1.5.10", "10.1.5.1", 40)]);
    expect(judgeScenario(a, C, S, "ipip")).toEqual({
      observed: "ipip",
      outer: { src: "10.1.5.10", dst: "10.1.8.10", protocol: 4 },
      packets: 12,
      pass: true,
      reason: "",
      ignored: [],
    });
  });

  test("plain packets when ipip is expected fail with a sentence", () => {
    const a = analysis([flow("none", C, S, 6), flow("none", S, C, 6)]);
    expect(judgeScenario(a, C, S, "ipip")).toEqual({
      observed: "none",
      outer: null,
      packets: 12,
      pass: false,
      reason: "expected ipip between 10.244.0.1 and 10.244.2.1 but the 12 packets were plain",
      ignored: [],
    });
    expect(judgeScenario(a, C, S, "none").pass).toBe(true);
    expect(judgeScenario(a, S, C, "none").packets).toBe(12);
  });

  test("one packet reads naturally", () => {
    expect(judgeScenario(analysis([flow("vxlan", C, S, 1, fwd)]), C, S, "ipip").reason).toBe(
      "expected ipip between 10.244.0.1 and 10.244.2.1 but the only packet was VXLAN encapsulated",
    );
  });

  test("vxlan: outer protocol 17, UDP ports and VNI of the client→server direction", () => {
    const j = judgeScenario(analysis([flow("vxlan", S, C, 9, back, [51000, 4789, 4096]), flow("vxlan", C, S, 3, fwd, [40000, 4789, 4096])]), C, S, "vxlan");
    expect(j.pass).toBe(true);
    expect(j.outer).toEqual({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 17, srcPort: 40000, dstPort: 4789, vni: 4096 });
    // Only the reply captured: its source port is the server's choice, so none is said.
    const back1 = judgeScenario(analysis([flow("vxlan", S, C, 9, back, [51000, 4789, 4096])]), C, S, "vxlan");
    expect(back1.outer).toEqual({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 17, dstPort: 4789, vni: 4096 });
  });

  describe("given the lab's nodes and VXLAN port, other tunnels are set aside", () => {
    const lab = { nodes: ["10.1.5.10", "10.1.5.11", "10.1.8.10"], vxlanPort: 4789 };
    const ours = flow("vxlan", C, S, 5, fwd, [40000, 4789, 4096]);

    test("VXLAN on another port: counted apart, the lab's packets still judged", () => {
      const a = analysis([ours, flow("vxlan", C, S, 3, fwd, [40000, 8472, 4096]), flow("vxlan", S, C, 2, back, [41000, 8472, 4096])]);
      const j = judgeScenario(a, C, S, "vxlan", lab);
      expect(j).toEqual({
        observed: "vxlan",
        outer: { src: "10.1.5.10", dst: "10.1.8.10", protocol: 17, srcPort: 40000, dstPort: 4789, vni: 4096 },
        packets: 5,
        pass: true,
        reason: "",
        ignored: [{ packets: 5, reason: "VXLAN on UDP port 8472 (the lab's VXLAN port is 4789)" }],
      });
      // without the lab, every tunnel packet between the pods counts
      expect(judgeScenario(a, C, S, "vxlan").packets).toBe(10);
    });

    test("to or from an address that is no node: counted apart; only such packets is missing", () => {
      const stranger = flow("vxlan", C, S, 4, ["10.9.9.9", "10.1.8.10"], [40000, 4789, 4096]);
      const both = flow("ipip", S, C, 1, ["10.1.8.99", "10.9.9.9"]);
      const j = judgeScenario(analysis([stranger, both]), C, S, "vxlan", lab);
      expect(j.observed).toBe("missing");
      expect(j.pass).toBe(false);
      expect(j.ignored).toEqual([
        { packets: 4, reason: "VXLAN to or from 10.9.9.9, which is no node of the lab" },
        { packets: 1, reason: "IP-in-IP to or from 10.1.8.99 and 10.9.9.9, which are no node of the lab" },
      ]);
      expect(j.reason).toBe(
        "expected vxlan between 10.244.0.1 and 10.244.2.1 but the capture holds no packet of the lab's between 10.244.0.1 and 10.244.2.1 (8 packets read); " +
          "not counted: 4 packets of VXLAN to or from 10.9.9.9, which is no node of the lab; 1 packet of IP-in-IP to or from 10.1.8.99 and 10.9.9.9, which are no node of the lab",
      );
    });

    test("plain packets are never set aside, and a failure says what was not counted", () => {
      const j = judgeScenario(analysis([flow("none", C, S, 6), flow("vxlan", C, S, 2, fwd, [1, 4790, 1])]), C, S, "vxlan", lab);
      expect([j.observed, j.packets, j.pass]).toEqual(["none", 6, false]);
      expect(j.reason).toBe("expected vxlan between 10.244.0.1 and 10.244.2.1 but the 6 packets were plain; not counted: 2 packets of VXLAN on UDP port 4790 (the lab's VXLAN port is 4789)");
    });
  });

  test("only the server→client direction captured: outer reported from the client's side", () => {
    const j = judgeScenario(analysis([flow("ipip", S, C, 4, back)]), C, S, "ipip");
    expect(j.outer).toEqual({ src: "10.1.5.10", dst: "10.1.8.10", protocol: 4 });
  });

  test("no packets between the pods is missing, never a pass", () => {
    const j = judgeScenario(analysis([flow("ipip", C, "10.244.3.1", 4, fwd), flow("none", "10.244.2.1", "10.244.9.9", 2)]), C, S, "none");
    expect(j).toEqual({
      observed: "missing",
      outer: null,
      packets: 0,
      pass: false,
      reason: "expected none between 10.244.0.1 and 10.244.2.1 but the capture holds no packet between 10.244.0.1 and 10.244.2.1 (9 packets read)",
      ignored: [],
    });
    expect(judgeScenario(analysis([], { packets: 0 }), C, S, "ipip").pass).toBe(false);
  });

  test("several encapsulations are mixed and fail", () => {
    const j = judgeScenario(analysis([flow("ipip", C, S, 8, fwd), flow("none", S, C, 4)]), C, S, "ipip");
    expect(j.observed).toBe("mixed");
    expect(j.pass).toBe(false);
    expect(j.packets).toBe(12);
    expect(j.reason).toBe("expected ipip between 10.244.0.1 and 10.244.2.1 but the 12 packets were mixed: 8 IP-in-IP encapsulated, 4 plain");
  });

  test("a read error is mentioned in the reason", () => {
    const j = judgeScenario(analysis([], { error: { offset: 1234, message: "the file ends inside a packet record header (3 of 16 bytes)" } }), C, S, "ipip");
    expect(j.reason).toMatch(/could not be read to its end: the file ends inside a packet record header \(3 of 16 bytes\) at byte 1234/);
  });

  test("works with the expected matrix of model/expect.ts", () => {
    const n1 = { name: "n1", ip: "10.1.5.10", prefixLength: 24 };
    const n2 = { name: "n2", ip: "10.1.5.11", prefixLength: 24 };
    const n3 = { name: "n3", ip: "10.1.8.10", prefixLength: 24 };
    const plain = analysis([flow("none", C, S, 4)]);
    const wrapped = analysis([flow("ipip", C, S, 4, fwd)]);
    expect(judgeScenario(plain, C, S, expectedEncapsulation(ipipOnly("CrossSubnet"), n1, n2)).pass).toBe(true);
    expect(judgeScenario(wrapped, C, S, expectedEncapsulation(ipipOnly("CrossSubnet"), n1, n3)).pass).toBe(true);
    expect(judgeScenario(plain, C, S, expectedEncapsulation(ipipOnly("Always"), n1, n2)).pass).toBe(false);
  });
});
