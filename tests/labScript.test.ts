/**
 * scripts/lab.sh (`npm run lab`) against a stand-in `pulumi` that records its calls: the
 * steps a user would type, local state without a login, no update check, `--netns`
 * recorded in the stack's config, and a clear way out when the CLI is missing.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.join(__dirname, "..", "scripts", "lab.sh");

describe("npm run lab", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-script-"));
  const log = path.join(dir, "calls.log");
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(
    path.join(dir, "bin", "pulumi"),
    `#!/bin/sh\necho "$* | passphrase=[\${PULUMI_CONFIG_PASSPHRASE-unset}] skip=\${PULUMI_SKIP_UPDATE_CHECK-unset}" >>'${log}'\n`,
    { mode: 0o755 },
  );
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(args: string[], withPulumi = true): { status: number | null; stderr: string; calls: string[] } {
    fs.rmSync(log, { force: true });
    const PATH = withPulumi ? `${path.join(dir, "bin")}:/usr/bin:/bin` : "/usr/bin:/bin";
    const env: NodeJS.ProcessEnv = { PATH, HOME: dir };
    const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", env });
    return { status: r.status, stderr: r.stderr, calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [] };
  }

  it("preview --netns: selects or creates the stack, records the backend the Pulumi way, previews", () => {
    const r = run(["preview", "bgp", "--netns"]);
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      "stack select --create bgp | passphrase=[] skip=true",
      "config set --stack bgp backend netns | passphrase=[] skip=true",
      "preview --stack bgp | passphrase=[] skip=true",
    ]);
  });

  it("destroy and outputs are the plain CLI steps", () => {
    expect(run(["destroy", "vxlan"]).calls).toEqual(["destroy --stack vxlan --yes | passphrase=[] skip=true"]);
    expect(run(["outputs", "vxlan"]).calls).toEqual(["stack output --stack vxlan --json --show-secrets | passphrase=[] skip=true"]);
  });

  it("refuses an unknown action or a stack name with other characters, before running anything", () => {
    expect(run(["launch", "ipip"])).toMatchObject({ status: 2, calls: [] });
    const bad = run(["up", "ip ip"]);
    expect(bad).toMatchObject({ status: 2, calls: [] });
    expect(bad.stderr).toContain('stack name "ip ip" may hold only letters, digits and _.-');
  });

  it("without the Pulumi CLI: exit 127, the install link, and the harness command that runs the same program", () => {
    const r = run(["up", "ipip", "--netns"], false);
    expect(r.status).toBe(127);
    expect(r.stderr).toContain("https://www.pulumi.com/docs/install/");
    expect(r.stderr).toContain("npm run e2e -- --stack ipip --keep --state ipip.state.json");
  });
});
