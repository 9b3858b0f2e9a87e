import { buildLabSpec } from "../../model/config";
import { HostView, labSurvival } from "./survival";

const spec = buildLabSpec({ backend: "netns", labName: "lab" }, { stack: "ipip", cwd: "/" });
const never = buildLabSpec({ backend: "netns", labName: "lab", ipipMode: "Never" }, { stack: "bgp", cwd: "/" });
const RUN = "/run/calico-ipip-lab/lab";

/** A host holding `files` (path → content) and namespaces; `alive` pid files run their process. */
function host(files: Record<string, string>, namespaces: string[], alive: (pidFile: string) => boolean = () => true): HostView {
  return {
    exists: (file) => file in files || namespaces.some((ns) => file === `/var/run/netns/${ns}`),
    read: (file) => files[file] ?? null,
    runs: (_pid, arg) => alive(arg),
  };
}

const ALL_NS = ["lab-ul", "lab-gw0", "lab-n1", "lab-n2", "lab-n3", "lab-n4", "lab-p1", "lab-p2", "lab-p3", "lab-p4"];
const WHOLE_FILES: Record<string, string> = {
  [`${RUN}/build-id`]: "build-1",
  [`${RUN}/bird/generation`]: "cp-1",
  [`${RUN}/tunl0.pid`]: "101",
  [`${RUN}/bird/n1.pid`]: "201",
  [`${RUN}/bird/n2.pid`]: "202",
  [`${RUN}/bird/n3.pid`]: "203",
  [`${RUN}/bird/n4.pid`]: "204",
};

describe("labSurvival", () => {
  it("a whole lab keeps its identities and reports nothing", () => {
    expect(labSurvival(spec, RUN, host(WHOLE_FILES, ALL_NS))).toEqual({ buildId: "build-1", generation: "cp-1", problems: [] });
  });

  it("a lab never built gets fresh identities and no problems", () => {
    const h = labSurvival(spec, RUN, host({}, []));
    expect(h.problems).toEqual([]);
    expect(h.buildId).toMatch(/^build-[a-z0-9]+-[0-9a-f]{6}$/);
    expect(h.generation).toMatch(/^cp-/);
  });

  it("a deleted namespace rebuilds the topology and the control plane", () => {
    const h = labSurvival(spec, RUN, host(WHOLE_FILES, ALL_NS.filter((n) => n !== "lab-n3")));
    expect(h.problems).toEqual(["namespace lab-n3 is gone"]);
    expect(h.buildId).not.toBe("build-1");
    expect(h.generation).not.toBe("cp-1");
  });

  it("a stopped tunl0 helper rebuilds the topology", () => {
    const h = labSurvival(spec, RUN, host(WHOLE_FILES, ALL_NS, (f) => !f.endsWith("/tunl0.pid")));
    expect(h.problems).toEqual(["the userspace tunl0 helper (every node's tunl0) is not running"]);
    expect(h.buildId).not.toBe("build-1");
  });

  it("a stopped BIRD re-runs only the control plane", () => {
    const h = labSurvival(spec, RUN, host(WHOLE_FILES, ALL_NS, (f) => !f.endsWith("bird/n2.pid")));
    expect(h).toMatchObject({ buildId: "build-1", problems: ["the BIRD of lab-n2 is not running"] });
    expect(h.generation).not.toBe("cp-1");
  });

  it("in mode Never the gateway's BIRD counts too", () => {
    expect(labSurvival(never, RUN, host(WHOLE_FILES, ALL_NS)).problems).toEqual(["the gateway's BIRD is not running"]);
    expect(labSurvival(never, RUN, host({ ...WHOLE_FILES, [`${RUN}/bird/gateway.pid`]: "300" }, ALL_NS)).problems).toEqual([]);
  });

  it("a reboot (run folder and namespaces gone) is a lab to build anew; namespaces left without their folder are named", () => {
    expect(labSurvival(spec, RUN, host({}, [])).problems).toEqual([]);
    expect(labSurvival(spec, RUN, host({}, ["lab-n1"])).problems).toEqual([`the lab's run folder ${RUN} is gone while namespaces remain`]);
  });
});
