import { DockerContainer, KindHostView, kindLabPresence, parseDockerPs } from "./labPresence";
import { buildLabSpec } from "../../model/config";

const spec = buildLabSpec({ labName: "lab" }, { stack: "ipip", cwd: "/srv/calico-ipip-lab" });
const WORK = "/srv/work/lab";
const RECORDED = { [`${WORK}/cluster-build`]: "kind-1", [`${WORK}/clab-build`]: "clab-1" };
const NODES = ["lab-control-plane", "lab-worker", "lab-worker2", "lab-worker3"];
const CLAB = ["clab-lab-gw0", "clab-lab-server1", "clab-lab-server2", "clab-lab-server3", "clab-lab-server4"];
const WHOLE: DockerContainer[] = [...NODES, ...CLAB].map((name) => ({ name, state: "running" }));

/** A host holding `files`, docker's answer and the bridges; counts docker calls. */
function host(files: Record<string, string>, answer: DockerContainer[] | { error: string }, bridges = ["br-lab0", "br-lab1"]): KindHostView & { asked: number } {
  const view = {
    asked: 0,
    read: (file: string) => files[file] ?? null,
    containers: (lab: string) => {
      expect(lab).toBe("lab");
      view.asked++;
      return answer;
    },
    hasLink: (name: string) => bridges.includes(name),
  };
  return view;
}

const without = (gone: string): DockerContainer[] => WHOLE.filter((c) => c.name !== gone);

describe("kindLabPresence", () => {
  it("a whole lab keeps its identities and reports nothing", () => {
    expect(kindLabPresence(spec, WORK, host(RECORDED, WHOLE), true)).toEqual({ cluster: "kind-1", topology: "clab-1", problems: [] });
  });

  it("a lab never built gets fresh identities without asking docker", () => {
    const h = host({}, { error: "must not be asked" });
    const presence = kindLabPresence(spec, WORK, h, true);
    expect(presence).toEqual({ cluster: expect.stringMatching(/^kind-[a-z0-9]+-[0-9a-f]{6}$/), topology: expect.stringMatching(/^clab-/), problems: [] });
    expect(h.asked).toBe(0);
  });

  it("a preview uses the recorded identities and never asks docker", () => {
    const h = host(RECORDED, []);
    expect(kindLabPresence(spec, WORK, h, false)).toEqual({ cluster: "kind-1", topology: "clab-1", problems: [] });
    expect(h.asked).toBe(0);
  });

  it("a kind node gone or stopped re-creates the cluster and redeploys containerlab", () => {
    const gone = kindLabPresence(spec, WORK, host(RECORDED, without("lab-worker2")), true);
    expect(gone.problems).toEqual(["container lab-worker2 is gone"]);
    expect([gone.cluster, gone.topology].some((id) => id === "kind-1" || id === "clab-1")).toBe(false);
    const exited = kindLabPresence(spec, WORK, host(RECORDED, WHOLE.map((c) => (c.name === "lab-control-plane" ? { ...c, state: "exited" } : c))), true);
    expect(exited.problems).toEqual(["container lab-control-plane is exited"]);
    expect(exited.cluster).not.toBe("kind-1");
  });

  it("a containerlab container gone, or a bridge, redeploys only containerlab", () => {
    const sidecar = kindLabPresence(spec, WORK, host(RECORDED, without("clab-lab-server3")), true);
    expect(sidecar).toMatchObject({ cluster: "kind-1", problems: ["container clab-lab-server3 is gone"] });
    expect(sidecar.topology).not.toBe("clab-1");
    const bridge = kindLabPresence(spec, WORK, host(RECORDED, WHOLE, ["br-lab0"]), true);
    expect(bridge).toMatchObject({ cluster: "kind-1", problems: ["bridge br-lab1 is gone"] });
    expect(bridge.topology).not.toBe("clab-1");
  });

  it("a reboot (every container exited, the bridges gone) rebuilds everything and names it all", () => {
    const presence = kindLabPresence(spec, WORK, host(RECORDED, WHOLE.map((c) => ({ ...c, state: "exited" })), []), true);
    expect(presence.problems).toEqual([
      ...NODES.map((n) => `container ${n} is exited`),
      "bridge br-lab0 is gone",
      "bridge br-lab1 is gone",
      ...CLAB.map((n) => `container ${n} is exited`),
    ]);
    expect([presence.cluster, presence.topology]).not.toContain("kind-1");
  });

  it("docker not answering leaves the lab as the stack has it and says why", () => {
    expect(kindLabPresence(spec, WORK, host(RECORDED, { error: "docker is not installed" }), true)).toEqual({
      cluster: "kind-1",
      topology: "clab-1",
      problems: [],
      unknown: "docker is not installed",
    });
  });

  it("a cluster recorded but never deployed on: containerlab gets a fresh identity, its absence is no problem", () => {
    const presence = kindLabPresence(spec, WORK, host({ [`${WORK}/cluster-build`]: "kind-1" }, WHOLE.filter((c) => NODES.includes(c.name))), true);
    expect(presence).toMatchObject({ cluster: "kind-1", problems: [] });
    expect(presence.topology).toMatch(/^clab-/);
  });

  it("a lost cluster record re-creates the cluster", () => {
    const presence = kindLabPresence(spec, WORK, host({ [`${WORK}/clab-build`]: "clab-1" }, WHOLE), true);
    expect(presence.problems).toEqual([`the cluster's identity file ${WORK}/cluster-build is gone`]);
    expect(presence.topology).not.toBe("clab-1");
  });
});

describe("parseDockerPs", () => {
  it("reads name and state per line", () => {
    expect(parseDockerPs("lab-worker\trunning\nclab-lab-gw0\texited\n\n")).toEqual([
      { name: "lab-worker", state: "running" },
      { name: "clab-lab-gw0", state: "exited" },
    ]);
    expect(parseDockerPs("")).toEqual([]);
  });
});
