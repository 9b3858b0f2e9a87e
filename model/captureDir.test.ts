/**
 * capture.dir, purely: the system folders it may not name (also by `..` or a symlink),
 * and which folder the pcaps go into. The host is a table here, never the real one.
 */
import { buildLabSpec, LabConfigError, LabContext, RawLabConfig } from "./config";
import { captureFolder, HostPaths, labMarker, markerText, PathState, SYSTEM_FOLDERS, systemFolderOf } from "./captureDir";

/** A host holding the given folders and files, with the given symlinks (link → target). */
function host(entries: Record<string, PathState>, links: Record<string, string> = {}): HostPaths {
  return {
    realpath: (abs) => {
      for (const [link, target] of Object.entries(links)) {
        if (abs === link || abs.startsWith(`${link}/`)) return target + abs.slice(link.length);
      }
      return abs;
    },
    probe: (abs) => entries[abs] ?? { kind: "missing" },
  };
}

const ctx: LabContext = { stack: "ipip", cwd: "/work/lab" };

function problemsOf(raw: RawLabConfig, c: LabContext = ctx): string[] {
  try {
    buildLabSpec(raw, c);
  } catch (e) {
    if (e instanceof LabConfigError) return e.problems;
    throw e;
  }
  return [];
}

const ALLOWED = "choose a folder outside /, /etc, /usr, /bin, /sbin, /lib*, /proc, /sys, /dev, /boot, /run (/run/calico-ipip-lab is allowed)";

describe("systemFolderOf", () => {
  it.each([
    ["/", "/"],
    ["/etc", "/etc"],
    ["/etc/calico", "/etc"],
    ["/usr/local/share/pcaps", "/usr"],
    ["/bin", "/bin"],
    ["/sbin/x", "/sbin"],
    ["/lib", "/lib"],
    ["/lib64/x", "/lib64"],
    ["/libx32", "/libx32"],
    ["/proc/self", "/proc"],
    ["/sys/class/net", "/sys"],
    ["/dev/shm", "/dev"],
    ["/boot", "/boot"],
    ["/run", "/run"],
    ["/run/user/0", "/run"],
    ["/var/run/x", "/run"],
    ["/etc/../usr", "/usr"],
  ])("%s is in %s", (p, folder) => {
    expect(systemFolderOf(p)).toBe(folder);
  });

  it.each(["/run/calico-ipip-lab", "/run/calico-ipip-lab/captures", "/tmp/x", "/home/me/pcaps", "/srv", "/var/tmp", "/etcetera", "/runs"])("%s is not", (p) => {
    expect(systemFolderOf(p)).toBeUndefined();
  });

  it("lists every folder the message names", () => {
    expect(SYSTEM_FOLDERS.join(", ")).toBe("/, /etc, /usr, /bin, /sbin, /lib*, /proc, /sys, /dev, /boot, /run");
  });
});

