import { spawnSync } from "child_process";
import * as path from "path";
import type { CaptureResult, LabOutputs } from "../model/spec";
import { EXIT, formatReport, formatTable, judgedOutputs, parseVerifyArgs, verifyExitCode, verifyRows, verifySource } from "./verify";

function capture(scenario: string, expected: CaptureResult["expected"], observed: CaptureResult["observed"], pass: boolean, reason = ""): CaptureResult {
  return {
    scenario,
    client: { pod: "pod-0", ip: "10.244.0.1", node: "lab-control-plane", nodeIp: "10.1.5.10" },
    server: { pod: "pod-2", ip: "10.244.2.1", node: "lab-worker2", nodeIp: "10.1.8.10" },
    point: { node: "lab-control-plane", interface: "net0" },
    pcap: "/tmp/x.pcap",
    packets: 12,
    expected,
    observed,
    outer: observed === "ipip" ? { src: "10.1.5.10", dst: "10.1.8.10", protocol: 4 } : null,
    pass,
    reason,
    routes: { client: ["10.244.2.0/26 via 10.1.8.10 dev tunl0 proto bird onlink"], server: [] },
  };
}

function outputs(captures: CaptureResult[]): LabOutputs {
  return {
    lab: { name: "lab", backend: "netns", ipipMode: "CrossSubnet", vxlanMode: "Never", controlPlane: "bird", podSubnet: "10.244.0.0/16", dataplane: "userspace-ipip", mtu: 1500 },
    router: { name: "gw0", interfaces: [{ name: "eth1", ip: "10.1.5.1", subnet: "10.1.5.0/24", segment: "br-pool0" }] },
    nodes: [{ name: "lab-control-plane", role: "control-plane", ip: "10.1.5.10", prefixLength: 24, subnet: "10.1.5.0/24", segment: "br-pool0", bgpPeers: [], routes: [] }],
    pods: [{ name: "pod-0", ip: "10.244.0.1", node: "lab-control-plane" }],
    captures,
    verdict: captures.length > 0 && captures.every((c) => c.pass) ? "pass" : "fail",
  };
}

const good = outputs([capture("cross-subnet", "ipip", "ipip", true), capture("same-subnet", "none", "none", true)]);

describe("arguments", () => {
  test("sources", () => {
    expect(parseVerifyArgs([])).toEqual({ source: { kind: "stack" } });
    expect(parseVerifyArgs(["--", "--stack", "ipip"])).toEqual({ source: { kind: "stack", name: "ipip" } });
    expect(parseVerifyArgs(["--outputs", "o.json"])).toEqual({ source: { kind: "file", path: "o.json" } });
    expect(parseVerifyArgs(["-"])).toEqual({ source: { kind: "stdin" } });
    expect(parseVerifyArgs(["--stack"])).toEqual({ error: "--stack needs a stack name" });
    expect(parseVerifyArgs(["--bogus"])).toEqual({ error: "unknown argument --bogus" });
  });
});

describe("verifySource", () => {
  const stdin = (text: string) => ({ stdin: async () => text });

  test("judges outputs that follow the contract; unusable ones exit 2 saying why, each problem by its path", async () => {
    expect(await verifySource({ kind: "stdin" }, stdin(JSON.stringify(good)))).toMatchObject({ stderr: "", code: EXIT.PASS });
    const bad = JSON.parse(JSON.stringify(good));
    bad.lab.ipipMode = "Sometimes";
    delete bad.pods;
    expect(await verifySource({ kind: "stdin" }, stdin(JSON.stringify(bad)))).toEqual({
      stdout: "",
      stderr: [
        "verify: standard input: the outputs do not follow the LabOutputs contract (model/spec.ts):",
        '  - lab.ipipMode: expected one of "Always", "CrossSubnet", "Never", got string "Sometimes"',
        "  - pods: expected an array, got nothing (missing)",
        "",
      ].join("\n"),
      code: EXIT.UNUSABLE,
    });
    expect((await verifySource({ kind: "stdin" }, stdin("{oops"))).stderr).toMatch(/^verify: standard input: not JSON /);
  });

  test("a stack's outputs through pulumi; a failing pulumi is unusable, not a bug", async () => {
    const pulumi = async (args: string[]) => ({ stdout: args.includes("ipip") ? JSON.stringify(good) : "", stderr: "no such stack", code: args.includes("ipip") ? 0 : 255, missing: false });
    expect((await verifySource({ kind: "stack", name: "ipip" }, { pulumi })).stdout).toContain("PASS: all 2 captures");
    expect(await verifySource({ kind: "stack", name: "nope" }, { pulumi })).toMatchObject({ stdout: "", code: EXIT.UNUSABLE, stderr: expect.stringMatching(/^verify: --stack nope: .* failed \(exit 255\)/) });
  });
});

