/**
 * A lab's life across updates on the netns backend, through the real Pulumi CLI. Three
 * labs, each its own story, run at the same time:
 * - a live config change (the stack file rewritten: IPIP Always → CrossSubnet → VXLAN
 *   Always) updates only the control plane and the captures in place, and the verdicts
 *   follow;
 * - a real command failing in the middle of an up (a stand-in `bird` first on PATH, so
 *   the control plane's BIRD refuses its config): what completed is saved, the failed
 *   Command is not, and the next up converges, running only what had not completed;
 * - an up stopped by SIGINT (Ctrl-C) once the lab's first namespace exists: the next up
 *   converges and destroy leaves nothing.
 * Needs root and bird2; see support.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { ALWAYS, changes, checkLab, commandSteps, commandsThatRan, CROSS, destroyAndRemove, e2eSuite, SEED_ALWAYS, SEED_CROSS, step, TestLab, VXLAN } from "./support";
import { NETNS_DIR } from "../../components/netns/survival";

jest.setTimeout(300_000);

const isCapture = (lab: string) => (name: string): boolean => name.startsWith(`${lab}-`) && name.endsWith("-tcpdump");
/** The Commands a mode change re-runs: calico-node's work on the nodes and the gateway's BGP. */
const isRoutes = (name: string): boolean => /-controlplane$|-gateway-bgp$/.test(name);

