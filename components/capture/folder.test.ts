/**
 * The capture folder as the program decides it (model/captureDir.ts) and assets/capture/
 * folder.sh and remove.sh act on it, for real in a temp folder: destroy removes only what
 * the lab made, the script never takes over a folder that appeared after the program
 * decided, and both sides can run again after a failure.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CAPTURE_MARKER, CaptureFolder, captureFolder, markerText } from "../../model/captureDir";
import { HOST_PATHS } from "../../model/hostPaths";
import { captureFolderEnvironment } from "./result";

const ASSETS = path.join(__dirname, "..", "..", "assets", "capture");
const FOLDER_SH = path.join(ASSETS, "folder.sh");
const REMOVE_SH = path.join(ASSETS, "remove.sh");

interface Run {
  code: number | null;
  stderr: string;
}

/** The folder the program picks for capture.dir `dir` (the default one without), asking the real host. */
function plan(dir: string | undefined, stack = "ipip", cwd = "/"): CaptureFolder {
  return captureFolder(dir, stack, cwd, HOST_PATHS);
}

function env(folder: CaptureFolder, stack: string, pcap?: string): NodeJS.ProcessEnv {
  return { ...process.env, ...captureFolderEnvironment(stack, folder), ...(pcap === undefined ? {} : { CAPTURE_PCAP: pcap }) };
}

const MAKE = ['-c', '. "$1" && capture_folder_make "$2"', "-", FOLDER_SH];

function make(folder: CaptureFolder, stack = "ipip"): Run {
  const r = spawnSync("bash", [...MAKE, folder.dir], { env: env(folder, stack), encoding: "utf8" });
  return { code: r.status, stderr: r.stderr };
}

function remove(folder: CaptureFolder, pcap: string, stack = "ipip"): Run {
  const r = spawnSync("bash", [REMOVE_SH], { env: env(folder, stack, pcap), encoding: "utf8" });
  return { code: r.status, stderr: r.stderr };
}

function spawned(args: string[], e: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", args, { env: e, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

const ok: Run = { code: 0, stderr: "" };

/** A pcap as a capture leaves it (the content does not matter here). */
function pcap(dir: string, name: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, "pcap");
  return file;
}

function marker(dir: string): string {
  return fs.readFileSync(path.join(dir, CAPTURE_MARKER), "utf8");
}

