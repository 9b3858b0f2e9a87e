import * as fs from "fs";
import * as yaml from "js-yaml";
import {
  calicoBgpObjects,
  calicoBgpPeers,
  calicoReflectorObjects,
  checkReflectorNodes,
  kindSessionNames,
  parseBirdProtocols,
  PEER_NAME,
  reflectorNodePatch,
  reflectorState,
} from "../../components/kind/bgp";
import { K8sObject } from "../../components/kind/calicoManifest";
import { describeWithFixture } from "../fixtures";
import { bgpSpec, crossSubnetSpec, expectGolden, ipipSpec, vxlanSpec } from "./testing";

/** birdcl's answer on a seed node in mode Never: the mesh, the gateway, one session still coming up. */
const BIRD16 = `BIRD v0.3.3+birdv1.6.8 ready.
name     proto    table    state  since       info
static1  Static   master   up     07:34:24
kernel1  Kernel   master   up     07:34:24
device1  Device   master   up     07:34:24
direct1  Direct   master   up     07:34:24
Mesh_10_1_5_11 BGP      master   up     07:34:25    Established
Mesh_10_1_8_10 BGP      master   start  07:34:25    Active        Socket: Connection refused
Mesh_10_1_8_11 BGP      master   up     2024-03-02  Established
Node_10_1_5_1 BGP      master   start  07:34:26    Connect
Global_192_0_2_9_port_1790 BGP master   down   07:34:26
`;

describe("parseBirdProtocols", () => {
  test("BIRD 1.6 (calico-node's birdcl): every Calico peer with its BGP state", () => {
    expect(parseBirdProtocols(BIRD16)).toEqual([
      { peer: "10.1.5.11", state: "Established" },
      { peer: "10.1.8.10", state: "Active" },
      { peer: "10.1.8.11", state: "Established" },
      { peer: "10.1.5.1", state: "Connect" },
      { peer: "192.0.2.9", state: "down" },
    ]);
  });

  test("BIRD 2's columns read the same way; nothing else is a peer", () => {
    const bird2 = ["Name       Proto      Table      State  Since         Info", "Mesh_10_1_5_11 BGP        ---        up     07:34:25.123  Established", "kernel1    Kernel     master4    up     07:34:24.000"].join("\n");
    expect(parseBirdProtocols(bird2)).toEqual([{ peer: "10.1.5.11", state: "Established" }]);
    expect(parseBirdProtocols("")).toEqual([]);
    expect(parseBirdProtocols("Unable to connect to server control socket (/var/run/calico/bird.ctl): No such file or directory")).toEqual([]);
    expect(parseBirdProtocols("other_10_1_5_11 BGP master up 07:34:25 Established")).toEqual([]);
  });
});

describe("calicoBgpPeers", () => {
  test("mode Never: one BGPPeer per node, to the gateway's address on its segment (golden)", () => {
    const peers = calicoBgpPeers(bgpSpec());
    expect(peers.map((p) => [p.metadata?.name, (p.spec as { peerIP: string }).peerIP])).toEqual([
      ["gw0-calico-bgp-control-plane", "10.1.5.1"],
      ["gw0-calico-bgp-worker", "10.1.5.1"],
      ["gw0-calico-bgp-worker2", "10.1.8.1"],
      ["gw0-calico-bgp-worker3", "10.1.8.1"],
    ]);
    expectGolden("bgppeers.bgp.yaml", peers.map((p) => yaml.dump(p, { lineWidth: -1 })).join("---\n"));
  });

  test("with an encapsulation the gateway sees only node addresses: no BGPPeer", () => {
    for (const spec of [ipipSpec(), crossSubnetSpec(), vxlanSpec()]) expect(calicoBgpPeers(spec)).toEqual([]);
  });
});

