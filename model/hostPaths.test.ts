/** The real host's answers about capture.dir, in a temp folder that is removed afterwards. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildLabSpec, LabConfigError } from "./config";
import { CAPTURE_MARKER } from "./captureDir";
import { HOST_PATHS } from "./hostPaths";

describe("HOST_PATHS", () => {
  let root: string;
  let made: string;
  beforeAll(() => {
    // realpath: the temp folder itself may sit behind a symlink.
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "host-paths-")));
    fs.symlinkSync("/etc", path.join(root, "to-etc"));
    fs.writeFileSync(path.join(root, "file"), "");
    fs.mkdirSync(path.join(root, "mine"));
    made = path.join(root, "made");
    fs.mkdirSync(made);
    fs.writeFileSync(path.join(made, CAPTURE_MARKER), `owner ipip\ncreated ${made}\n`);
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("resolves the symlinks of the part that exists and keeps the rest as written", () => {
    expect(HOST_PATHS.realpath(path.join(root, "to-etc", "not", "yet"))).toBe("/etc/not/yet");
    expect(HOST_PATHS.realpath(path.join(root, "plain", "new"))).toBe(path.join(root, "plain", "new"));
  });

  it("tells a missing path, a file, a folder and a folder the lab marked apart", () => {
    expect(HOST_PATHS.probe(path.join(root, "none"))).toEqual({ kind: "missing" });
    expect(HOST_PATHS.probe(path.join(root, "file"))).toEqual({ kind: "file" });
    expect(HOST_PATHS.probe(path.join(root, "mine"))).toEqual({ kind: "folder", marker: undefined });
    expect(HOST_PATHS.probe(made)).toEqual({ kind: "folder", marker: `owner ipip\ncreated ${made}\n` });
  });

  it("lets validation refuse a symlink into /etc and put pcaps under the user's own folder", () => {
    const ctx = { stack: "ipip", cwd: root, host: HOST_PATHS };
    expect(() => buildLabSpec({ capture: { dir: "to-etc/pcaps" } }, ctx)).toThrow(LabConfigError);
    expect(() => buildLabSpec({ capture: { dir: "to-etc/pcaps" } }, ctx)).toThrow(/it resolves to \/etc\/pcaps, which is in the system folder \/etc/);
    expect(buildLabSpec({ capture: { dir: "mine" } }, ctx).capture.dir).toBe(path.join(root, "mine", "ipip"));
    expect(buildLabSpec({ capture: { dir: "made" } }, ctx).capture).toMatchObject({ dir: made, made: [made] });
  });
});
