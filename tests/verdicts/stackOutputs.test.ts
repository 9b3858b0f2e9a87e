import { promises as fsp } from "fs";
import * as os from "os";
import * as path from "path";
import { seedOutputs } from "../report/fixtures";
import { checkOutputs, InputError, parseOutputsJson, PulumiRunner, readOutputs, runPulumi, stackOutputArgs } from "../../verdicts/stackOutputs";

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "stack-outputs-"));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const good = () => seedOutputs({ mode: "Always", captureDir: dir, writePcaps: false });

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("did not throw");
}

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
    const err = thrown(() => checkOutputs(o, "stack ipip"));
    expect(err).toBeInstanceOf(InputError);
    expect(err.message.split("\n")).toEqual([
      "stack ipip: the outputs do not follow the LabOutputs contract (model/spec.ts):",
      '  - lab.ipipMode: expected one of "Always", "CrossSubnet", "Never", got string "Sometimes"',
      "  - nodes[1].ip: expected an IPv4 address, got nothing (missing)",
      '  - captures[0].client: expected an object, got string "pod-0"',
      '  - captures[1].outer.src: expected an IPv4 address, got string "a"',
      '  - captures[1].outer.dst: expected an IPv4 address, got string "b"',
      "  - captures[1].outer.protocol: expected an integer from 0 to 255, got nothing (missing)",
      "  - captures[1].routes.server[0]: expected a string, got number 1",
      '  - verdict: expected one of "pass", "fail", got string "ok"',
    ]);
  });

  it("rejects things that are not outputs at all, secrets hidden too; shows 20 problems and counts the rest", async () => {
    expect(() => checkOutputs([], "f")).toThrow(/outputs: expected an object, got an array/);
    const hidden = { ...(await good()), captures: "[secret]" };
    expect(() => checkOutputs(hidden, "x")).toThrow('captures: expected an array, got string "[secret]"');
    const many = JSON.parse(JSON.stringify(await good()));
    many.pods = Array.from({ length: 25 }, () => ({}));
    const lines = thrown(() => checkOutputs(many, "x")).message.split("\n");
    expect(lines).toHaveLength(22);
    expect(lines[21]).toMatch(/^ {2}- … and \d+ more$/);
  });

  it("parseOutputsJson: empty text and bad JSON are input errors", () => {
    expect(() => parseOutputsJson(" \n", "s")).toThrow(/^s: empty, expected the stack's outputs as JSON/);
    expect(() => parseOutputsJson("{", "s")).toThrow(/^s: not JSON/);
    expect(() => parseOutputsJson("{", "s")).toThrow(InputError);
  });
});

describe("readOutputs", () => {
  it("a file: named after it unless a name is given", async () => {
    const file = path.join(dir, "crosssubnet.json");
    await fsp.writeFile(file, JSON.stringify(await good()));
    expect((await readOutputs({ kind: "file", path: file })).name).toBe("crosssubnet");
    expect((await readOutputs({ kind: "file", path: file, name: "mine" })).name).toBe("mine");
    expect((await readOutputs({ kind: "file", path: "crosssubnet.json" }, { cwd: dir })).outputs).toEqual(await good());
  });

  it("says clearly what is wrong with the file", async () => {
    await expect(readOutputs({ kind: "file", path: path.join(dir, "none.json") })).rejects.toThrow(/^--outputs .*none\.json: cannot read it: no such file$/);
    await expect(readOutputs({ kind: "file", path: dir })).rejects.toThrow(/it is a directory/);
    await fsp.writeFile(path.join(dir, "bad.json"), "not json");
    await expect(readOutputs({ kind: "file", path: path.join(dir, "bad.json") })).rejects.toThrow(/bad\.json: not JSON/);
  });

  it("standard input", async () => {
    const text = JSON.stringify(await good());
    expect((await readOutputs({ kind: "stdin" }, { stdin: async () => text })).name).toBe("stdin");
    await expect(readOutputs({ kind: "stdin" }, { stdin: async () => "" })).rejects.toThrow(/^standard input: empty/);
  });

  it("a stack: runs `pulumi stack output --json --show-secrets [-s NAME]` and checks what it printed", async () => {
    const o = await good();
    const calls: string[][] = [];
    const run: PulumiRunner = async (args) => {
      calls.push(args);
      return { stdout: JSON.stringify(o), stderr: "", code: 0, missing: false };
    };
    expect((await readOutputs({ kind: "stack", name: "ipip" }, { cwd: dir, pulumi: run })).outputs).toEqual(o);
    expect((await readOutputs({ kind: "stack" }, { cwd: dir, pulumi: run })).name).toBe("(current)");
    expect(calls).toEqual([stackOutputArgs("ipip"), stackOutputArgs()]);
    expect(calls).toEqual([
      ["stack", "output", "--json", "--show-secrets", "-s", "ipip"],
      ["stack", "output", "--json", "--show-secrets"],
    ]);
  });

  it("explains a missing CLI and a failing command", async () => {
    const missing: PulumiRunner = async () => ({ stdout: "", stderr: "", code: null, missing: true });
    await expect(readOutputs({ kind: "stack", name: "ipip" }, { pulumi: missing })).rejects.toThrow(/^--stack ipip: the pulumi CLI is not on PATH.*--outputs ipip.json$/s);
    const failing: PulumiRunner = async () => ({ stdout: "", stderr: "error: no stack named 'nope' found", code: 255, missing: false });
    await expect(readOutputs({ kind: "stack", name: "nope" }, { pulumi: failing })).rejects.toThrow(/failed \(exit 255\):\n {2}error: no stack named 'nope' found/);
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
