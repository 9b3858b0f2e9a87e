/**
 * toolchain/toolchain.sh (`npm run toolchain`): a new enough `pulumi` on PATH is used as
 * it is; an older one, or none, means the pinned build, which is reused from the cache
 * only when it was built from the very go.mod/go.sum in the repo; with neither Go nor a
 * `pulumi` it fails naming the install page. Stand-in `pulumi` executables, and PATH
 * without Go, make each case without building anything.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.join(__dirname, "..", "toolchain", "toolchain.sh");
const NODE_DIR = path.dirname(process.execPath);

describe("npm run toolchain", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toolchain-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function standinPulumi(version: string): string {
    const bin = fs.mkdtempSync(path.join(dir, "bin-"));
    fs.writeFileSync(path.join(bin, "pulumi"), `#!/bin/sh\n[ "$1" = version ] && echo ${version}\n`, { mode: 0o755 });
    return bin;
  }

  function run(pathDirs: string[], cache: string): { status: number | null; stdout: string; stderr: string } {
    // No Go on this PATH: /usr/local/go/bin is left out on purpose.
    const env: NodeJS.ProcessEnv = { PATH: [...pathDirs, NODE_DIR, "/usr/bin", "/bin"].join(":"), HOME: dir, CALICO_IPIP_LAB_TOOLCHAIN_CACHE: cache };
    const r = spawnSync("bash", [SCRIPT], { encoding: "utf8", env });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("uses a pulumi on PATH of the pinned version or later, printing its folder last", () => {
    const bin = standinPulumi("v3.300.1");
    const r = run([bin], path.join(dir, "cache-a"));
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split("\n").pop()).toBe(bin);
    expect(r.stderr).toContain("using pulumi v3.300.1 on PATH");
  });

  it("an older pulumi and no Go: says it needs the pinned one, then fails naming the install page", () => {
    const r = run([standinPulumi("v3.100.0")], path.join(dir, "cache-b"));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("pulumi v3.100.0 on PATH is older than v3.276.0");
    expect(r.stderr).toContain("https://www.pulumi.com/docs/install/");
    expect(r.stdout).toBe("");
  });

  it("a cached build from other module files is not reused", () => {
    const cache = path.join(dir, "cache-c");
    const dest = path.join(cache, "pulumi-v3.276.0+nodejs-v3.68.0");
    fs.mkdirSync(dest, { recursive: true });
    for (const f of ["pulumi", "pulumi-language-nodejs"]) fs.writeFileSync(path.join(dest, f), "#!/bin/sh\n", { mode: 0o755 });
    fs.writeFileSync(path.join(dest, ".built-from"), "from another go.sum\n");
    const r = run([], cache);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("neither the Pulumi CLI (v3.276.0 or later) nor Go (to build it) is installed");
  });
});