describe("capture folder: the program decides, the script acts, for real", () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "capture-folder-"));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("makes a missing folder with the missing folders above it, marks it, and removes them all once its pcaps are gone", () => {
    const caps = path.join(root, "a", "b", "caps");
    const f = plan(caps);
    expect(f).toEqual({ dir: caps, made: [path.join(root, "a"), path.join(root, "a", "b"), caps] });
    expect(make(f)).toEqual(ok);
    expect(marker(caps)).toBe(markerText("ipip", f.made));
    expect(marker(caps).split("\n").filter((l) => !l.startsWith("#"))).toEqual(["owner ipip", ...f.made.map((d) => `created ${d}`), ""]);
    expect(fs.readdirSync(root)).toEqual(["a"]);
    // A later up decides the same from the marker, so the capture's inputs do not change.
    expect(plan(caps)).toEqual(f);
    expect(make(f)).toEqual(ok);
    const [one, two] = [pcap(caps, "same-subnet.pcap"), pcap(caps, "cross-subnet.pcap")];
    expect(remove(f, one)).toEqual(ok);
    expect(fs.readdirSync(caps).sort()).toEqual([CAPTURE_MARKER, "cross-subnet.pcap"]);
    expect(remove(f, two)).toEqual(ok);
    expect(fs.readdirSync(root)).toEqual([]);
    // Again, with everything gone already.
    expect(remove(f, two)).toEqual(ok);
    expect(fs.existsSync(root)).toBe(true);
  });

  it("uses a folder the user already had as it is, even an empty one: no marker, never removed", () => {
    const mine = path.join(root, "captures", "ipip");
    fs.mkdirSync(mine, { recursive: true });
    const f = plan(undefined, "ipip", root);
    expect(f).toEqual({ dir: mine, made: [] });
    expect(make(f)).toEqual(ok);
    expect(fs.readdirSync(mine)).toEqual([]);
    expect(remove(f, pcap(mine, "same-subnet.pcap"))).toEqual(ok);
    expect(fs.readdirSync(mine)).toEqual([]);
    // A capture.dir the user has gets a subfolder the lab makes, and removes again.
    const sub = plan(mine);
    expect(sub).toEqual({ dir: path.join(mine, "ipip"), made: [path.join(mine, "ipip")] });
    expect(make(sub)).toEqual(ok);
    expect(remove(sub, pcap(sub.dir, "x.pcap"))).toEqual(ok);
    expect(fs.readdirSync(mine)).toEqual([]);
  });

  it("keeps the lab's folder while it holds the user's files, and removes it on a later run once they are gone", () => {
    const f = plan(path.join(root, "caps"));
    expect(make(f)).toEqual(ok);
    const p = pcap(f.dir, "same-subnet.pcap");
    fs.writeFileSync(path.join(f.dir, "notes.txt"), "mine");
    expect(remove(f, p)).toEqual(ok);
    expect(fs.readdirSync(f.dir).sort()).toEqual([CAPTURE_MARKER, "notes.txt"]);
    fs.rmSync(path.join(f.dir, "notes.txt"));
    expect(remove(f, p)).toEqual(ok);
    expect(fs.existsSync(f.dir)).toBe(false);
  });

  it("keeps the folders above that the user filled meanwhile", () => {
    const f = plan(path.join(root, "a", "caps"));
    expect(make(f)).toEqual(ok);
    fs.writeFileSync(path.join(root, "a", "keep.txt"), "mine");
    expect(remove(f, pcap(f.dir, "x.pcap"))).toEqual(ok);
    expect(fs.readdirSync(path.join(root, "a"))).toEqual(["keep.txt"]);
  });

  it("does not take over the pcaps' folder if it appeared after the program chose to make it, nor remove it", () => {
    // The program decided while nothing was there; then the user made the folder.
    const f = plan(path.join(root, "a", "caps"));
    fs.mkdirSync(f.dir, { recursive: true });
    const said = { code: 1, stderr: `capture folder: ${f.dir} appeared after the program chose to make it, so it is not the lab's: run up again to choose anew\n` };
    expect(make(f)).toEqual(said);
    expect(fs.readdirSync(f.dir)).toEqual([]);
    expect(remove(f, path.join(f.dir, "x.pcap"))).toEqual(ok);
    expect(fs.readdirSync(path.join(root, "a"))).toEqual(["caps"]);
    // The next up decides anew: the folder is the user's now, so the pcaps go into a subfolder.
    expect(plan(f.dir)).toEqual({ dir: path.join(f.dir, "ipip"), made: [path.join(f.dir, "ipip")] });
  });

  it("uses a folder above the pcaps' one that appeared meanwhile as it is: two stacks making their common parent at once", () => {
    // Both stacks decided while nothing was there (captures/<stack> under one parent); ipip's capture ran first.
    const ipip = plan(path.join(root, "captures", "ipip"), "ipip");
    const cross = plan(path.join(root, "captures", "crosssubnet"), "crosssubnet");
    expect(cross.made).toEqual([path.join(root, "captures"), cross.dir]);
    expect(make(ipip, "ipip")).toEqual(ok);
    expect(make(cross, "crosssubnet")).toEqual(ok);
    expect(marker(cross.dir)).toBe(markerText("crosssubnet", cross.made));
    expect(fs.readdirSync(path.join(root, "captures")).sort()).toEqual(["crosssubnet", "ipip"]);
    // Each destroy removes its own folder; the common parent goes with the last.
    expect(remove(ipip, pcap(ipip.dir, "x.pcap"), "ipip")).toEqual(ok);
    expect(fs.readdirSync(path.join(root, "captures"))).toEqual(["crosssubnet"]);
    expect(remove(cross, pcap(cross.dir, "x.pcap"), "crosssubnet")).toEqual(ok);
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it("runs again after a make killed before its rename: the temporary it left goes, the folder is made and marked", () => {
    const f = plan(path.join(root, "caps"));
    const left = path.join(root, ".caps.calico-ipip-lab-new");
    fs.mkdirSync(left);
    fs.writeFileSync(path.join(left, CAPTURE_MARKER), "owner ipip\n");
    expect(make(f)).toEqual(ok);
    expect(fs.readdirSync(root)).toEqual(["caps"]);
    expect(marker(f.dir)).toBe(markerText("ipip", f.made));
  });

  it("reports, and does not delete, a temporary that holds files the lab did not write", () => {
    const f = plan(path.join(root, "caps"));
    const left = path.join(root, ".caps.calico-ipip-lab-new");
    fs.mkdirSync(left);
    fs.writeFileSync(path.join(left, "precious.txt"), "mine");
    const r = make(f);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`capture folder: ${left} is left from an interrupted run and holds what the lab did not write`);
    expect(fs.readFileSync(path.join(left, "precious.txt"), "utf8")).toBe("mine");
    expect(fs.existsSync(f.dir)).toBe(false);
  });

  it("puts another stack's pcaps beside a folder made for one stack, and the script refuses to share it", () => {
    const f = plan(path.join(root, "caps"));
    expect(make(f)).toEqual(ok);
    expect(plan(f.dir, "crosssubnet")).toEqual({ dir: path.join(f.dir, "crosssubnet"), made: [path.join(f.dir, "crosssubnet")] });
    expect(make(f, "crosssubnet").stderr).toContain(`capture folder: ${f.dir} appeared after the program chose to make it`);
    expect(marker(f.dir)).toBe(markerText("ipip", f.made));
  });

  it("does not count a marker copied along with its folder", () => {
    const f = plan(path.join(root, "caps"));
    expect(make(f)).toEqual(ok);
    const copy = path.join(root, "copy");
    fs.cpSync(f.dir, copy, { recursive: true });
    expect(plan(copy)).toEqual({ dir: path.join(copy, "ipip"), made: [path.join(copy, "ipip")] });
    expect(remove({ dir: copy, made: [copy] }, pcap(copy, "x.pcap"))).toEqual(ok);
    expect(fs.readdirSync(copy)).toEqual([CAPTURE_MARKER]);
  });

  it("refuses paths the program never gives, a user's folder that is gone, and a file where the folder should be", () => {
    const caps = path.join(root, "caps");
    for (const bad of ["captures/ipip", "/", `${root}/a/../b`, `${root}/a/`]) {
      const r = spawnSync("bash", [...MAKE, caps], { env: { ...env({ dir: caps, made: [caps] }, "ipip"), CAPTURE_FOLDERS: `${bad}\n${caps}` }, encoding: "utf8" });
      expect({ bad, code: r.status, stderr: r.stderr }).toEqual({ bad, code: 1, stderr: `capture folder: '${bad}' is not an absolute, normalised folder path\n` });
    }
    expect(make({ dir: path.join(root, "x"), made: [caps] })).toEqual({ code: 1, stderr: `capture folder: CAPTURE_FOLDERS must end with ${path.join(root, "x")}, the pcaps' folder, and CAPTURE_MARKER lie in it\n` });
    expect(make({ dir: caps, made: [] })).toEqual({ code: 1, stderr: `capture folder: ${caps} is not a folder (the lab was to use it as it is)\n` });
    const file = path.join(root, "file");
    fs.writeFileSync(file, "");
    expect(make({ dir: file, made: [file] }).stderr).toContain(`capture folder: ${file} appeared after the program chose to make it`);
    expect(fs.readFileSync(file, "utf8")).toBe("");
  });

  it("deletes running at once remove the folder once, quietly", async () => {
    const f = plan(path.join(root, "n", "caps"));
    expect(make(f)).toEqual(ok);
    const pcaps = ["a", "b", "c", "d", "e", "f"].map((n) => pcap(f.dir, `${n}.pcap`));
    expect(await Promise.all(pcaps.map((p) => spawned([REMOVE_SH], env(f, "ipip", p))))).toEqual(pcaps.map(() => ok));
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it("makes running at once make one folder, with one marker", async () => {
    const f = plan(path.join(root, "m", "caps"));
    const runs = await Promise.all([1, 2, 3, 4].map(() => spawned([...MAKE, f.dir], env(f, "ipip"))));
    expect(runs).toEqual([ok, ok, ok, ok]);
    expect(fs.readdirSync(root)).toEqual(["m"]);
    expect(fs.readdirSync(f.dir)).toEqual([CAPTURE_MARKER]);
    expect(marker(f.dir)).toBe(markerText("ipip", f.made));
  });
});
