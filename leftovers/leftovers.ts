/**
 * What a destroyed lab must not leave behind (DESIGN.md section 8): network namespaces
 * named after the lab, processes that mention it (or its run folder) or still live in one
 * of its namespaces, folders and files named after it in the usual temporary and run
 * places, and links of its segments in the host's namespace.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface LeftoverQuery {
  /** The lab name (outputs.lab.name); namespaces are looked for by this prefix. */
  labName: string;
  /** Folders or files that must be gone (the lab's run folder, when known). */
  paths?: string[];
  /** Link name prefixes that must not exist in the host namespace (the segments' bridge names). */
  linkPrefixes?: string[];
  /** Namespace inodes recorded while the lab ran (`labNamespaceInodes`): no process may still be in one. */
  netnsInodes?: number[];
  /** Folders scanned (two levels deep) for entries whose name holds the lab name. */
  scanDirs?: string[];
  /** Paths that may hold the lab name and are fine (the test's own folder). */
  ignorePaths?: string[];
}

export interface Leftovers {
  namespaces: string[];
  processes: { pid: number; cmdline: string; why: string }[];
  paths: string[];
  links: string[];
}

export const DEFAULT_SCAN_DIRS = [os.tmpdir(), "/tmp", "/run", "/var/run", "/var/tmp", "/dev/shm"];