describe("verdicts", () => {
  test("all pass → 0, table lists every capture", () => {
    const rows = verifyRows(good);
    expect(verifyExitCode(rows)).toBe(EXIT.PASS);
    const table = formatTable(rows).split("\n");
    expect(table[0]).toMatch(/^scenario\s+from\s+to\s+expected\s+observed\s+outer header\s+pass$/);
    expect(table[2]).toMatch(/^cross-subnet\s+pod-0 10.244.0.1 \(lab-control-plane\)\s+pod-2 10.244.2.1 \(lab-worker2\)\s+ipip\s+ipip\s+10.1.5.10 > 10.1.8.10 proto 4\s+PASS$/);
    expect(table[3]).toMatch(/^same-subnet .* none\s+none\s+-\s+PASS$/);
    const report = formatReport(good, rows).split("\n");
    expect(report[report.length - 1]).toBe("PASS: all 2 captures show the expected encapsulation (lab lab, netns backend, IPIP CrossSubnet, userspace-ipip data plane)");
  });

  test("a failure → 1, with its reason and the final line naming it", () => {
    const o = outputs([capture("cross-subnet", "ipip", "none", false, "expected ipip between 10.244.0.1 and 10.244.2.1 but the 12 packets were plain"), capture("same", "none", "none", true)]);
    const rows = verifyRows(o);
    expect(verifyExitCode(rows)).toBe(EXIT.FAIL);
    const report = formatReport(o, rows);
    expect(report).toContain("cross-subnet: expected ipip between 10.244.0.1 and 10.244.2.1 but the 12 packets were plain");
    expect(report.split("\n").pop()).toMatch(/^FAIL: 1 of 2 captures failed: cross-subnet/);
  });

  test("outputs claiming a pass for a mismatch fail", () => {
    const o = outputs([capture("x", "ipip", "none", true)]);
    const rows = verifyRows(o);
    expect(rows[0].pass).toBe(false);
    expect(rows[0].reason).toBe("the outputs say it passed, but none was observed where ipip was expected");
    expect(verifyExitCode(rows)).toBe(EXIT.FAIL);
    expect(formatReport(o, rows)).toContain('the stack\'s own verdict says "pass"');
  });

  test("VXLAN: the outer header with its ports and VNI; packets not the lab's are noted under a pass", () => {
    const vx: CaptureResult = {
      ...capture("cross-subnet", "vxlan", "vxlan", true),
      outer: { src: "10.1.5.10", dst: "10.1.8.10", protocol: 17, srcPort: 40123, dstPort: 4789, vni: 4096 },
      ignored: [{ packets: 3, reason: "VXLAN on UDP port 8472 (the lab's VXLAN port is 4789)" }],
    };
    const o = { ...outputs([vx]), lab: { ...outputs([]).lab, ipipMode: "Never" as const, vxlanMode: "Always" as const } };
    const rows = verifyRows(o);
    expect(rows[0].outer).toBe("10.1.5.10 > 10.1.8.10 proto 17 udp 40123 > 4789 vni 4096");
    expect(verifyExitCode(rows)).toBe(EXIT.PASS);
    const report = formatReport(o, rows).split("\n");
    expect(report).toContain("cross-subnet: not counted: 3 packets of VXLAN on UDP port 8472 (the lab's VXLAN port is 4789)");
    expect(report[report.length - 1]).toBe("PASS: all 1 captures show the expected encapsulation (lab lab, netns backend, VXLAN Always, userspace-ipip data plane)");
  });

  test("an expectation the outputs' own modes contradict fails", () => {
    const o = outputs([capture("same-subnet", "ipip", "ipip", true)]);
    o.captures[0].server = { pod: "pod-1", ip: "10.244.1.1", node: "lab-worker", nodeIp: "10.1.5.11" };
    o.nodes.push({ ...o.nodes[0], name: "lab-worker", role: "worker", ip: "10.1.5.11" });
    const rows = verifyRows(o);
    expect(rows[0].pass).toBe(false);
    expect(rows[0].reason).toBe("the outputs expect ipip, but IPIP CrossSubnet between nodes lab-control-plane and lab-worker means none");
    o.captures[0] = { ...o.captures[0], expected: "none", observed: "none", outer: null };
    expect(verifyRows(o)[0].pass).toBe(true);
  });

  test("judgedOutputs: each capture's pass and reason, and the verdict, as verify judges them", () => {
    const o = outputs([capture("x", "ipip", "none", true), capture("y", "none", "none", true)]);
    const j = judgedOutputs(o);
    expect(j.captures.map((c) => [c.scenario, c.pass, c.reason])).toEqual([
      ["x", false, "the outputs say it passed, but none was observed where ipip was expected"],
      ["y", true, ""],
    ]);
    expect([o.verdict, j.verdict]).toEqual(["pass", "fail"]);
    expect(judgedOutputs(good)).toEqual(good);
    expect(judgedOutputs(outputs([])).verdict).toBe("fail");
  });

  test("missing is never a pass; no captures → 1", () => {
    expect(verifyExitCode(verifyRows(outputs([capture("x", "none", "missing", false, "no packets")])))).toBe(EXIT.FAIL);
    const none = outputs([]);
    expect(verifyExitCode(verifyRows(none))).toBe(EXIT.FAIL);
    expect(formatReport(none, [])).toMatch(/^FAIL: the outputs hold no capture/);
  });
});

describe("bin/verify.ts (process)", () => {
  const bin = path.join(__dirname, "..", "bin", "verify.ts");
  const run = (args: string[], input?: string, env: NodeJS.ProcessEnv = process.env) =>
    spawnSync(process.execPath, [require.resolve("ts-node/dist/bin"), "--transpile-only", bin, ...args], { input, encoding: "utf8", env, timeout: 60000 });

  test("stdin: pass → 0; failure → 1; bad shape → 2; no pulumi → 2", () => {
    const ok = run(["-"], JSON.stringify(good));
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("PASS: all 2 captures");
    const fail = run(["-"], JSON.stringify(outputs([capture("c", "ipip", "none", false, "plain")])));
    expect(fail.status).toBe(1);
    const bad = run(["-"], '{"lab": 3}');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("standard input: the outputs do not follow the LabOutputs contract");
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    const nopulumi = run(["--stack", "ipip"], undefined, { ...process.env, PATH: "/nonexistent" });
    expect(nopulumi.status).toBe(2);
    expect(nopulumi.stderr).toContain("verify: --stack ipip: the pulumi CLI is not on PATH");
  });
});
