/**
 * The capture folder's make and remove (assets/capture/folder.sh, remove.sh) run for real
 * in a temp folder: destroy removes only what the lab made, and both sides can run again
 * after a failure.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CAPTURE_MARKER } from "../../lab/captureDir";

const ASSETS = path.join(__dirname, "..", "..", "assets", "capture");
const FOLDER_SH = path.join(ASSETS, "folder.sh");
const REMOVE_SH = path.join(ASSETS, "remove.sh");

interface Run {
  code: number | null;
  stderr: string;
}

function make(dir: string, owner: string): Run {
  const r = spawnSync("bash", ["-c", '. "$1" && capture_folder_make "$2" "$3"', "-", FOLDER_SH, dir, owner], { encoding: "utf8" });
  return { code: r.status, stderr: r.stderr };
}

function remove(pcap: string): Run {
  const r = spawnSync("bash", [REMOVE_SH], { env: { ...process.env, CAPTURE_PCAP: pcap }, encoding: "utf8" });
  return { code: r.status, stderr: r.stderr };
}

function removeAsync(pcap: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [REMOVE_SH], { env: { ...process.env, CAPTURE_PCAP: pcap }, stdio: ["ignore", "ignore", "pipe"] });
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

describe("capture folder make and remove, for real", () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "capture-folder-"));
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("makes a missing folder with the missing folders above it, marks it, and removes them all once its pcaps are gone", () => {
    const caps = path.join(root, "a", "b", "caps");
    expect(make(caps, "ipip")).toEqual(ok);
    expect(marker(caps).split("\n").filter((l) => !l.startsWith("#"))).toEqual([
      "owner ipip",
      `created ${path.join(root, "a")}`,
      `created ${path.join(root, "a", "b")}`,
      `created ${caps}`,
      "",
    ]);
    expect(fs.readdirSync(root)).toEqual(["a"]);
    const [one, two] = [pcap(caps, "same-subnet.pcap"), pcap(caps, "cross-subnet.pcap")];
    expect(remove(one)).toEqual(ok);
    expect(fs.readdirSync(caps).sort()).toEqual([CAPTURE_MARKER, "cross-subnet.pcap"]);
    expect(remove(two)).toEqual(ok);
    expect(fs.readdirSync(root)).toEqual([]);
    // Again, with everything gone already.
    expect(remove(two)).toEqual(ok);
    expect(fs.existsSync(root)).toBe(true);
  });

  it("keeps a folder that already existed, even an empty one, and writes no marker into it", () => {
    const mine = path.join(root, "mine");
    fs.mkdirSync(mine);
    expect(make(mine, "ipip")).toEqual(ok);
    expect(fs.readdirSync(mine)).toEqual([]);
    expect(remove(pcap(mine, "same-subnet.pcap"))).toEqual(ok);
    expect(fs.readdirSync(mine)).toEqual([]);
  });

  it("keeps the lab's folder while it holds the user's files, and removes it on a later run once they are gone", () => {
    const caps = path.join(root, "caps");
    expect(make(caps, "ipip")).toEqual(ok);
    const p = pcap(caps, "same-subnet.pcap");
    fs.writeFileSync(path.join(caps, "notes.txt"), "mine");
    expect(remove(p)).toEqual(ok);
    expect(fs.readdirSync(caps).sort()).toEqual([CAPTURE_MARKER, "notes.txt"]);
    fs.rmSync(path.join(caps, "notes.txt"));
    expect(remove(p)).toEqual(ok);
    expect(fs.existsSync(caps)).toBe(false);
  });

  it("keeps the folders above that the user filled meanwhile", () => {
    const caps = path.join(root, "a", "caps");
    expect(make(caps, "ipip")).toEqual(ok);
    fs.writeFileSync(path.join(root, "a", "keep.txt"), "mine");
    expect(remove(pcap(caps, "x.pcap"))).toEqual(ok);
    expect(fs.readdirSync(path.join(root, "a"))).toEqual(["keep.txt"]);
  });

  it("runs again after a make killed before its rename: the temporary it left goes, the folder is made and marked", () => {
    const caps = path.join(root, "caps");
    const left = path.join(root, ".caps.calico-ipip-lab-new");
    fs.mkdirSync(left);
    fs.writeFileSync(path.join(left, CAPTURE_MARKER), "owner ipip\n");
    expect(make(caps, "ipip")).toEqual(ok);
    expect(fs.readdirSync(root)).toEqual(["caps"]);
    expect(marker(caps)).toContain(`created ${caps}\n`);
    // A second make changes nothing.
    const before = marker(caps);
    expect(make(caps, "ipip")).toEqual(ok);
    expect(marker(caps)).toBe(before);
  });

  it("reports, and does not delete, a temporary that holds files the lab did not write", () => {
    const left = path.join(root, ".caps.calico-ipip-lab-new");
    fs.mkdirSync(left);
    fs.writeFileSync(path.join(left, "precious.txt"), "mine");
    const r = make(path.join(root, "caps"), "ipip");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`capture folder: ${left} is left from an interrupted run and holds what the lab did not write`);
    expect(fs.readFileSync(path.join(left, "precious.txt"), "utf8")).toBe("mine");
    expect(fs.existsSync(path.join(root, "caps"))).toBe(false);
  });

  it("refuses a folder made for another stack's pcaps", () => {
    const caps = path.join(root, "caps");
    expect(make(caps, "ipip")).toEqual(ok);
    expect(make(caps, "crosssubnet")).toEqual({ code: 1, stderr: `capture folder: ${caps} was made for the pcaps of stack ipip, not crosssubnet: give this stack another capture.dir\n` });
  });

  it("does not count a marker copied along with its folder", () => {
    const caps = path.join(root, "caps");
    expect(make(caps, "ipip")).toEqual(ok);
    const copy = path.join(root, "copy");
    fs.cpSync(caps, copy, { recursive: true });
    expect(remove(pcap(copy, "x.pcap"))).toEqual(ok);
    expect(fs.readdirSync(copy)).toEqual([CAPTURE_MARKER]);
  });

  it("uses an existing folder without an owner, but makes none without one", () => {
    expect(make(root, "")).toEqual(ok);
    const r = make(path.join(root, "new"), "");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("CAPTURE_OWNER='' must name the stack");
  });

  it("refuses paths the config never produces, and a file where the folder should be", () => {
    for (const bad of ["captures/ipip", "/", `${root}/a/../b`, `${root}/a b`]) {
      const r = make(bad, "ipip");
      expect({ bad, code: r.code }).toEqual({ bad, code: 1 });
      expect(r.stderr).toContain("is not an absolute folder path");
    }
    fs.writeFileSync(path.join(root, "file"), "");
    expect(make(path.join(root, "file"), "ipip")).toEqual({ code: 1, stderr: `capture folder: ${path.join(root, "file")} exists and is not a folder\n` });
    expect(remove(`${root}/a/../b/x.pcap`).code).toBe(1);
  });

  it("deletes running at once remove the folder once, quietly", async () => {
    const caps = path.join(root, "n", "caps");
    expect(make(caps, "ipip")).toEqual(ok);
    const pcaps = ["a", "b", "c", "d", "e", "f"].map((n) => pcap(caps, `${n}.pcap`));
    expect(await Promise.all(pcaps.map(removeAsync))).toEqual(pcaps.map(() => ok));
    expect(fs.readdirSync(root)).toEqual([]);
  });

  it("makes running at once make one folder, with one marker", async () => {
    const caps = path.join(root, "m", "caps");
    const runs = await Promise.all(
      [1, 2, 3, 4].map(
        () =>
          new Promise<number | null>((resolve) => {
            const child = spawn("bash", ["-c", '. "$1" && capture_folder_make "$2" "$3"', "-", FOLDER_SH, caps, "ipip"], { stdio: "ignore" });
            child.on("close", resolve);
          }),
      ),
    );
    expect(runs).toEqual([0, 0, 0, 0]);
    expect(fs.readdirSync(root)).toEqual(["m"]);
    expect(fs.readdirSync(caps)).toEqual([CAPTURE_MARKER]);
    expect(marker(caps)).toContain(`created ${path.join(root, "m")}\ncreated ${caps}\n`);
  });
});
