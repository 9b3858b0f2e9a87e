import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { buildReport, captureView, flowTitle, resultRows } from "../../report/model";
import type { PacketHeaders } from "../../report/packets";
import { fiveStackOutputs, seedOutputs } from "./fixtures";

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "report-model-"));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("resultRows", () => {
  it("one row per scenario, one cell per stack, in the order given", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: dir, writePcaps: false });
    const c = await seedOutputs({ mode: "CrossSubnet", captureDir: dir, writePcaps: false });
    const rows = resultRows([
      { name: "ipip", outputs: a },
      { name: "crosssubnet", outputs: c },
    ]);
    expect(rows.map((r) => r.scenario)).toEqual(["same-subnet", "cross-subnet"]);
    expect(rows[0].path).toBe("pod-0 on lab-control-plane → pod-1 on lab-worker");
    expect(rows[0].cells.map((x) => [x.stack, x.expected, x.observed, x.outer, x.inner, x.pass])).toEqual([
      ["ipip", "IPIP", "IPIP", "10.1.5.10 → 10.1.5.11 (proto 4)", "10.244.0.1 → 10.244.0.65", true],
      ["crosssubnet", "plain", "plain", "—", "10.244.0.1 → 10.244.0.65", true],
    ]);
    expect(rows[1].cells.map((x) => x.outer)).toEqual(["10.1.5.10 → 10.1.8.10 (proto 4)", "10.1.5.10 → 10.1.8.10 (proto 4)"]);
    expect(rows.every((r) => !r.failed)).toBe(true);
  });

  it("takes the union of scenarios; a stack without one gets an absent cell", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: dir, writePcaps: false });
    const c = await seedOutputs({ mode: "CrossSubnet", captureDir: dir, writePcaps: false });
    c.captures = [c.captures[1], { ...c.captures[0], scenario: "extra" }];
    const rows = resultRows([
      { name: "a", outputs: a },
      { name: "c", outputs: c },
    ]);
    expect(rows.map((r) => r.scenario)).toEqual(["same-subnet", "cross-subnet", "extra"]);
    expect(rows[0].cells[1]).toEqual({ stack: "c", present: false });
    expect(rows[2].cells[0].present).toBe(false);
    expect(rows[2].cells[1].present).toBe(true);
  });

  it("marks failures and carries the reason (or makes one when the outputs have none)", async () => {
    const c = await seedOutputs({ mode: "CrossSubnet", captureDir: dir, writePcaps: false, observe: { "same-subnet": "ipip" } });
    c.captures[1] = { ...c.captures[1], pass: false, observed: "missing", reason: "" };
    const rows = resultRows([{ name: "c", outputs: c }]);
    expect(rows[0].failed).toBe(true);
    expect(rows[0].cells[0].reason).toMatch(/expected none .* but the packets were ipip/);
    expect(rows[1].cells[0].reason).toBe("expected IPIP, observed no packets");
  });
});

