import { CapturePods } from "../../components/backend";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { analyzeFile } from "../../analysis";
import { ETHERTYPE, ethernet, frame, icmpEcho, ipv4, pcapFile, udp, vxlanPayload } from "../pcap/pcapWriter";
import { buildLabSpec } from "../../model/config";
import { markerText } from "../../model/captureDir";
import { CaptureResult } from "../../model/spec";
import { captureEnvironment, captureFolderEnvironment, captureResult, labFingerprint, overallVerdict, parseCaptureOutput, pcapPath, routeLines } from "../../components/capture/result";

const spec = buildLabSpec({ ipipMode: "CrossSubnet", backend: "netns" }, { stack: "crosssubnet", cwd: "/lab" });
const [n1, n2, n3] = spec.nodes;
const [sameSubnet, crossSubnet] = spec.scenarios;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cil-capture-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A pcap of echo requests from n1's pod to `server`'s pod, IPIP-wrapped between the nodes or plain. */
function writePcap(name: string, server: typeof n2, wrapped: boolean, count = 3): string {
  const records = Array.from({ length: count }, (_, i) => {
    const inner = ipv4({ src: n1.pod.ip, dst: server.pod.ip, protocol: 1, payload: icmpEcho(7, i) });
    const packet = wrapped ? ipv4({ src: n1.ip, dst: server.ip, protocol: 4, payload: inner }) : inner;
    return { data: frame(1, ETHERTYPE.IPV4, packet) };
  });
  const file = path.join(tmp, name);
  fs.writeFileSync(file, pcapFile({ linkType: 1 }, records));
  return file;
}

/** The pods of a capture from node 1 to `server`, as the program knows them. */
function podsTo(server: typeof n2): CapturePods {
  return { client: { pod: n1.pod.name, ip: n1.pod.ip }, server: { pod: server.pod.name, ip: server.pod.ip } };
}

function scriptOutput(server: typeof n2): string {
  return `tcpdump: listening on net0\n${JSON.stringify({
    routes: { client: [`${server.pod.ip} via ${server.ip} dev tunl0 src ${n1.tunnelIp} uid 0 `, "    cache "], server: [] },
  })}\n`;
}

describe("capture environment", () => {
  it("names the pcap after the scenario under the stack's capture folder and carries the mode", () => {
    const env = captureEnvironment(spec, crossSubnet, n1, n3, { CLIENT_SIDECAR: "clab-calico-crosssubnet-server1" });
    expect(env).toEqual({
      CAPTURE_PCAP: "/lab/captures/crosssubnet/cross-subnet.pcap",
      // Nothing exists on the pure test's host: the lab makes every folder down to the pcaps'.
      CAPTURE_FOLDERS: "/lab\n/lab/captures\n/lab/captures/crosssubnet",
      CAPTURE_MARKER: "/lab/captures/crosssubnet/.calico-ipip-lab",
      CAPTURE_MARKER_TEXT: markerText("crosssubnet", ["/lab", "/lab/captures", "/lab/captures/crosssubnet"]),
      CAPTURE_INTERFACE: "net0",
      CAPTURE_MAX_PACKETS: "200",
      CAPTURE_TIMEOUT: "10",
      CLIENT_NODE: n1.name,
      SERVER_NODE: n3.name,
      CAPTURE_SCENARIO: "cross-subnet",
      LAB_NAME: "calico-crosssubnet",
      LAB_IPIP_MODE: "CrossSubnet",
      LAB_VXLAN_MODE: "Never",
      LAB_FINGERPRINT: labFingerprint(spec),
      CLIENT_SIDECAR: "clab-calico-crosssubnet-server1",
    });
    expect(pcapPath(spec, sameSubnet)).toBe("/lab/captures/crosssubnet/same-subnet.pcap");
  });

  it("hands a folder the user has to the script as nothing to make, mark or remove", () => {
    expect(captureFolderEnvironment("ipip", { dir: "/home/me/pcaps", made: [] })).toEqual({ CAPTURE_FOLDERS: "", CAPTURE_MARKER: "", CAPTURE_MARKER_TEXT: "" });
  });

  it("changes its fingerprint when the lab's shape changes, not when only the mode does", () => {
    const always = buildLabSpec({ ipipMode: "Always", backend: "netns" }, { stack: "crosssubnet", cwd: "/lab" });
    const jumbo = buildLabSpec({ ipipMode: "CrossSubnet", backend: "netns", mtu: 9000 }, { stack: "crosssubnet", cwd: "/lab" });
    expect(labFingerprint(always)).toBe(labFingerprint(spec));
    expect(labFingerprint(jumbo)).not.toBe(labFingerprint(spec));
  });
});

describe("parseCaptureOutput", () => {
  it("takes the last line as the result and drops the 'cache' lines of ip route get", () => {
    const r = parseCaptureOutput(scriptOutput(n2), podsTo(n2));
    expect(r.server).toEqual({ pod: "pod-1", ip: n2.pod.ip });
    expect(r.routes.client).toEqual([`${n2.pod.ip} via ${n2.ip} dev tunl0 src ${n1.tunnelIp} uid 0`]);
    expect(routeLines(undefined)).toEqual([]);
  });

  it("says what it saw when the script's last line is not the result", () => {
    expect(() => parseCaptureOutput("ping: connect: Network is unreachable", podsTo(n2))).toThrow(/last line is not JSON: "ping: connect: Network is unreachable"/);
    expect(() => parseCaptureOutput('{"pcap": "/x"}', podsTo(n2))).toThrow(/lacks routes \{client: \[...\], server: \[...\]\}/);
  });

  it("carries the pods the program knows beside what the script saw", () => {
    const routesOnly = JSON.stringify({ routes: { client: ["a"], server: ["b"] } });
    expect(parseCaptureOutput(routesOnly, podsTo(n3))).toEqual({ ...podsTo(n3), routes: { client: ["a"], server: ["b"] } });
  });
});

