/**
 * The capture folder: which folder a stack's pcaps go into, and which folders a config
 * may never name. Destroy deletes pcaps and, once empty, the folder the lab made for
 * them (assets/capture/folder.sh marks it), so the lab must never write into a system
 * folder nor take over a folder the user already had. Pure: what the host holds comes
 * in through `HostPaths` (lab/hostPaths.ts asks the real one).
 */
import * as path from "path";

/** The netns backend's run folders live here: the one part of /run a capture may use. */
export const LAB_RUN_ROOT = "/run/calico-ipip-lab";
/** The file that marks a folder as made by the lab (written by assets/capture/folder.sh). */
export const CAPTURE_MARKER = ".calico-ipip-lab";
/** Where pcaps go when the config names no folder: `<cwd>/captures/<stack>`. */
export const DEFAULT_CAPTURE_PARENT = "captures";

/**
 * The host's own folders (`/lib*` is /lib, /lib32, /lib64, /libx32...): pcaps written
 * there, and deletes from there, can break the system; /proc, /sys and /dev are not
 * file storage at all.
 */
export const SYSTEM_FOLDERS = ["/", "/etc", "/usr", "/bin", "/sbin", "/lib*", "/proc", "/sys", "/dev", "/boot", "/run"] as const;

/** What is at a path on the host. A folder's owner is the stack its capture marker names. */
export type PathState = { kind: "missing" } | { kind: "file" } | { kind: "folder"; owner: string | undefined };

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

/**
 * The folder this stack's pcaps go into. Without capture.dir: `<cwd>/captures/<stack>`.
 * With one: that folder itself when it does not exist yet (the lab makes it, so it is
 * the lab's) or when its marker names this stack (made by an earlier up); otherwise,
 * since the folder is the user's, `<dir>/<stack>`, a subfolder the lab makes.
 */
export function captureFolder(dir: string | undefined, stack: string, cwd: string, host: HostPaths): string {
  if (dir === undefined) return path.resolve(cwd, DEFAULT_CAPTURE_PARENT, stack);
  const given = path.resolve(cwd, dir);
  const state = host.probe(given);
  const lab = state.kind === "missing" || (state.kind === "folder" && state.owner === stack);
  return lab ? given : path.join(given, stack);
}

/**
 * The owner a capture marker's text names, if it is the marker of folder `dir`: its last
 * `created` line is the folder it marks, so a marker copied along with a folder to
 * somewhere else does not make the copy the lab's.
 */
export function markerOwner(text: string, dir: string): string | undefined {
  let owner: string | undefined;
  let marks: string | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("owner ")) owner = line.slice("owner ".length);
    else if (line.startsWith("created ")) marks = line.slice("created ".length);
  }
  return owner !== undefined && owner !== "" && marks === dir ? owner : undefined;
}