describe("validation refuses a capture.dir in a system folder, naming the key, the value and what is allowed", () => {
  it.each([
    ["/etc", "/etc", '"/etc" is not valid; it is in the system folder /etc'],
    ["/", "/", '"/" is not valid; it is in the system folder /'],
    ["/usr/share/pcaps", "/usr", "it is in the system folder /usr"],
    ["/lib64", "/lib64", "it is in the system folder /lib64"],
    ["/run/pcaps", "/run", "it is in the system folder /run"],
    ["/var/run/pcaps", "/run", "it resolves to /run/pcaps, which is in the system folder /run"],
    ["../../etc", "/etc", '"../../etc" is not valid; it resolves to /etc, which is in the system folder /etc'],
    ["/tmp/../proc/1", "/proc", "it resolves to /proc/1, which is in the system folder /proc"],
    ["/etc/", "/etc", "it resolves to /etc, which is in the system folder /etc"],
  ])("%s (in %s)", (dir, _folder, said) => {
    const problems = problemsOf({ capture: { dir } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^capture\.dir: /);
    expect(problems[0]).toContain(said);
    expect(problems[0]).toContain(ALLOWED);
  });

  it("follows a symlink into a system folder, where the host is asked", () => {
    const linked = { ...ctx, host: host({}, { "/home/me/pcaps": "/etc/pcaps" }) };
    expect(problemsOf({ capture: { dir: "/home/me/pcaps/ipip" } }, linked)).toEqual([
      `capture.dir: "/home/me/pcaps/ipip" is not valid; it resolves to /etc/pcaps/ipip, which is in the system folder /etc; ${ALLOWED}`,
    ]);
  });

  it("refuses a file where the folder should be", () => {
    const withFile = { ...ctx, host: host({ "/work/lab/notes": { kind: "file" } }) };
    expect(problemsOf({ capture: { dir: "notes" } }, withFile)).toEqual([
      'capture.dir: "notes" is not valid; /work/lab/notes is a file; expected a folder, new or existing',
    ]);
  });

  it("checks the default folder too, and lists the folder's problem with the others", () => {
    expect(problemsOf({ ipipMode: "x" }, { stack: "ipip", cwd: "/etc" })).toEqual([
      expect.stringMatching(/^ipipMode: /),
      `capture.dir: "captures/ipip" is not valid; it resolves to /etc/captures/ipip, which is in the system folder /etc; ${ALLOWED}`,
    ]);
  });

  it.each(["/run/calico-ipip-lab/pcaps", "/tmp/pcaps", "pcaps", "../pcaps", "/home/me/pcaps"])("accepts %s", (dir) => {
    expect(problemsOf({ capture: { dir } })).toEqual([]);
  });
});

/** A folder on the table host: the user's (no marker), or one the lab made for `owner`. */
function folder(owner?: string, made: string[] = []): PathState {
  return { kind: "folder", marker: owner === undefined ? undefined : markerText(owner, made) };
}

describe("the folder the pcaps go into, and what of it the lab makes", () => {
  it("is captures/<stack> under the working directory by default, made with captures/ when missing", () => {
    expect(captureFolder(undefined, "ipip", "/work/lab", host({ "/work/lab": folder() }))).toEqual({
      dir: "/work/lab/captures/ipip",
      made: ["/work/lab/captures", "/work/lab/captures/ipip"],
    });
    expect(captureFolder(undefined, "ipip", "/work/lab", host({ "/work/lab/captures/ipip": folder() }))).toEqual({ dir: "/work/lab/captures/ipip", made: [] });
  });

  it("is the given folder itself when it does not exist yet: the lab makes it and the missing folders above, so they are the lab's", () => {
    expect(captureFolder("/tmp/new", "ipip", "/work/lab", host({ "/tmp": folder() }))).toEqual({ dir: "/tmp/new", made: ["/tmp/new"] });
    expect(captureFolder("out/a", "ipip", "/work/lab", host({ "/work/lab": folder() }))).toEqual({ dir: "/work/lab/out/a", made: ["/work/lab/out", "/work/lab/out/a"] });
  });

  it("is the given folder itself when its marker names this stack (an earlier up made it), with the folders the marker lists", () => {
    const made = ["/tmp/a", "/tmp/a/new"];
    expect(captureFolder("/tmp/a/new", "ipip", "/work/lab", host({ "/tmp/a": folder(), "/tmp/a/new": folder("ipip", made) }))).toEqual({ dir: "/tmp/a/new", made });
  });

  it("is a subfolder named after the stack when the given folder is the user's, empty or not, or another stack's", () => {
    for (const owner of [undefined, "crosssubnet"]) {
      expect(captureFolder("/tmp/mine", "ipip", "/work/lab", host({ "/tmp/mine": folder(owner, ["/tmp/mine"]) }))).toEqual({ dir: "/tmp/mine/ipip", made: ["/tmp/mine/ipip"] });
    }
    expect(captureFolder("/tmp/mine", "ipip", "/work/lab", host({ "/tmp/mine": folder(), "/tmp/mine/ipip": folder() }))).toEqual({ dir: "/tmp/mine/ipip", made: [] });
  });

  it("reaches the LabSpec through the context's host", () => {
    const existing = { ...ctx, host: host({ "/tmp/mine": folder() }) };
    expect(buildLabSpec({ capture: { dir: "/tmp/mine" } }, existing).capture).toMatchObject({ dir: "/tmp/mine/ipip", made: ["/tmp/mine/ipip"] });
    expect(buildLabSpec({ capture: { dir: "/tmp/mine" } }, ctx).capture.dir).toBe("/tmp/mine");
    expect(buildLabSpec({}, ctx).capture.dir).toBe("/work/lab/captures/ipip");
  });
});

describe("the capture marker", () => {
  const made = ["/tmp/a", "/tmp/a/caps"];
  const text = markerText("ipip", made);

  it("names the owner and every folder the lab made, one a line, the marked folder last", () => {
    expect(text.split("\n").filter((l) => !l.startsWith("#"))).toEqual(["owner ipip", "created /tmp/a", "created /tmp/a/caps", ""]);
    expect(labMarker(text, "/tmp/a/caps")).toEqual({ owner: "ipip", made });
  });

  it("names none for a marker copied elsewhere, without an owner, or listing a folder that is not above the marked one", () => {
    expect(labMarker(text, "/tmp/copy")).toBeUndefined();
    expect(labMarker("created /tmp/a/caps\n", "/tmp/a/caps")).toBeUndefined();
    expect(labMarker("owner ipip\ncreated /home\ncreated /tmp/a/caps\n", "/tmp/a/caps")).toBeUndefined();
    expect(labMarker(undefined, "/tmp/a/caps")).toBeUndefined();
  });
});