describe("captureResult", () => {
  async function judge(server: typeof n2, scenario: typeof sameSubnet, wrapped: boolean, count = 3): Promise<CaptureResult> {
    const pcap = writePcap(`${scenario.name}-${wrapped}-${count}.pcap`, server, wrapped, count);
    return captureResult(spec, scenario, n1, server, parseCaptureOutput(scriptOutput(server), podsTo(server)), await analyzeFile(pcap));
  }

  it("passes CrossSubnet's plain same-subnet path and its wrapped cross-subnet path", async () => {
    const same = await judge(n2, sameSubnet, false);
    expect(same).toMatchObject({ scenario: "same-subnet", expected: "none", observed: "none", outer: null, pass: true, reason: "", packets: 3 });
    expect(same.client).toEqual({ pod: "pod-0", ip: n1.pod.ip, node: n1.name, nodeIp: n1.ip });
    expect(same.point).toEqual({ node: n1.name, interface: "net0" });
    // The program's own path, not one a script echoed.
    expect(same.pcap).toBe(pcapPath(spec, sameSubnet));
    const cross = await judge(n3, crossSubnet, true);
    expect(cross).toMatchObject({ expected: "ipip", observed: "ipip", outer: { src: n1.ip, dst: n3.ip, protocol: 4 }, pass: true });
  });

  it("fails a same-subnet path that was wrapped, and an empty capture, saying why", async () => {
    const wrapped = await judge(n2, sameSubnet, true);
    expect(wrapped.pass).toBe(false);
    expect(wrapped.observed).toBe("ipip");
    expect(wrapped.reason).not.toBe("");
    const empty = await judge(n3, crossSubnet, true, 0);
    expect(empty).toMatchObject({ observed: "missing", pass: false });
    expect(empty.reason).toContain("no packet between");
  });

  it("VXLAN: the outer ports and VNI; tunnel packets that are not the lab's are listed, not judged", async () => {
    const vxlan = buildLabSpec({ ipipMode: "Never", vxlanMode: "Always", backend: "netns" }, { stack: "vxlan", cwd: "/lab" });
    const [c1, , c3] = vxlan.nodes;
    const wrap = (src: string, dport: number): { data: Buffer } => {
      const inner = ethernet(ETHERTYPE.IPV4, ipv4({ src: c1.pod.ip, dst: c3.pod.ip, protocol: 1, payload: icmpEcho(7, 1) }));
      return { data: frame(1, ETHERTYPE.IPV4, ipv4({ src, dst: c3.ip, protocol: 17, payload: udp(40001, dport, vxlanPayload(4096, inner)) })) };
    };
    const pcap = path.join(tmp, "vxlan.pcap");
    fs.writeFileSync(pcap, pcapFile({ linkType: 1 }, [wrap(c1.ip, 4789), wrap(c1.ip, 4789), wrap(c1.ip, 8472), wrap("10.1.5.99", 4789)]));
    const r = captureResult(vxlan, vxlan.scenarios[1], c1, c3, parseCaptureOutput(scriptOutput(c3), { client: { pod: c1.pod.name, ip: c1.pod.ip }, server: { pod: c3.pod.name, ip: c3.pod.ip } }), await analyzeFile(pcap));
    expect(r).toMatchObject({ expected: "vxlan", observed: "vxlan", pass: true, reason: "" });
    expect(r.outer).toEqual({ src: c1.ip, dst: c3.ip, protocol: 17, srcPort: 40001, dstPort: 4789, vni: 4096 });
    expect(r.ignored).toEqual([
      { packets: 1, reason: "VXLAN on UDP port 8472 (the lab's VXLAN port is 4789)" },
      { packets: 1, reason: "VXLAN to or from 10.1.5.99, which is no node of the lab" },
    ]);
    // a clean capture has no `ignored` at all: outputs stay as they were
    expect("ignored" in (await judge(n3, crossSubnet, true))).toBe(false);
  });

  it("fails a damaged pcap with the offset where reading stopped", async () => {
    const pcap = writePcap("cut.pcap", n3, true);
    fs.truncateSync(pcap, fs.statSync(pcap).size - 5);
    const r = captureResult(spec, crossSubnet, n1, n3, parseCaptureOutput(scriptOutput(n3), podsTo(n3)), await analyzeFile(pcap));
    expect(r.pass).toBe(false);
    expect(r.reason).toMatch(/the pcap is damaged at byte \d+/);
  });
});

describe("overallVerdict", () => {
  const c = (pass: boolean): CaptureResult => ({ pass }) as CaptureResult;
  it("passes only with at least one capture, all passing", () => {
    expect(overallVerdict([])).toBe("fail");
    expect(overallVerdict([c(true), c(true)])).toBe("pass");
    expect(overallVerdict([c(true), c(false)])).toBe("fail");
  });
});
