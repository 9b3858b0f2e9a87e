import { execFile } from "child_process";
import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { main, namedFile, parseArgs } from "../../report/cli";
import type { PulumiRunner } from "../../verdicts/stackOutputs";
import { seedOutputs } from "./fixtures";

let dir: string;
let ipipJson: string;
let crossJson: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "report-cli-"));
  ipipJson = path.join(dir, "ipip.json");
  crossJson = path.join(dir, "crosssubnet.json");
  await fsp.writeFile(ipipJson, JSON.stringify(await seedOutputs({ mode: "Always", captureDir: path.join(dir, "captures", "ipip") })));
  await fsp.writeFile(crossJson, JSON.stringify(await seedOutputs({ mode: "CrossSubnet", captureDir: path.join(dir, "captures", "crosssubnet") })));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], pulumi?: PulumiRunner) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { cwd: dir, out: (l) => out.push(l), err: (l) => err.push(l), pulumi });
  return { code, out, err: err.join("\n") };
}

describe("parseArgs", () => {
  it("takes stacks and files in order, both --opt VALUE and --opt=VALUE", () => {
    expect(parseArgs(["--stack", "ipip", "--outputs=x.json", "-s", "c", "--out", "o"])).toEqual({
      sources: [
        { kind: "stack", name: "ipip" },
        { kind: "file", path: "x.json" },
        { kind: "stack", name: "c" },
      ],
      outDir: "o",
      help: false,
    });
    expect(parseArgs(["--outputs", "a.json"]).outDir).toBe("reports");
    expect(parseArgs(["--help"]).help).toBe(true);
  });

  it("names a file's stack NAME=FILE; a = in the folder part is the path's", () => {
    expect(namedFile("mine=a/b.json")).toEqual({ kind: "file", path: "a/b.json", name: "mine" });
    expect(namedFile("runs/a=b.json")).toEqual({ kind: "file", path: "runs/a=b.json" });
    expect(namedFile("x.json")).toEqual({ kind: "file", path: "x.json" });
  });

  it("rejects what it does not understand", () => {
    expect(() => parseArgs([])).toThrow(/at least one --stack NAME or --outputs FILE/);
    expect(() => parseArgs(["--stack"])).toThrow(/--stack needs a value/);
    expect(() => parseArgs(["--stack", "--out", "x"])).toThrow(/--stack needs a value/);
    expect(() => parseArgs(["--stack="])).toThrow(/non-empty/);
    expect(() => parseArgs(["ipip"])).toThrow(/unknown argument "ipip"/);
  });
});

describe("main", () => {
  it("writes the HTML and the Markdown under reports/ and prints their paths", async () => {
    const r = await run(["--outputs", ipipJson, "--outputs", crossJson]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toEqual([path.join(dir, "reports", "report-ipip+crosssubnet.html"), path.join(dir, "reports", "report-ipip+crosssubnet.md")]);
    for (const f of r.out) expect((await fsp.stat(f)).size).toBeGreaterThan(1000);
  });

  it("reads stacks through pulumi, and honours --out", async () => {
    const text = await fsp.readFile(ipipJson, "utf8");
    const r = await run(["--stack", "ipip", "--out", "elsewhere"], async (args) => ({ stdout: args.includes("ipip") ? text : "", stderr: "", code: 0, missing: false }));
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(path.join(dir, "elsewhere", "report-ipip.html"));
  });

  it("exits 2 with a clear message for unusable input", async () => {
    const bad = path.join(dir, "bad.json");
    await fsp.writeFile(bad, JSON.stringify({ lab: { name: "x" } }));
    const empty = path.join(dir, "empty.json");
    await fsp.writeFile(empty, JSON.stringify({ ...JSON.parse(await fsp.readFile(ipipJson, "utf8")), nodes: [] }));
    const cases: [string[], RegExp][] = [
      [[], /give at least one --stack NAME or --outputs FILE/],
      [["--frobnicate"], /unknown argument/],
      [["--outputs", path.join(dir, "missing.json")], /missing\.json: cannot read it: no such file/],
      [["--outputs", bad], /bad\.json: the outputs do not follow the LabOutputs contract.*lab\.backend: expected one of "kind", "netns", got nothing/s],
      [["--outputs", ipipJson, "--outputs", ipipJson], /stack ipip is given twice/],
      [["--outputs", empty], /stack empty: nodes is empty: there is no lab to draw/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^report: /);
      expect(r.err).toMatch(re);
      expect(r.out).toEqual([]);
    }
    const r = await run(["--stack", "ipip"], async () => ({ stdout: "", stderr: "", code: null, missing: true }));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/pulumi CLI is not on PATH/);
  });

  it("`npm run report` runs bin/report.ts: 0 and the paths, or 2 and the reason", async () => {
    const root = path.resolve(__dirname, "..", "..");
    const npm = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile("npm", ["run", "--silent", "report", "--", ...args], { cwd: root }, (e, stdout, stderr) =>
          resolve({ code: e ? Number(e.code) : 0, stdout: String(stdout), stderr: String(stderr) }),
        ),
      );
    const out = path.join(dir, "npm-out");
    const ok = await npm(["--outputs", ipipJson, "--out", out]);
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split("\n")).toEqual([path.join(out, "report-ipip.html"), path.join(out, "report-ipip.md")]);
    const bad = await npm(["--outputs", path.join(dir, "nothing.json")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/report: --outputs .*nothing\.json: cannot read it: no such file/);
  });
});
