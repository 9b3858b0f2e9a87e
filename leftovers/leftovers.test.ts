/**
 * The leftover check the e2e runs rely on: it must see what a lab left (processes,
 * folders, namespaces) and nothing else, and its last-resort cleanup must remove it.
 */
import { spawn, execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeLeftovers, findLeftovers, labNamespaceInodes, mentionsLab, removeLeftovers } from "./leftovers";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

function hasIp(): boolean {
  try {
    execFileSync("ip", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("mentionsLab", () => {
  it("matches the lab's own names, not another lab's or the project's shared run folder", () => {
    expect(mentionsLab("python3 tunl0_helper.py --netns calico-ipip-n1", "calico-ipip")).toBe(true);
    expect(mentionsLab("/run/calico-ipip-lab/calico-ipip/n1.pid", "calico-ipip")).toBe(true);
    expect(mentionsLab("tcpdump -w /tmp/calico-ipip.pcap", "calico-ipip")).toBe(true);
    expect(mentionsLab("python3 podhttp.py /run/calico-ipip-lab/calico-crosssubnet/calico-crosssubnet-p2.http", "calico-ipip")).toBe(false);
    expect(mentionsLab("/run/calico-ipip-lab", "calico-ipip")).toBe(false);
    expect(mentionsLab("calico-ipip2-n1", "calico-ipip")).toBe(false);
    expect(mentionsLab("/tmp/calico-ipip-lab-report-e2e", "calico-ipip")).toBe(false);
  });
});

describe("findLeftovers", () => {
  const lab = `lefttest-${process.pid}`;
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "leftovers-"));
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it("is clean when nothing of the lab exists", () => {
    const l = findLeftovers({ labName: lab, scanDirs: [base] });
    expect(describeLeftovers(l)).toEqual([]);
  });

  it("finds folders named after the lab two levels deep, a process naming it, and its run folder; ignores given paths", async () => {
    fs.mkdirSync(path.join(base, "run", lab), { recursive: true });
    fs.writeFileSync(path.join(base, `${lab}.log`), "");
    const runDir = path.join(base, "somewhere");
    fs.mkdirSync(runDir);
    const mine = path.join(base, "mine");
    fs.mkdirSync(path.join(mine, lab), { recursive: true });
    // A process whose command line names the lab (argv[0] set with exec -a).
    const proc = spawn("bash", ["-c", `exec -a ${lab}-helper sleep 30`], { stdio: "ignore", detached: true });
    const pid = proc.pid as number;
    try {
      await new Promise((r) => setTimeout(r, 200));
      const l = findLeftovers({ labName: lab, scanDirs: [base], paths: [runDir], ignorePaths: [mine] });
      expect(l.paths).toEqual([path.join(base, `${lab}.log`), path.join(base, "run", lab), runDir].sort());
      expect(l.processes.map((p) => p.pid)).toEqual([pid]);
      expect(l.processes[0].why).toContain(`mentions ${lab}`);
      expect(describeLeftovers(l).some((x) => x.startsWith(`process ${pid} (${lab}-helper 30)`))).toBe(true);
      const done = removeLeftovers(l);
      expect(done).toContain(`killed pid ${pid}`);
      await new Promise((r) => setTimeout(r, 200));
      const after = findLeftovers({ labName: lab, scanDirs: [base], paths: [runDir], ignorePaths: [mine] });
      expect(describeLeftovers(after)).toEqual([]);
    } finally {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });

  (isRoot && hasIp() ? it : it.skip)("finds the lab's namespaces and processes still inside one (root)", async () => {
    const ns = `${lab}-n1`;
    execFileSync("ip", ["netns", "add", ns]);
    let pid = 0;
    try {
      const inodes = labNamespaceInodes(lab);
      expect(inodes).toHaveLength(1);
      const proc = spawn("ip", ["netns", "exec", ns, "sleep", "30"], { stdio: "ignore", detached: true });
      pid = proc.pid as number;
      await new Promise((r) => setTimeout(r, 300));
      execFileSync("ip", ["netns", "delete", ns]);
      // The namespace is gone from `ip netns list`, but a process still lives in it.
      const l = findLeftovers({ labName: lab, scanDirs: [base], netnsInodes: inodes });
      expect(l.namespaces).toEqual([]);
      expect(l.processes.map((p) => p.pid)).toContain(pid);
      expect(l.processes.find((p) => p.pid === pid)?.why).toContain("still lives in one of the lab's network namespaces");
    } finally {
      if (pid > 0) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
      try {
        execFileSync("ip", ["netns", "delete", ns], { stdio: "ignore" });
      } catch {
        // already deleted
      }
    }
  });
});