e2eSuite("a live config change: ipipMode CrossSubnet, then VXLAN Always", () => {
  const lab = new TestLab("sw", "ipip");
  afterAll(() => lab.cleanup());

  it.concurrent("updates only the control plane and the captures, in place, and the verdicts follow the modes", async () => {
    await step("up in mode Always", async () => {
      const { outputs } = await lab.upOk();
      checkLab(outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
    });

    await step("up with ipipMode CrossSubnet", async () => {
      lab.configure({ ipipMode: "CrossSubnet" });
      const { run, outputs } = await lab.upOk();
      // In place: every changed resource is an update; nothing replaced, created or deleted.
      expect(run.steps.filter((s) => s.op !== "same" && s.op !== "update")).toEqual([]);
      const ran = commandsThatRan(run);
      expect(ran.filter((n) => !isCapture(lab.name)(n) && !isRoutes(n))).toEqual([]);
      expect(ran.filter(isRoutes).length).toBeGreaterThan(0);
      expect(ran.filter(isCapture(lab.name))).toEqual([`${lab.name}-cross-subnet-tcpdump`, `${lab.name}-same-subnet-tcpdump`]);
      checkLab(outputs, { labName: lab.name, modes: CROSS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_CROSS });
    });

    await step("up with vxlanMode Always", async () => {
      lab.configure({ ipipMode: "Never", vxlanMode: "Always" });
      const { run, outputs } = await lab.upOk();
      expect(run.steps.filter((s) => s.op !== "same" && s.op !== "update")).toEqual([]);
      expect(commandsThatRan(run).filter((n) => !isCapture(lab.name)(n) && !isRoutes(n))).toEqual([]);
      for (const n of outputs.nodes) {
        expect(n.routes.filter((l) => / dev tunl0 /.test(l))).toEqual([]);
        expect(n.routes.filter((l) => / dev vxlan\.calico proto 80 onlink$/.test(l))).toHaveLength(3);
      }
      checkLab(outputs, { labName: lab.name, modes: VXLAN, nodeCount: 4, captureDir: lab.captureDir, scenarios: { "same-subnet": "vxlan", "cross-subnet": "vxlan" } });
    });

    await step("destroy", () => destroyAndRemove(lab));
  });
});

e2eSuite("a real command failing in the middle of an up", () => {
  const lab = new TestLab("fa", "ipip");
  afterAll(() => lab.cleanup());

  it.concurrent("saves what completed and not the failed Command; the next up runs only what had not completed", async () => {
    const controlplane = `${lab.name}-controlplane`;
    const gatewayBgp = `${lab.name}-gateway-bgp`;
    // A `bird` that refuses every config, first on PATH: the control plane's BIRDs cannot
    // start (`bird -p` checks each node's config first), so controlplane.sh exits 1.
    const standIn = path.join(lab.dir, "stand-in");
    fs.mkdirSync(standIn);
    fs.writeFileSync(path.join(standIn, "bird"), "#!/bin/sh\necho 'stand-in bird: refusing every config' >&2\nexit 1\n", { mode: 0o755 });

    const before = await step("the failing up", async () => {
      const r = await lab.up({ env: { PATH: `${standIn}${path.delimiter}${process.env.PATH ?? ""}` } });
      expect(r.code).not.toBe(0);
      expect(commandSteps(r).filter((s) => s.failed).map((s) => s.name)).toEqual([controlplane]);
      expect(r.errors.find((e) => e.startsWith(`${controlplane}: `)) ?? r.errors).toContain("stand-in bird: refusing every config");
      const stored = await lab.storedCommands();
      // What completed is saved: the topology and the gateway's step ran before the nodes'.
      expect(stored).toEqual(expect.arrayContaining([`${lab.name}-topology`, gatewayBgp]));
      expect(stored).not.toContain(controlplane);
      expect(stored.filter(isCapture(lab.name))).toEqual([]);
      expect(lab.namespaces().length).toBeGreaterThan(0);
      return stored;
    });

    await step("the next up", async () => {
      const { run, outputs } = await lab.upOk();
      const op = new Map(commandSteps(run).map((s) => [s.name, s.op]));
      expect({ changes: changes(run), controlplane: op.get(controlplane) }).toMatchObject({ controlplane: "create" });
      for (const c of [`${lab.name}-same-subnet-tcpdump`, `${lab.name}-cross-subnet-tcpdump`]) expect({ c, op: op.get(c) }).toEqual({ c, op: "create" });
      // What completed did not run again: the topology is the same build. The gateway's
      // step is re-run in place because the survival check (components/netns/survival.ts)
      // gives the control plane a new identity when the nodes' BIRDs are not running.
      for (const done of before) {
        const allowed = done === gatewayBgp ? ["same", "update"] : ["same"];
        expect({ done, op: op.get(done), allowed: allowed.includes(op.get(done) ?? "") }).toEqual({ done, op: op.get(done), allowed: true });
      }
      expect(run.steps.filter((s) => s.op !== "same" && s.op !== "create" && s.op !== "update")).toEqual([]);
      checkLab(outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
    });

    await step("destroy", () => destroyAndRemove(lab));
  });
});

e2eSuite("an up stopped by SIGINT", () => {
  const lab = new TestLab("si", "ipip");
  afterAll(() => lab.cleanup());

  it.concurrent("once the first namespace exists: the up stops, the next up converges, destroy leaves nothing", async () => {
    await step("the interrupted up", async () => {
      const stop = new AbortController();
      const prefix = `${lab.name}-`;
      const poll = setInterval(() => {
        let names: string[] = [];
        try {
          names = fs.readdirSync(NETNS_DIR);
        } catch {
          // no namespace on the host yet
        }
        if (names.some((n) => n.startsWith(prefix))) {
          clearInterval(poll);
          stop.abort();
        }
      }, 25);
      const r = await lab.up({ signal: stop.signal }).finally(() => clearInterval(poll));
      expect(stop.signal.aborted).toBe(true);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toContain("received; cancelling");
      // Nothing after the topology ran: no control plane, no capture in the state or on disk.
      const stored = await lab.storedCommands();
      expect(stored.filter((n) => isRoutes(n) || isCapture(lab.name)(n))).toEqual([]);
      expect(fs.existsSync(lab.captureDir)).toBe(false);
    });

    await step("the next up", async () => {
      const { outputs } = await lab.upOk();
      checkLab(outputs, { labName: lab.name, modes: ALWAYS, nodeCount: 4, captureDir: lab.captureDir, scenarios: SEED_ALWAYS });
    });

    await step("destroy", () => destroyAndRemove(lab));
  });
});
