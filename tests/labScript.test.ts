/**
 * `npm run lab` (bin/lab.ts): the argument rules and the CLI steps each action runs
 * (pure), then the whole tool against a stand-in `pulumi` that records its calls and
 * environment: the toolchain folder given by CALICO_IPIP_LAB_PULUMI_DIR, local state
 * with an empty passphrase, no update check, no plugin download, the project's command
 * provider on PATH, and the verdicts printed (exit 1 when a capture failed).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { labSteps, parseLabArgs } from "../bin/lab";
import { OWN_PROVIDER_DIR, TOOLCHAIN_DIR_ENV } from "../toolchain";
import { seedOutputs } from "./report/fixtures";

describe("npm run lab: arguments and steps", () => {
  it("refuses an unknown action, a missing stack, a stray flag and a stack name with other characters", () => {
    expect(parseLabArgs(["launch", "ipip"])).toHaveProperty("error");
    expect(parseLabArgs(["up"])).toHaveProperty("error");
    expect(parseLabArgs(["up", "ipip", "--kind"])).toHaveProperty("error");
    expect(parseLabArgs(["up", "ip ip"])).toEqual({ error: 'lab: stack name "ip ip" may hold only letters, digits and _.-' });
  });

  it("up --netns: select or create, record the backend the Pulumi way, up", () => {
    const a = parseLabArgs(["up", "ipip", "--netns"]);
    if ("error" in a) throw new Error(a.error);
    expect(labSteps(a)).toEqual([
      ["stack", "select", "--create", "ipip"],
      ["config", "set", "--stack", "ipip", "backend", "netns"],
      ["up", "--stack", "ipip", "--yes", "--skip-plugin-pre-install"],
    ]);
  });

  it("preview without --netns leaves the backend alone; destroy and outputs are single steps", () => {
    const steps = (argv: string[]): string[][] => {
      const a = parseLabArgs(argv);
      if ("error" in a) throw new Error(a.error);
      return labSteps(a);
    };
    expect(steps(["preview", "bgp"])).toEqual([["stack", "select", "--create", "bgp"], ["preview", "--stack", "bgp", "--skip-plugin-pre-install"]]);
    expect(steps(["destroy", "vxlan"])).toEqual([["destroy", "--stack", "vxlan", "--yes", "--skip-plugin-pre-install"]]);
    expect(steps(["outputs", "vxlan"])).toEqual([["stack", "output", "--json", "--show-secrets", "-s", "vxlan"]]);
  });
});

describe("npm run lab against a stand-in pulumi", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lab-tool-"));
  const log = path.join(dir, "calls.log");
  const outputsFile = path.join(dir, "outputs.json");
  fs.writeFileSync(
    path.join(dir, "pulumi"),
    [
      "#!/bin/sh",
      `echo "$* | passphrase=[\${PULUMI_CONFIG_PASSPHRASE-unset}] skip=\${PULUMI_SKIP_UPDATE_CHECK-unset} acquire=\${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION-unset} path=$PATH" >>'${log}'`,
      `case "$1 $2" in "stack output") cat '${outputsFile}' ;; esac`,
    ].join("\n") + "\n",
    { mode: 0o755 },
  );
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function run(args: string[]): { status: number | null; stdout: string; stderr: string; calls: string[] } {
    fs.rmSync(log, { force: true });
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, [TOOLCHAIN_DIR_ENV]: dir };
    const r = spawnSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), path.join(__dirname, "..", "bin", "lab.ts"), ...args], {
      encoding: "utf8",
      env,
    });
    const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
  }

  it("up: the steps in order with the lab's environment, then the verdicts; exit 0 when all passed", async () => {
    fs.writeFileSync(outputsFile, JSON.stringify(await seedOutputs({ captureDir: path.join(dir, "captures"), writePcaps: false })));
    const r = run(["up", "ipip", "--netns"]);
    expect(r.status).toBe(0);
    const commands = r.calls.map((c) => c.split(" | ")[0]);
    expect(commands).toEqual([
      "stack select --create ipip",
      "config set --stack ipip backend netns",
      "up --stack ipip --yes --skip-plugin-pre-install",
      "stack output --json --show-secrets -s ipip",
    ]);
    for (const c of r.calls) {
      expect(c).toContain("passphrase=[] skip=true acquire=true");
      // Pulumi's plugin cache (HOME/.pulumi) has no official command plugin here: ours is on PATH.
      expect(c.split("path=")[1].split(":").slice(0, 2)).toEqual([dir, OWN_PROVIDER_DIR]);
    }
    expect(r.stdout).toContain("PASS: all 2 captures show the expected encapsulation");
  });

  it("up: a failed capture makes it exit 1 and says which", async () => {
    fs.writeFileSync(
      outputsFile,
      JSON.stringify(await seedOutputs({ captureDir: path.join(dir, "captures"), writePcaps: false, observe: { "cross-subnet": "none" } })),
    );
    const r = run(["up", "ipip"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("FAIL: 1 of 2 captures failed: cross-subnet");
  });

  it("refuses bad arguments with the usage before running anything", () => {
    const r = run(["launch", "ipip"]);
    expect(r).toMatchObject({ status: 2, calls: [] });
    expect(r.stderr).toContain("usage: npm run lab -- up|preview|destroy|outputs STACK [--netns]");
  });
});
