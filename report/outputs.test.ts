import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { checkOutputs, InputError, parseOutputsJson, PulumiRunner, readOutputsFile, readStackOutputs, runPulumi } from "./outputs";
import { seedOutputs } from "./testFixtures";

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "report-outputs-"));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const good = () => seedOutputs({ mode: "Always", captureDir: dir, writePcaps: false });

describe("checkOutputs", () => {
  it("accepts outputs that follow the contract", async () => {
    const o = await good();
    expect(checkOutputs(JSON.parse(JSON.stringify(o)), "x")).toEqual(o);
  });

  it("lists every problem by JSON path, prefixed with the source", async () => {
    const o = JSON.parse(JSON.stringify(await good()));
    o.lab.ipipMode = "Sometimes";
    delete o.nodes[1].ip;
    o.captures[0].client = "pod-0";
    o.captures[1].outer = { src: "a", dst: "b" };
    o.captures[1].routes.server = [1];
    o.verdict = "ok";
    let err: unknown;
    try {
      checkOutputs(o, "stack ipip");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^stack ipip: the outputs do not follow the LabOutputs contract/);
    expect(msg).toContain('lab.ipipMode: expected one of "Always", "CrossSubnet", "Never", got string "Sometimes"');
    expect(msg).toContain("nodes[1].ip: expected an IPv4 address, got nothing (missing)");
    expect(msg).toContain('captures[0].client: expected an object, got string "pod-0"');
    expect(msg).toContain('captures[1].outer.src: expected an IPv4 address, got string "a"');
    expect(msg).toContain("captures[1].outer.protocol: expected an integer from 0 to 255, got nothing (missing)");
    expect(msg).toContain("captures[1].routes.server[0]: expected a string, got number 1");
    expect(msg).toContain('verdict: expected one of "pass", "fail", got string "ok"');
  });

  it("rejects things that are not outputs at all", () => {
    expect(() => checkOutputs([], "f")).toThrow(/outputs: expected an object, got an array/);
    expect(() => checkOutputs({ lab: {}, nodes: [], pods: [], captures: [], verdict: "fail" }, "f")).toThrow(/nodes is empty/);
  });

  it("parseOutputsJson: empty text and bad JSON are input errors", () => {
    expect(() => parseOutputsJson("", "s")).toThrow(InputError);
    expect(() => parseOutputsJson("{", "s")).toThrow(/s: not JSON/);
  });
});

describe("readOutputsFile", () => {
  it("names the stack after the file, or NAME=FILE", async () => {
    const file = path.join(dir, "crosssubnet.json");
    await fsp.writeFile(file, JSON.stringify(await good()));
    expect((await readOutputsFile(file)).name).toBe("crosssubnet");
    expect((await readOutputsFile(`mine=${file}`)).name).toBe("mine");
    expect((await readOutputsFile("crosssubnet.json", dir)).name).toBe("crosssubnet");
  });

  it("says clearly what is wrong with the file", async () => {
    await expect(readOutputsFile(path.join(dir, "none.json"))).rejects.toThrow(/cannot read it: no such file/);
    await expect(readOutputsFile(dir)).rejects.toThrow(/it is a directory/);
    await fsp.writeFile(path.join(dir, "bad.json"), "not json");
    await expect(readOutputsFile(path.join(dir, "bad.json"))).rejects.toThrow(/not JSON/);
  });
});

describe("readStackOutputs", () => {
  it("runs `pulumi stack output --json --show-secrets -s NAME` and checks what it printed", async () => {
    const o = await good();
    const calls: string[][] = [];
    const run: PulumiRunner = async (args) => {
      calls.push(args);
      return { stdout: JSON.stringify(o), stderr: "", code: 0, missing: false };
    };
    expect((await readStackOutputs("ipip", dir, run)).outputs).toEqual(o);
    expect(calls).toEqual([["stack", "output", "--json", "--show-secrets", "-s", "ipip"]]);
  });

  it("explains a missing CLI and a failing command", async () => {
    await expect(readStackOutputs("ipip", dir, async () => ({ stdout: "", stderr: "", code: null, missing: true }))).rejects.toThrow(
      /pulumi CLI is not on PATH.*--outputs ipip.json/s,
    );
    await expect(
      readStackOutputs("nope", dir, async () => ({ stdout: "", stderr: "error: no stack named 'nope' found", code: 255, missing: false })),
    ).rejects.toThrow(/failed \(exit 255\):\n {2}error: no stack named 'nope' found/);
  });

  it("runPulumi runs whatever `pulumi` is on PATH (here a stand-in script)", async () => {
    const bin = path.join(dir, "bin");
    await fsp.mkdir(bin, { recursive: true });
    await fsp.writeFile(path.join(bin, "pulumi"), `#!/bin/sh\necho "$@"\necho oops >&2\nexit 3\n`, { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      expect(await runPulumi(["stack", "output"], dir)).toEqual({ stdout: "stack output\n", stderr: "oops\n", code: 3, missing: false });
      process.env.PATH = path.join(dir, "empty");
      expect((await runPulumi(["x"], dir)).missing).toBe(true);
    } finally {
      process.env.PATH = saved;
    }
  });
});