/** `ip netns list` names (empty when there are none or `ip` is missing). */
export function netnsNames(): string[] {
  try {
    const out = execFileSync("ip", ["netns", "list"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return out
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((n) => n !== undefined && n !== "");
  } catch {
    return [];
  }
}

/** Namespaces of the lab: every `ip netns` name starting with the lab name. */
export function labNamespaces(labName: string): string[] {
  return netnsNames().filter((n) => mentionsLab(n, labName));
}

/** Inodes of the lab's namespaces (record them while the lab runs, check them after destroy). */
export function labNamespaceInodes(labName: string): number[] {
  const inodes: number[] = [];
  for (const n of labNamespaces(labName)) {
    try {
      inodes.push(fs.statSync(path.join("/run/netns", n)).ino);
    } catch {
      // not a bind mount under /run/netns
    }
  }
  return inodes;
}

function ancestors(): Set<number> {
  const pids = new Set<number>([process.pid]);
  let pid = process.ppid;
  while (pid > 1 && !pids.has(pid)) {
    pids.add(pid);
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      const m = /^PPid:\s+(\d+)/m.exec(status);
      pid = m ? Number(m[1]) : 0;
    } catch {
      break;
    }
  }
  return pids;
}

function processes(): { pid: number; cmdline: string; netns: string }[] {
  const out: { pid: number; cmdline: string; netns: string }[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p));
  } catch {
    return out;
  }
  for (const p of entries) {
    try {
      const cmdline = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").filter((s) => s !== "").join(" ");
      let netns = "";
      try {
        netns = fs.readlinkSync(`/proc/${p}/ns/net`);
      } catch {
        // kernel thread or gone
      }
      out.push({ pid: Number(p), cmdline, netns });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function hostLinks(): string[] {
  try {
    const out = execFileSync("ip", ["-o", "link", "show"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return out
      .split("\n")
      .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined);
  } catch {
    return [];
  }
}

/** The project's own prefix (its run folder, its tests' temp folders): no one lab's. */
const PROJECT_PREFIX = "calico-ipip-lab";

/**
 * True when `text` names the lab as a word of its own (`calico-ipip`, `calico-ipip-n1`,
 * `calico-ipip.pcap`), not as part of another name: lab `calico-ipip` must not match
 * `calico-ipip-lab` (the project's run folder) nor lab `calico-ipip2`.
 */
export function mentionsLab(text: string, labName: string): boolean {
  const projects = (t: string): boolean => !labName.startsWith(PROJECT_PREFIX) && (t === PROJECT_PREFIX || t.startsWith(`${PROJECT_PREFIX}-`));
  return text
    .split(/[\s/=:,]+/)
    .some((t) => !projects(t) && (t === labName || t.startsWith(`${labName}-`) || t.startsWith(`${labName}.`)));
}

function scan(dir: string, labName: string, depth: number, ignore: string[], found: Set<string>): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const full = path.join(dir, name);
    if (ignore.some((i) => full === i || full.startsWith(i + path.sep))) continue;
    // A folder holding an ignored path is looked into rather than reported whole.
    const holdsIgnored = ignore.some((i) => i.startsWith(full + path.sep));
    if (mentionsLab(name, labName) && !holdsIgnored) {
      found.add(full);
      continue;
    }
    if (depth > 1) {
      let isDir = false;
      try {
        isDir = fs.lstatSync(full).isDirectory();
      } catch {
        // gone
      }
      if (isDir) scan(full, labName, depth - 1, ignore, found);
    }
  }
}

/** Everything of the lab still on the host. */
export function findLeftovers(q: LeftoverQuery): Leftovers {
  const skip = ancestors();
  const realIgnore = (q.ignorePaths ?? []).map((p) => {
    try {
      return fs.realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  });
  const ignore = [...new Set([...(q.ignorePaths ?? []).map((p) => path.resolve(p)), ...realIgnore])];
  const wanted = (q.paths ?? []).filter((p) => p !== "");
  const inodes = new Set((q.netnsInodes ?? []).map((i) => `net:[${i}]`));
  const procs: Leftovers["processes"] = [];
  for (const p of processes()) {
    if (skip.has(p.pid)) continue;
    let why = "";
    if (mentionsLab(p.cmdline, q.labName)) why = `its command line mentions ${q.labName}`;
    else if (wanted.some((w) => p.cmdline.includes(w))) why = "its command line mentions the lab's run folder";
    else if (inodes.has(p.netns)) why = `it still lives in one of the lab's network namespaces (${p.netns})`;
    if (why !== "") procs.push({ pid: p.pid, cmdline: p.cmdline, why });
  }
  const found = new Set<string>();
  for (const w of wanted) if (fs.existsSync(w)) found.add(path.resolve(w));
  const dirs = [...new Set((q.scanDirs ?? DEFAULT_SCAN_DIRS).map((d) => path.resolve(d)))];
  for (const d of dirs) scan(d, q.labName, 2, ignore, found);
  const prefixes = (q.linkPrefixes ?? []).filter((p) => p !== "");
  return {
    namespaces: labNamespaces(q.labName),
    processes: procs,
    paths: [...found].sort(),
    links: hostLinks().filter((l) => prefixes.some((p) => l.startsWith(p))),
  };
}

/** One line per leftover; empty when the host is clean. */
export function describeLeftovers(l: Leftovers): string[] {
  return [
    ...l.namespaces.map((n) => `network namespace ${n}`),
    ...l.processes.map((p) => `process ${p.pid} (${p.cmdline}): ${p.why}`),
    ...l.paths.map((p) => `path ${p}`),
    ...l.links.map((n) => `link ${n} in the host namespace`),
  ];
}

/**
 * Last-resort cleanup after a failed test: stop the leftover processes by their PID,
 * delete the namespaces, links and paths found. Returns what it did or failed to do.
 */
export function removeLeftovers(l: Leftovers): string[] {
  const done: string[] = [];
  const attempt = (what: string, f: () => void): void => {
    try {
      f();
      done.push(what);
    } catch (e) {
      done.push(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  for (const p of l.processes) attempt(`killed pid ${p.pid}`, () => process.kill(p.pid, "SIGKILL"));
  for (const n of l.namespaces) attempt(`deleted netns ${n}`, () => execFileSync("ip", ["netns", "delete", n], { stdio: "ignore" }));
  for (const n of l.links) attempt(`deleted link ${n}`, () => execFileSync("ip", ["link", "delete", n], { stdio: "ignore" }));
  for (const p of l.paths) attempt(`removed ${p}`, () => fs.rmSync(p, { recursive: true, force: true }));
  return done;
}
