import * as fs from "fs";
import * as path from "path";
import { StandinHost, STANDIN_TOOLS } from "./harness";

/** A throwaway script that runs its arguments (`bash run.sh kind version`). */
function runner(host: StandinHost): string {
  const script = path.join(host.root, "run.sh");
  fs.writeFileSync(script, 'set -eu\n"$@"\n');
  return script;
}

describe("stand-ins", () => {
  let host: StandinHost;
  beforeEach(() => (host = StandinHost.create()));
  afterEach(() => host.dispose());

  test("PATH holds the stand-ins, never the host's tools; a hidden tool is not found", () => {
    expect(host.env().PATH).toBe(host.bin);
    const found = runWith(host, runner(host), ["bash", "-c", `command -v ${STANDIN_TOOLS.join(" ")}`]);
    expect(found.stdout.trim().split("\n")).toEqual(STANDIN_TOOLS.map((t) => path.join(host.bin, t)));
    for (const tool of STANDIN_TOOLS) {
      expect(fs.realpathSync(path.join(host.bin, tool))).toBe(fs.realpathSync(path.join(__dirname, tool)));
    }
    const hiding = StandinHost.create({ hide: ["kind"] });
    try {
      expect(runWith(hiding, runner(hiding), ["bash", "-c", "command -v kind"]).status).toBe(1);
    } finally {
      hiding.dispose();
    }
  });

  test("every call is logged with its argv, and its stdin when it reads one", () => {
    const r = spawnKindCreate(host, runner(host));
    expect(r.status).toBe(0);
    expect(host.calls()).toEqual([
      { cmd: "kind", argv: ["create", "cluster", "--name", "t", "--image", "img:v1", "--config", "-"], stdin: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n" },
    ]);
    expect(host.lines()).toEqual(["kind create cluster --name t --image img:v1 --config -"]);
    expect(host.world().containers["t-control-plane"].labels).toEqual({ "io.x-k8s.kind.cluster": "t" });
  });

  test("STANDIN_FAIL makes a matching call fail with a message; others still answer", () => {
    const script = runner(host);
    const r = runWith(host, script, ["kind", "version"], "^kind version");
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("stand-in kind: failing on purpose (STANDIN_FAIL=^kind version)\n");
    const ok = runWith(host, script, ["kind", "version"], "^kubectl");
    expect([ok.status, ok.stdout]).toEqual([0, "kind v0.20.0 go1.20.4 linux/amd64\n"]);
    expect(host.lines()).toEqual(["kind version", "kind version"]);
  });

  test("a call the model does not know fails loudly", () => {
    const r = runWith(host, runner(host), ["docker", "run", "--rm", "alpine"]);
    expect(r.status).toBe(64);
    expect(r.stderr).toBe("stand-in docker: unsupported call: run --rm alpine\n");
  });

  test("ip manages modelled bridges only: the host's links are untouched", () => {
    const script = runner(host);
    const name = "brstandin0";
    expect(runWith(host, script, ["ip", "link", "add", name, "type", "bridge"]).status).toBe(0);
    expect(runWith(host, script, ["ip", "link", "add", name, "type", "bridge"])).toMatchObject({ status: 2, stderr: "RTNETLINK answers: File exists\n" });
    expect(fs.existsSync(`/sys/class/net/${name}`)).toBe(false);
    expect(host.world().bridges).toEqual({ [name]: { up: false } });
    expect(runWith(host, script, ["ip", "link", "set", name, "up"]).status).toBe(0);
    expect(runWith(host, script, ["ip", "-d", "link", "show", name]).stdout).toContain(" bridge ");
    expect(runWith(host, script, ["ip", "link", "del", name]).status).toBe(0);
    expect(runWith(host, script, ["ip", "link", "show", name])).toMatchObject({ status: 1, stderr: `Device "${name}" does not exist.\n` });
    expect(runWith(host, script, ["ip", "addr", "flush", "dev", "eth0"]).status).toBe(64);
  });

  test("kubectl needs the cluster its kubeconfig names", () => {
    const r = runWith(host, runner(host), ["kubectl", "get", "pods", "-o", "json"]);
    expect(r).toMatchObject({ status: 1, stderr: "The connection to the server localhost:8080 was refused - did you specify the right host or port?\n" });
  });

  test("docker cp writes a pcap that tcpdump 'wrote' in a sidecar", () => {
    host.update((w) => {
      w.containers.side = { labels: {}, net: { links: {}, defaultRoute: "" }, files: { "/tmp/x.pcap": Buffer.from("d4c3b2a1", "hex").toString("base64") }, procs: {} };
    });
    const dest = path.join(host.root, "out.pcap");
    expect(runWith(host, runner(host), ["docker", "cp", "side:/tmp/x.pcap", dest]).status).toBe(0);
    expect(fs.readFileSync(dest).toString("hex")).toBe("d4c3b2a1");
    expect(runWith(host, runner(host), ["docker", "cp", "side:/tmp/none", dest]).stderr).toBe("Error response from daemon: Could not find the file /tmp/none in container side\n");
  });
});

function runWith(host: StandinHost, script: string, argv: string[], fail?: string): ReturnType<StandinHost["run"]> {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  fs.writeFileSync(script, `set -eu\n${quoted}\n`);
  return host.run(script, {}, { fail });
}

function spawnKindCreate(host: StandinHost, script: string): ReturnType<StandinHost["run"]> {
  fs.writeFileSync(script, "set -eu\nkind create cluster --name t --image img:v1 --config -\n");
  return host.run(script, {}, { stdin: "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes:\n  - role: control-plane\n" });
}
