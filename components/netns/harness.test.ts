/**
 * The netns backend through the executing harness (harness/): the Commands run as
 * @pulumi/command would run them, in dependency order, with the harness checking that no
 * helper holds a command's pipes open. Proves: up in mode Always gives IPIP on both
 * paths; switching the stack to CrossSubnet updates only the control plane and gateway
 * Commands (a new BIRD filter loaded in place) and the captures, after which the
 * same-subnet path is plain; destroy leaves nothing. Root only.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runDestroy, runUp } from "../../harness";
import { buildLabSpec } from "../../lab/config";
import { CaptureResult } from "../../lab/spec";
import { DirectLab } from "./direct";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const suite = isRoot ? describe : describe.skip;

const PROGRAM = path.join(__dirname, "testdata", "program");

suite("netns backend under the executing harness", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `netns-harness-${process.pid}-`));
  const labName = `h${process.pid}-lab`;
  const config = { backend: "netns", labName, capture: { dir: path.join(dir, "captures") } };
  const stateFile = path.join(dir, "state.json");
  const lab = new DirectLab(buildLabSpec({ backend: "netns", labName }, { stack: "test", cwd: PROGRAM }));
  let destroyed = false;

  afterAll(async () => {
    if (!destroyed) await runDestroy({ stateFile }).catch(() => undefined);
    await lab.down().catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const verdicts = (outputs: Record<string, unknown> | null): [string, string, string, boolean][] =>
    ((outputs?.captures ?? []) as CaptureResult[]).map((c) => [c.scenario, c.expected, c.observed, c.pass]);

  it("up in mode Always: both paths encapsulated", async () => {
    const r = await runUp({ programDir: PROGRAM, stack: "test", stateFile, config: { ...config, ipipMode: "Always" } });
    expect(r.error).toBeNull();
    expect(r.outputs?.verdict).toBe("pass");
    expect(r.outputs?.dataplane).toMatch(/^(kernel|userspace)-ipip$/);
    expect(verdicts(r.outputs)).toEqual([
      ["same-subnet", "ipip", "ipip", true],
      ["cross-subnet", "ipip", "ipip", true],
    ]);
  });

  it("a mode change re-runs only the control plane's and the gateway's update (and the captures)", async () => {
    const r = await runUp({ programDir: PROGRAM, stack: "test", stateFile, config: { ...config, ipipMode: "CrossSubnet" } });
    expect(r.error).toBeNull();
    const ran = r.operations.filter((o) => o.script !== null).map((o) => [o.name, o.script]);
    expect(ran).toEqual(
      expect.arrayContaining([
        [`${labName}-controlplane`, "update"],
        [`${labName}-gateway-bgp`, "update"],
        ["lab-same-subnet-tcpdump", "create"],
      ]),
    );
    expect(ran.some(([name]) => name === `${labName}-topology`)).toBe(false);
    const controlPlane = r.operations.find((o) => o.name === `${labName}-controlplane`);
    expect(controlPlane?.durationMs).toBeLessThan(3000);
    expect(verdicts(r.outputs)).toEqual([
      ["same-subnet", "none", "none", true],
      ["cross-subnet", "ipip", "ipip", true],
    ]);
  });

  it("destroy removes the lab: no namespace, process or run dir", async () => {
    const r = await runDestroy({ stateFile });
    destroyed = true;
    expect(r.error).toBeNull();
    expect(lab.leftovers()).toEqual({ namespaces: [], runDir: false, processes: [] });
  });
});