describe("captureView and buildReport", () => {
  it("reads each capture's pcap into flows with their MTU effect", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "a") });
    const c = await seedOutputs({ mode: "CrossSubnet", captureDir: path.join(dir, "c") });
    const m = await buildReport(
      [
        { name: "ipip", outputs: a },
        { name: "crosssubnet", outputs: c },
      ],
      { now: new Date("2025-01-02T03:04:05Z") },
    );
    expect(m.generatedAt).toBe("2025-01-02T03:04:05.000Z");
    expect(m.title).toBe("Calico encapsulation lab: ipip vs crosssubnet");
    expect(m.verdict).toBe("pass");
    expect(m.stacks.map((s) => s.captures.map((v) => v.flows.map((f) => f.mtu.innerMtu)))).toEqual([
      [
        [1480, 1480, 1480, 1480],
        [1480, 1480, 1480, 1480],
      ],
      [
        [1500, 1500, 1500, 1500],
        [1480, 1480, 1480, 1480],
      ],
    ]);
    expect(m.stacks[1].captures[0].flows[0].title).toBe("10.244.0.1 → 10.244.0.65 TCP · 4 packets · plain");
    expect(m.stacks[0].captures[1].flows[0].title).toBe("10.244.0.1 → 10.244.0.129 TCP · 4 packets · IPIP 10.1.5.10 → 10.1.8.10");
    expect(m.stacks[0].topology.paths).toHaveLength(2);
  });

  it("says so when the pcap is not on this machine, or holds nothing between the pods", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "absent"), writePcaps: false });
    const v = captureView(1, a.captures[0], { file: a.captures[0].pcap, exists: false, packets: 0, flows: [] });
    expect(v.note).toMatch(/not on this machine/);
    const w = captureView(1, a.captures[0], { file: a.captures[0].pcap, exists: true, packets: 3, flows: [], error: "the file ends inside a packet record (at byte 99)" });
    expect(w.note).toMatch(/3 packets but none between 10.244.0.1 and 10.244.0.65/);
    expect(w.note).toMatch(/could not be read to its end/);
  });

  it("fails overall when any stack failed", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "f"), observe: { "cross-subnet": "none" } });
    const m = await buildReport([{ name: "x", outputs: a }]);
    expect(m.verdict).toBe("fail");
    expect(m.stacks[0].failures.map((c) => c.scenario)).toEqual(["cross-subnet"]);
  });

  it("shows verify's judgement, not only the outputs' claims: a pass claimed for a mismatch fails", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "claim"), writePcaps: false });
    a.captures[1] = { ...a.captures[1], observed: "none", outer: null };
    const m = await buildReport([{ name: "x", outputs: a }]);
    expect(m.verdict).toBe("fail");
    expect(m.stacks[0].outputs.verdict).toBe("fail");
    expect(m.stacks[0].failures.map((c) => [c.scenario, c.reason])).toEqual([["cross-subnet", "the outputs say it passed, but none was observed where ipip was expected"]]);
    expect(m.rows[1].cells[0]).toMatchObject({ pass: false, reason: "the outputs say it passed, but none was observed where ipip was expected" });
    expect(m.stacks[0].topology.paths[1].pass).toBe(false);
  });

  it("five stacks: their modes in words, the pods' MTU, and what each encapsulation costs on the wire", async () => {
    const m = await buildReport(await fiveStackOutputs(path.join(dir, "five")));
    expect(m.title).toBe("Calico encapsulation lab: ipip vs crosssubnet vs bgp vs vxlan vs vxlancrosssubnet");
    expect(m.verdict).toBe("pass");
    expect(m.stacks.map((s) => [s.name, s.modes, s.podMtu])).toEqual([
      ["ipip", "IPIP Always", 1480],
      ["crosssubnet", "IPIP CrossSubnet", 1480],
      ["bgp", "no encapsulation", 1500],
      ["vxlan", "VXLAN Always", 1450],
      ["vxlancrosssubnet", "VXLAN CrossSubnet", 1450],
    ]);
    // 12 packets between the pods; 1843 bytes when plain, each packet 20 (IPIP) or 50 (VXLAN) bytes more
    const cost = (scenario: string): unknown[][] =>
      m.comparison.find((r) => r.scenario === scenario)!.cells.map((c) => [c.stack, c.perPacket, c.wire?.bytes, Number(c.share!.toFixed(4)), c.wire?.encapsulations]);
    expect(cost("same-subnet")).toEqual([
      ["ipip", 20, 2083, 0.1152, ["ipip"]],
      ["crosssubnet", 0, 1843, 0, ["none"]],
      ["bgp", 0, 1843, 0, ["none"]],
      ["vxlan", 50, 2443, 0.2456, ["vxlan"]],
      ["vxlancrosssubnet", 0, 1843, 0, ["none"]],
    ]);
    expect(cost("cross-subnet").map((c) => c[1])).toEqual([20, 20, 0, 50, 50]);
    const vx = m.stacks[3].captures[1];
    expect(vx.flows[0].title).toBe("10.244.0.1 → 10.244.0.129 TCP · 4 packets · VXLAN 10.1.5.10 → 10.1.8.10 udp 43121 → 4789 VNI 4096");
    expect(vx.flows[0].mtu.text).toBe("VXLAN adds 50 bytes in front of the pod's packet (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14): MTU 1500 → 1450 (vxlan.calico's MTU).");
  });

  it("a stack without a scenario, or without its pcap, says so in the comparison", async () => {
    const a = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "cmp-a"), writePcaps: false });
    const b = await seedOutputs({ mode: "Always", captureDir: path.join(dir, "cmp-b") });
    b.captures = [b.captures[0]];
    const m = await buildReport([
      { name: "a", outputs: a },
      { name: "b", outputs: b },
    ]);
    expect(m.comparison[1].cells).toEqual([
      { stack: "a", present: true, note: "pcap not on this machine" },
      { stack: "b", present: false },
    ]);
  });

  it("flowTitle", () => {
    const flow = { encapsulation: "none" as const, outerSrc: null, outerDst: null, innerSrc: "a", innerDst: "b", protocol: 1, packets: 1, bytes: 98, overheadBytes: 0, sample: {} as PacketHeaders };
    expect(flowTitle(flow)).toBe("a → b ICMP · 1 packet · plain");
    const vxlan = { ...flow, encapsulation: "vxlan" as const, outerSrc: "n1", outerDst: "n3", packets: 2, sample: { vxlan: { srcPort: 40000, dstPort: 4789, vni: 4096 } } as PacketHeaders };
    expect(flowTitle(vxlan)).toBe("a → b ICMP · 2 packets · VXLAN n1 → n3 udp 40000 → 4789 VNI 4096");
  });
});