describe("route reflectors on kind", () => {
  const rr = crossSubnetSpec({ bgp: { routeReflectors: [1, 3], clusterID: "244.0.0.7" } });

  test("the mesh off and the guide's BGPPeer (golden); none for the mesh", () => {
    expectGolden("route-reflectors.crosssubnet.yaml", calicoReflectorObjects(rr).map((o) => yaml.dump(o, { lineWidth: -1 })).join("---\n"));
    for (const spec of [ipipSpec(), crossSubnetSpec(), bgpSpec()]) expect(calicoReflectorObjects(spec)).toEqual([]);
    // mode Never: the reflectors' objects, then the gateway's peers
    const never = bgpSpec({ bgp: { routeReflectors: [2] } });
    expect(calicoBgpObjects(never).map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      "BGPConfiguration/default",
      "BGPPeer/peer-with-route-reflectors",
      ...never.nodes.map((n) => `BGPPeer/gw0-${n.name}`),
    ]);
  });

  test("each node's patch: a reflector's label and cluster ID set, every other node's removed", () => {
    expect(rr.nodes.map((n) => reflectorNodePatch(reflectorState(rr, n)))).toEqual([
      '{"metadata":{"labels":{"route-reflector":"true"},"annotations":{"projectcalico.org/RouteReflectorClusterID":"244.0.0.7"}}}',
      '{"metadata":{"labels":{"route-reflector":null},"annotations":{"projectcalico.org/RouteReflectorClusterID":null}}}',
      '{"metadata":{"labels":{"route-reflector":"true"},"annotations":{"projectcalico.org/RouteReflectorClusterID":"244.0.0.7"}}}',
      '{"metadata":{"labels":{"route-reflector":null},"annotations":{"projectcalico.org/RouteReflectorClusterID":null}}}',
    ]);
  });

  test("the read-back must be every node as configured; each node that differs is named", () => {
    const good = Object.fromEntries(rr.nodes.map((n) => [n.name, reflectorState(rr, n)]));
    expect(checkReflectorNodes(rr, good)).toEqual(good);
    const bad = { ...good, "calico-crosssubnet-worker2": { label: "true", clusterId: null } };
    delete (bad as Record<string, unknown>)["calico-crosssubnet-worker3"];
    expect(() => checkReflectorNodes(rr, bad)).toThrow(
      [
        "after the patch the nodes' route-reflector label and projectcalico.org/RouteReflectorClusterID are not the configured ones:",
        '  calico-crosssubnet-worker2: {"label":"true","clusterId":null}, expected {"label":"true","clusterId":"244.0.0.7"}',
        '  calico-crosssubnet-worker3: null, expected {"label":null,"clusterId":null}',
      ].join("\n"),
    );
  });

  test("the sessions BIRD shows on kind: Node_ to the reflectors (and the gateway's Node_ in mode Never), Mesh_ for the mesh; all PEER_NAME matches", () => {
    expect(rr.nodes.map((n) => kindSessionNames(rr, n))).toEqual([
      ["Node_10_1_5_11", "Node_10_1_8_10", "Node_10_1_8_11"],
      ["Node_10_1_5_10", "Node_10_1_8_10"],
      ["Node_10_1_5_10", "Node_10_1_5_11", "Node_10_1_8_11"],
      ["Node_10_1_5_10", "Node_10_1_8_10"],
    ]);
    const never = bgpSpec();
    expect(kindSessionNames(never, never.nodes[0])).toEqual(["Mesh_10_1_5_11", "Mesh_10_1_8_10", "Mesh_10_1_8_11", "Node_10_1_5_1"]);
    for (const spec of [rr, never]) for (const n of spec.nodes) for (const name of kindSessionNames(spec, n)) expect(name).toMatch(PEER_NAME);
  });
});

/** Where `value` does not fit `schema` (an OpenAPI v3 schema as CRDs carry it): unknown keys, wrong types. */
function schemaProblems(value: unknown, schema: { type?: string; properties?: Record<string, unknown> }, at: string): string[] {
  const type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "number" ? (Number.isInteger(value) ? "integer" : "number") : typeof value;
  if (schema.type !== undefined && schema.type !== type) return [`${at}: ${type}, the CRD says ${schema.type}`];
  if (type !== "object" || schema.properties === undefined) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
    k in schema.properties! ? schemaProblems(v, schema.properties![k] as { type?: string; properties?: Record<string, unknown> }, `${at}.${k}`) : [`${at}.${k}: not in the CRD`],
  );
}

type Crd = { spec: { group: string; names: { kind: string }; versions: { name: string; schema: { openAPIV3Schema: { properties: Record<string, unknown> } } }[] } };

describeWithFixture("calico-manifest", "the BGP objects against the CRDs of the real Calico v3.24.5 manifest", (manifestPath) => {
  let crds: Crd[] = [];
  beforeAll(() => {
    crds = (yaml.loadAll(fs.readFileSync(manifestPath, "utf8")) as K8sObject[]).filter((o) => o?.kind === "CustomResourceDefinition") as unknown as Crd[];
  });

  test("the check catches a misspelt field and a wrong type", () => {
    const bgpConfiguration = crds.find((c) => c.spec.names.kind === "BGPConfiguration")!.spec.versions[0].schema.openAPIV3Schema.properties.spec as { properties: Record<string, unknown> };
    expect(schemaProblems({ nodeToNodeMesh: false, asNumber: "64512" }, bgpConfiguration, "spec")).toEqual(["spec.nodeToNodeMesh: not in the CRD", "spec.asNumber: string, the CRD says integer"]);
  });

  test.each([
    ["route reflectors, CrossSubnet", crossSubnetSpec({ bgp: { routeReflectors: [1, 3] } })],
    ["route reflectors, mode Never", bgpSpec({ bgp: { routeReflectors: [2] } })],
  ])("%s: every field is one the CRD has, of its type", (_name, spec) => {
    const objects = calicoBgpObjects(spec);
    expect(objects.length).toBeGreaterThan(1);
    for (const o of objects) {
      const [group, version] = String(o.apiVersion).split("/");
      const crd = crds.find((c) => c.spec.group === group && c.spec.names.kind === o.kind);
      const schema = crd?.spec.versions.find((v) => v.name === version)?.schema.openAPIV3Schema;
      expect([o.kind, schema === undefined ? "no CRD" : "found"]).toEqual([o.kind, "found"]);
      expect([o.kind, schemaProblems(o.spec, schema!.properties.spec as { type?: string; properties?: Record<string, unknown> }, "spec")]).toEqual([o.kind, []]);
    }
  });
});
