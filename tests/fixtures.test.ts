import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { downloadWithNode, Downloader, FIXTURE_ENV, FIXTURES, fixture, resolveFixture } from "./fixtures";

/** A scratch tree: <root>/repo is the repository, <root>/shared/fixtures sits beside it. */
function scratch(): { root: string; repo: string; shared: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "fixtures-test-"));
  const repo = path.join(root, "repo");
  fs.mkdirSync(repo);
  return { root, repo, shared: path.join(root, "shared", "fixtures") };
}

function put(folder: string, relative: string, text: string): string {
  const p = path.join(folder, relative);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const SCHEMA = JSON.stringify({ definitions: { "node-config": {} } });
const MANIFEST = "kind: DaemonSet\nmetadata:\n  name: calico-node\n";
const noDownload: Downloader = () => "offline";

describe("resolveFixture", () => {
  let dirs: ReturnType<typeof scratch>;
  beforeEach(() => {
    dirs = scratch();
  });
  afterEach(() => fs.rmSync(dirs.root, { recursive: true, force: true }));

  test("the environment variable's folder comes first", () => {
    const own = path.join(dirs.root, "mine");
    const mine = put(own, FIXTURES["clab-schema"].relative, SCHEMA);
    put(dirs.shared, FIXTURES["clab-schema"].relative, SCHEMA);
    const r = resolveFixture("clab-schema", { env: { [FIXTURE_ENV]: own }, repoRoot: dirs.repo, download: noDownload });
    expect(r).toEqual({ path: mine });
  });

  test("then ../shared/fixtures beside the repository", () => {
    const shared = put(dirs.shared, FIXTURES["calico-manifest"].relative, MANIFEST);
    const r = resolveFixture("calico-manifest", { env: { [FIXTURE_ENV]: path.join(dirs.root, "empty") }, repoRoot: dirs.repo, download: noDownload });
    expect(r).toEqual({ path: shared });
  });

  test("then a download into .cache/fixtures, made once", () => {
    const calls: string[] = [];
    const download: Downloader = (url, dest) => {
      calls.push(url);
      put(path.dirname(dest), path.basename(dest), MANIFEST);
      return undefined;
    };
    const opts = { env: {}, repoRoot: dirs.repo, download };
    const first = resolveFixture("calico-manifest", opts);
    const second = resolveFixture("calico-manifest", opts);
    const cached = path.join(dirs.repo, ".cache", "fixtures", "calico", "calico.v3.24.5.yaml");
    expect(first).toEqual({ path: cached });
    expect(second).toEqual({ path: cached });
    expect(calls).toEqual(["https://raw.githubusercontent.com/projectcalico/calico/v3.24.5/manifests/calico.yaml"]);
  });

  test("a download that is not the file is thrown away", () => {
    const download: Downloader = (_url, dest) => {
      put(path.dirname(dest), path.basename(dest), "<html>rate limited</html>");
      return undefined;
    };
    const r = resolveFixture("clab-schema", { env: {}, repoRoot: dirs.repo, download });
    expect(r).toEqual({ skip: expect.stringContaining("is not a clab-schema file") });
    expect(fs.existsSync(path.join(dirs.repo, ".cache", "fixtures", FIXTURES["clab-schema"].relative))).toBe(false);
  });

  test("when everything fails it says why, for each place it looked", () => {
    const r = resolveFixture("clab-schema", { env: { [FIXTURE_ENV]: "/nonexistent" }, repoRoot: dirs.repo, download: noDownload });
    expect("skip" in r).toBe(true);
    const why = (r as { skip: string }).skip;
    expect(why).toContain(`${FIXTURE_ENV}=/nonexistent has no containerlab/clab.schema.v0.79.0.json`);
    expect(why).toContain(path.join(dirs.shared, "containerlab", "clab.schema.v0.79.0.json"));
    expect(why).toContain("offline");
  });
});

describe("downloadWithNode", () => {
  test("fails fast with the reason on an unreachable address and leaves no file", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fixtures-dl-"));
    const dest = path.join(dir, "x", "file.json");
    const started = Date.now();
    const error = downloadWithNode("http://127.0.0.1:9/none", dest);
    expect(error).toMatch(/^download of http:\/\/127\.0\.0\.1:9\/none failed: /);
    expect(Date.now() - started).toBeLessThan(25000);
    expect(fs.readdirSync(path.dirname(dest))).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("fixture", () => {
  test("finds both shared fixtures on this machine, or says why not", () => {
    for (const name of ["clab-schema", "calico-manifest"] as const) {
      const r = fixture(name);
      if ("path" in r) expect(FIXTURES[name].looksRight(fs.readFileSync(r.path, "utf8"))).toBe(true);
      else expect(r.skip).toMatch(/^fixture .* not found: /);
    }
  });
});
