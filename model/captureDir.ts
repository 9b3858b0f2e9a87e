/**
 * The capture folder: which folder a stack's pcaps go into, which folders the lab makes
 * for them, the marker that says so, and which folders a config may never name. Destroy
 * deletes pcaps and, once empty, the folders the lab made for them, so the lab must never
 * write into a system folder nor take over a folder the user already had. The program
 * decides all of it here; assets/capture/folder.sh only acts. Pure: what the host holds
 * comes in through `HostPaths` (model/hostPaths.ts asks the real one).
 */
import * as path from "path";

/** The netns backend's run folders live here: the one part of /run a capture may use. */
export const LAB_RUN_ROOT = "/run/calico-ipip-lab";
/** The file that marks a folder as made by the lab (its text: `markerText`). */
export const CAPTURE_MARKER = ".calico-ipip-lab";
/** Where pcaps go when the config names no folder: `<cwd>/captures/<stack>`. */
export const DEFAULT_CAPTURE_PARENT = "captures";

/**
 * The host's own folders (`/lib*` is /lib, /lib32, /lib64, /libx32...): pcaps written
 * there, and deletes from there, can break the system; /proc, /sys and /dev are not
 * file storage at all.
 */
export const SYSTEM_FOLDERS = ["/", "/etc", "/usr", "/bin", "/sbin", "/lib*", "/proc", "/sys", "/dev", "/boot", "/run"] as const;

/** What is at a path on the host; a folder with the text of its capture marker, if it has one. */
export type PathState = { kind: "missing" } | { kind: "file" } | { kind: "folder"; marker: string | undefined };

/** The questions about the host that the capture folder depends on. */
export interface HostPaths {
  /** `abs` with every symlink in the part of it that exists resolved. */
  realpath(abs: string): string;
  /** What `abs` is: nothing yet, a file, or a folder. */
  probe(abs: string): PathState;
}

/** A host where nothing exists yet and nothing is a symlink: for pure config tests. */
export const EMPTY_HOST: HostPaths = { realpath: (abs) => abs, probe: () => ({ kind: "missing" }) };

/**
 * /var/run is a symlink to /run on every current Linux distribution; following it here
 * refuses `/var/run/...` even where the host is not asked (a pure validation).
 */
function followVarRun(abs: string): string {
  return abs === "/var/run" || abs.startsWith("/var/run/") ? `/run${abs.slice("/var/run".length)}` : abs;
}

/** The system folder (as listed in SYSTEM_FOLDERS) holding the absolute path `abs`, if any. */
export function systemFolderOf(abs: string): string | undefined {
  const p = followVarRun(path.posix.resolve("/", abs));
  if (p === "/") return "/";
  if (p === LAB_RUN_ROOT || p.startsWith(`${LAB_RUN_ROOT}/`)) return undefined;
  const top = `/${p.split("/")[1]}`;
  if (top.startsWith("/lib")) return top;
  return (SYSTEM_FOLDERS as readonly string[]).includes(top) ? top : undefined;
}

/**
 * Why `dir` (capture.dir as written, relative to `cwd`) cannot hold pcaps, as the
 * "allowed" part of a validation message; undefined when it can.
 */
export function captureDirProblem(dir: string, cwd: string, host: HostPaths): string | undefined {
  const abs = path.resolve(cwd, dir);
  const real = followVarRun(host.realpath(abs));
  const system = systemFolderOf(real);
  if (system !== undefined) {
    const where = real === dir ? "it is" : `it resolves to ${real}, which is`;
    return `${where} in the system folder ${system}; choose a folder outside ${SYSTEM_FOLDERS.join(", ")} (${LAB_RUN_ROOT} is allowed)`;
  }
  if (host.probe(abs).kind === "file") return `${abs} is a file; expected a folder, new or existing`;
  return undefined;
}

/** Where a stack's pcaps go, and what of it the lab makes (and so destroy may remove). */
export interface CaptureFolder {
  /** The folder the pcaps go into. */
  dir: string;
  /**
   * The folders the lab makes for the pcaps and marks as the stack's, outermost first and
   * `dir` last; destroy removes them once they hold nothing else. Empty: `dir` is the
   * user's folder, used as it is and never removed.
   */
  made: string[];
}

/**
 * The folder this stack's pcaps go into. Without capture.dir: `<cwd>/captures/<stack>`.
 * With one: that folder itself when it does not exist yet (the lab makes it, so it is
 * the lab's) or when its marker names this stack (made by an earlier up); otherwise,
 * since the folder is the user's, `<dir>/<stack>`, a subfolder the lab makes.
 */
export function captureFolder(dir: string | undefined, stack: string, cwd: string, host: HostPaths): CaptureFolder {
  if (dir === undefined) return folderAt(path.resolve(cwd, DEFAULT_CAPTURE_PARENT, stack), stack, host);
  const given = path.resolve(cwd, dir);
  const state = host.probe(given);
  const lab = state.kind === "missing" || (state.kind === "folder" && labMarker(state.marker, given)?.owner === stack);
  return folderAt(lab ? given : path.join(given, stack), stack, host);
}

/**
 * `abs` as a pcap folder: a missing one is made with the missing folders above it; one
 * the lab made for this stack keeps the list its marker holds (so a later up gives the
 * capture the same inputs); any other is the user's.
 */
function folderAt(abs: string, stack: string, host: HostPaths): CaptureFolder {
  const state = host.probe(abs);
  if (state.kind === "folder") {
    const marker = labMarker(state.marker, abs);
    return { dir: abs, made: marker?.owner === stack ? marker.made : [] };
  }
  const made = [abs];
  for (let up = path.dirname(abs); up !== path.dirname(up) && host.probe(up).kind === "missing"; up = path.dirname(up)) made.unshift(up);
  return { dir: abs, made };
}

/** The marker of the folders `made` (the last holds it): the stack that owns them and the folders themselves. */
export function markerText(stack: string, made: string[]): string {
  return [
    `# Made by calico-ipip-lab for the pcaps of stack ${stack}. Destroy removes this folder once it`,
    "# holds nothing but this file, then the folders listed before it, as far as they are empty.",
    `owner ${stack}`,
    ...made.map((d) => `created ${d}`),
    "",
  ].join("\n");
}

/**
 * The owner and folders a capture marker's text names, if it is the marker of folder
 * `dir`: its last `created` line is `dir` (a marker copied along with a folder to
 * somewhere else does not make the copy the lab's) and each folder lies inside the one
 * before (the text is anyone's to edit: only folders above `dir` may be listed).
 */
export function labMarker(text: string | undefined, dir: string): { owner: string; made: string[] } | undefined {
  let owner: string | undefined;
  const made: string[] = [];
  for (const line of (text ?? "").split("\n")) {
    if (line.startsWith("owner ")) owner = line.slice("owner ".length);
    else if (line.startsWith("created ")) made.push(line.slice("created ".length));
  }
  const nested = made.every((d, i) => i === 0 || d.startsWith(`${made[i - 1]}/`));
  return owner !== undefined && owner !== "" && made[made.length - 1] === dir && nested ? { owner, made } : undefined;
}
