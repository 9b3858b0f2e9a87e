import { buildLabSpec } from "../../model/config";
import { calicoRouteLines } from "../../model/dataplane";
import { ClusterIpam, expectedRoutes, parseIpam, routeDrift } from "./routes";

const CWD = "/srv/calico-ipip-lab";
const ipip = buildLabSpec({ labName: "lab" }, { stack: "ipip", cwd: CWD });
const vxlan = buildLabSpec({ labName: "lab", ipipMode: "Never", vxlanMode: "Always" }, { stack: "vxlan", cwd: CWD });
const NODES = ["lab-control-plane", "lab-worker", "lab-worker2", "lab-worker3"];
/** Blocks Calico's IPAM picked, not the model's 10.244.0.0/26, .64, .128, .192; VTEPs inside them, not at their start. */
const REAL: ClusterIpam = Object.fromEntries(NODES.map((n, i) => [n, { blocks: [`10.244.${7 + i}.0/26`], vtep: `10.244.${7 + i}.5` }]));

describe("expectedRoutes", () => {
  test("IPIP: each node blackholes the block IPAM gave it and routes the others' via their node on tunl0", () => {
    expect(expectedRoutes(ipip, REAL)["lab-control-plane"]).toEqual([
      "blackhole 10.244.7.0/26 proto bird",
      "10.244.8.0/26 via 10.1.5.11 dev tunl0 proto bird onlink",
      "10.244.9.0/26 via 10.1.8.10 dev tunl0 proto bird onlink",
      "10.244.10.0/26 via 10.1.8.11 dev tunl0 proto bird onlink",
    ]);
  });

  test("VXLAN: Felix's routes via the VTEPs IPAM allocated, the blackhole Felix's (no BIRD)", () => {
    expect(expectedRoutes(vxlan, REAL)["lab-worker3"]).toEqual([
      "blackhole 10.244.10.0/26 proto 80",
      "10.244.7.0/26 via 10.244.7.5 dev vxlan.calico proto 80 onlink",
      "10.244.8.0/26 via 10.244.8.5 dev vxlan.calico proto 80 onlink",
      "10.244.9.0/26 via 10.244.9.5 dev vxlan.calico proto 80 onlink",
    ]);
  });

  test("a node without exactly one block, or without the VTEP VXLAN routes via, is an error naming it", () => {
    expect(() => expectedRoutes(ipip, { ...REAL, "lab-worker": { blocks: ["10.244.8.0/26", "10.244.20.0/26"], vtep: null } })).toThrow(
      "Calico's IPAM gave lab-worker the blocks [10.244.8.0/26, 10.244.20.0/26]; the model routes exactly one block per node",
    );
    const { "lab-worker2": _gone, ...three } = REAL;
    expect(() => expectedRoutes(ipip, three)).toThrow("Calico's IPAM gave lab-worker2 no block");
    expect(() => expectedRoutes(vxlan, { ...REAL, "lab-worker": { blocks: ["10.244.8.0/26"], vtep: null } })).toThrow("Calico's IPAM gave lab-worker no VXLAN tunnel address");
    expect(expectedRoutes(ipip, { ...REAL, "lab-worker": { blocks: ["10.244.8.0/26"], vtep: null } })["lab-worker"]).toHaveLength(4);
  });
});

describe("parseIpam", () => {
  test("reads ipam.sh's last line; refuses another shape", () => {
    expect(parseIpam(`progress\n${JSON.stringify(REAL)}\n`)).toEqual(REAL);
    expect(() => parseIpam('{"lab-worker": {"blocks": "10.244.8.0/26", "vtep": null}}')).toThrow("ipam.sh: lab-worker is not {blocks: [cidr, ...], vtep: address | null}");
    expect(() => parseIpam("[]")).toThrow("ipam.sh's last line is not a JSON object");
  });
});

describe("calicoRouteLines and routeDrift", () => {
  const table = [
    "default via 10.1.5.1 dev net0",
    "blackhole 10.244.7.0/26 proto bird",
    "10.244.7.1 dev cali1234567890a scope link",
    "10.244.8.0/26 via 10.1.5.11 dev tunl0 proto bird onlink",
    "10.244.9.0/26 via 10.244.9.5 dev vxlan.calico proto 80 onlink",
    "10.1.5.0/24 dev net0 proto kernel scope link src 10.1.5.10",
    "10.99.0.0/16 via 10.1.5.1 dev net0 proto birdie",
  ];

  test("Calico's lines are BIRD's and Felix's, nothing else", () => {
    expect(calicoRouteLines(table)).toEqual([table[1], table[3], table[4]]);
  });

  test("no drift when each node shows exactly its expected routes; otherwise both sides are named", () => {
    const want = { "lab-control-plane": [table[1], table[3], table[4]] };
    expect(routeDrift(want, { "lab-control-plane": table })).toEqual([]);
    const stale = "10.244.8.0/26 via 10.1.5.11 dev net0 proto bird";
    expect(routeDrift({ "lab-control-plane": [table[1], stale, table[4]] }, { "lab-control-plane": table })).toEqual([
      `lab-control-plane: the model expects ["${stale}"] which the table lacks; the table has ["${table[3]}"] which the model does not`,
    ]);
    expect(routeDrift({ ...want, "lab-worker": [] }, { "lab-control-plane": table })).toEqual(["lab-worker: no routing table was read back"]);
  });
});
