import * as fs from "fs";
import { describeWithFixture } from "../fixtures";
import { calicoBackend, calicoNodeEnv, calicoObjects, Container, EnvVar, K8sObject, parseManifest, patchCalicoManifest, setEnv, withCalicoVersion } from "../../components/kind/calicoManifest";
import { CALICO } from "../../components/kind/tools";
import { bgpSpec, crossSubnetSpec, ipipSpec, threeSubnetSpec, vxlanCrossSubnetSpec, vxlanSpec } from "./testing";

/** Every leaf path where `a` and `b` differ, with the value in `b` ("<absent>" when gone). */
function diff(a: unknown, b: unknown, at = ""): Record<string, unknown> {
  if (a === b) return {};
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return { [at]: b === undefined ? "<absent>" : b };
  const out: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) Object.assign(out, diff(a[k], b[k], `${at}/${k}`));
  return out;
}

function calicoNode(objs: K8sObject[]): { index: number; container: Container } {
  const index = objs.findIndex((o) => o.kind === "DaemonSet" && o.metadata?.name === "calico-node");
  const ds = objs[index] as { spec: { template: { spec: { containers: Container[] } } } };
  return { index, container: ds.spec.template.spec.containers.find((c) => c.name === "calico-node")! };
}

describe("calico manifest helpers", () => {
  test("withCalicoVersion retags calico/* images only", () => {
    expect(withCalicoVersion("docker.io/calico/node:v3.24.5", "v3.23.2")).toBe("docker.io/calico/node:v3.23.2");
    expect(withCalicoVersion("calico/cni", "v3.23.2")).toBe("calico/cni:v3.23.2");
    expect(withCalicoVersion("quay.io/calico/kube-controllers:v3.24.5@sha256:" + "a".repeat(64), "v3.23.2")).toBe("quay.io/calico/kube-controllers:v3.23.2");
    expect(withCalicoVersion("registry:5000/mirror/calico/node:v3.24.5", "v3.23.2")).toBe("registry:5000/mirror/calico/node:v3.23.2");
    expect(withCalicoVersion("docker.io/tigera/operator:v1.28.5", "v3.23.2")).toBe("docker.io/tigera/operator:v1.28.5");
    expect(withCalicoVersion("docker.io/notcalico/node:v1", "v3.23.2")).toBe("docker.io/notcalico/node:v1");
  });

  test("setEnv replaces in place (dropping valueFrom) or appends", () => {
    const env: EnvVar[] = [{ name: "A", value: "1" }, { name: "B", valueFrom: { configMapKeyRef: { key: "k" } } }];
    setEnv(env, "B", "2");
    setEnv(env, "C", "3");
    expect(env).toEqual([{ name: "A", value: "1" }, { name: "B", value: "2" }, { name: "C", value: "3" }]);
  });

  test("the backend: BIRD unless the pool uses VXLAN", () => {
    expect([ipipSpec(), crossSubnetSpec(), bgpSpec(), vxlanSpec(), vxlanCrossSubnetSpec()].map(calicoBackend)).toEqual(["bird", "bird", "bird", "vxlan", "vxlan"]);
  });

  test("VXLAN needs the ConfigMap that holds calico_backend; the other modes do without", () => {
    const ds = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: calico-node, namespace: kube-system}\nspec: {template: {spec: {containers: [{name: calico-node}]}}}\n";
    expect(() => calicoObjects(ds, vxlanSpec(), "/x/calico.yaml")).toThrow(
      /^calico\.manifest \/x\/calico\.yaml has no ConfigMap kube-system\/calico-config with data: VXLAN needs its calico_backend set to vxlan/,
    );
    expect(calicoObjects(ds, bgpSpec(), "/x/calico.yaml")).toHaveLength(1);
  });

  test("a manifest without calico-node fails naming calico.manifest and where to find one", () => {
    const template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: other\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          image: a\n";
    expect(() => calicoObjects(template, ipipSpec(), "https://example.test/calico.yaml")).toThrow(
      /^calico\.manifest https:\/\/example\.test\/calico\.yaml has no DaemonSet kube-system\/calico-node with a container calico-node \(its workloads are Deployment\/other\); .*docs\.tigera\.io\/archive\/v3\.23/,
    );
    expect(() => calicoObjects("{{ template }}: [", ipipSpec(), "/x/calico.yaml")).toThrow(/^calico\.manifest \/x\/calico\.yaml is not valid YAML: /);
    expect(() => calicoObjects("- a\n- b\n", ipipSpec(), "/x/calico.yaml")).toThrow(/document 1 is not a Kubernetes object/);
  });
});

describeWithFixture("calico-manifest", "patching the real Calico v3.24.5 manifest", (manifestPath) => {
  const text = fs.readFileSync(manifestPath, "utf8");

  test("every Calico resource the scripts read is a CRD of the manifest (its Kubernetes datastore has no nodes CRD)", () => {
    const crds = parseManifest(text, manifestPath).filter((o) => o.kind === "CustomResourceDefinition").map((o) => o.metadata?.name);
    const read = Object.values(CALICO as Record<string, unknown>).filter((v): v is string => typeof v === "string" && v.endsWith(".crd.projectcalico.org"));
    expect(read).toEqual(expect.arrayContaining([CALICO.ippoolResource, CALICO.blockAffinityResource]));
    for (const resource of read) expect(crds).toContain(resource);
    expect(crds).not.toContain("nodes.crd.projectcalico.org");
  });

  test.each([
    ["ipip", ipipSpec(), "Always"],
    ["crosssubnet", crossSubnetSpec(), "CrossSubnet"],
  ])("%s: exactly the lab's changes, nothing else", (_name, spec, mode) => {
    const original = parseManifest(text, manifestPath);
    const before = structuredClone(original);
    const patched = patchCalicoManifest(original, spec, manifestPath);
    expect(original).toEqual(before); // the input is untouched
    expect(patched).toHaveLength(original.length);

    const { index, container } = calicoNode(original);
    const envIndex = (name: string): number => container.env!.findIndex((e) => e.name === name);
    const n = container.env!.length;
    const ds = `/${index}/spec/template/spec`;
    const changes = diff(original, patched);
    const expected: Record<string, unknown> = {
      [`${ds}/containers/0/env/${envIndex("FELIX_IPINIPMTU")}/value`]: "1480",
      [`${ds}/containers/0/env/${envIndex("FELIX_IPINIPMTU")}/valueFrom`]: "<absent>",
      // kept right in every mode, so a live switch to VXLAN finds it right
      [`${ds}/containers/0/env/${envIndex("FELIX_VXLANMTU")}/value`]: "1450",
      [`${ds}/containers/0/env/${envIndex("FELIX_VXLANMTU")}/valueFrom`]: "<absent>",
      // absent from the manifest (CIDR is only a comment there): appended
      [`${ds}/containers/0/env/${n}`]: { name: "CALICO_IPV4POOL_CIDR", value: "10.244.0.0/16" },
      [`${ds}/containers/0/env/${n + 1}`]: { name: "CALICO_IPV4POOL_BLOCK_SIZE", value: "26" },
      [`${ds}/containers/0/env/${n + 2}`]: { name: "IP_AUTODETECTION_METHOD", value: "interface=net0" },
      // calico/* images run the configured release
      [`${ds}/initContainers/0/image`]: "docker.io/calico/cni:v3.23.2",
      [`${ds}/initContainers/1/image`]: "docker.io/calico/cni:v3.23.2",
      [`${ds}/initContainers/2/image`]: "docker.io/calico/node:v3.23.2",
      [`${ds}/containers/0/image`]: "docker.io/calico/node:v3.23.2",
    };
    // The manifest ships "Always": only CrossSubnet is a change there.
    if (mode !== "Always") expected[`${ds}/containers/0/env/${envIndex("CALICO_IPV4POOL_IPIP")}/value`] = mode;
    const controllers = original.findIndex((o) => o.kind === "Deployment" && o.metadata?.name === "calico-kube-controllers");
    expected[`/${controllers}/spec/template/spec/containers/0/image`] = "docker.io/calico/kube-controllers:v3.23.2";
    // CALICO_IPV4POOL_VXLAN is already "Never" and calico_backend "bird" in this manifest:
    // set, but not a change; BIRD's probes stay.
    expect(calicoNode(original).container.env![envIndex("CALICO_IPV4POOL_VXLAN")]).toEqual({ name: "CALICO_IPV4POOL_VXLAN", value: "Never" });
    expect(changes).toEqual(expected);
    expect(calicoNode(patched).container.env).toEqual(expect.arrayContaining(calicoNodeEnv(spec)));
  });

  test.each([
    ["vxlan", vxlanSpec(), "Always"],
    ["vxlancrosssubnet", vxlanCrossSubnetSpec(), "CrossSubnet"],
  ])("%s: patched as Calico's VXLAN manifest has it — pool modes, calico_backend vxlan, VXLAN MTU, no BIRD probes", (_name, spec, mode) => {
    const original = parseManifest(text, manifestPath);
    const patched = patchCalicoManifest(original, spec, manifestPath);
    const { index, container } = calicoNode(original);
    const envIndex = (name: string): number => container.env!.findIndex((e) => e.name === name);
    const n = container.env!.length;
    const ds = `/${index}/spec/template/spec`;
    const config = original.findIndex((o) => o.kind === "ConfigMap" && o.metadata?.name === "calico-config");
    const controllers = original.findIndex((o) => o.kind === "Deployment" && o.metadata?.name === "calico-kube-controllers");
    expect(diff(original, patched)).toEqual({
      [`/${config}/data/calico_backend`]: "vxlan",
      [`${ds}/containers/0/env/${envIndex("CALICO_IPV4POOL_IPIP")}/value`]: "Never",
      [`${ds}/containers/0/env/${envIndex("CALICO_IPV4POOL_VXLAN")}/value`]: mode,
      [`${ds}/containers/0/env/${envIndex("FELIX_IPINIPMTU")}/value`]: "1480",
      [`${ds}/containers/0/env/${envIndex("FELIX_IPINIPMTU")}/valueFrom`]: "<absent>",
      [`${ds}/containers/0/env/${envIndex("FELIX_VXLANMTU")}/value`]: "1450",
      [`${ds}/containers/0/env/${envIndex("FELIX_VXLANMTU")}/valueFrom`]: "<absent>",
      [`${ds}/containers/0/env/${n}`]: { name: "CALICO_IPV4POOL_CIDR", value: "10.244.0.0/16" },
      [`${ds}/containers/0/env/${n + 1}`]: { name: "CALICO_IPV4POOL_BLOCK_SIZE", value: "26" },
      [`${ds}/containers/0/env/${n + 2}`]: { name: "IP_AUTODETECTION_METHOD", value: "interface=net0" },
      // Calico's VXLAN manifest asks calico-node about Felix only: there is no BIRD.
      [`${ds}/containers/0/livenessProbe/exec/command/2`]: "<absent>",
      [`${ds}/containers/0/readinessProbe/exec/command/2`]: "<absent>",
      [`${ds}/initContainers/0/image`]: "docker.io/calico/cni:v3.23.2",
      [`${ds}/initContainers/1/image`]: "docker.io/calico/cni:v3.23.2",
      [`${ds}/initContainers/2/image`]: "docker.io/calico/node:v3.23.2",
      [`${ds}/containers/0/image`]: "docker.io/calico/node:v3.23.2",
      [`/${controllers}/spec/template/spec/containers/0/image`]: "docker.io/calico/kube-controllers:v3.23.2",
    });
    const node = calicoNode(patched).container as Container & { livenessProbe: { exec: { command: string[] } }; readinessProbe: { exec: { command: string[] } } };
    expect(node.livenessProbe.exec.command).toEqual(["/bin/calico-node", "-felix-live"]);
    expect(node.readinessProbe.exec.command).toEqual(["/bin/calico-node", "-felix-ready"]);
    // and back: patched again for IPIP, BIRD returns (the patch always starts from the manifest's text)
    const back = calicoNode(calicoObjects(text, ipipSpec(), manifestPath)).container as typeof node;
    expect(back.livenessProbe.exec.command).toContain("-bird-live");
  });

  test("mode Never keeps BIRD: it programs the plain routes and peers with the gateway", () => {
    const objs = calicoObjects(text, bgpSpec(), manifestPath);
    const env = calicoNode(objs).container.env!;
    expect(env.find((e) => e.name === "CALICO_IPV4POOL_IPIP")?.value).toBe("Never");
    expect(env.find((e) => e.name === "CALICO_IPV4POOL_VXLAN")?.value).toBe("Never");
    expect((objs.find((o) => o.kind === "ConfigMap" && o.metadata?.name === "calico-config")?.data as Record<string, string>).calico_backend).toBe("bird");
  });

  test("the lab's pod subnet, block size and MTU reach calico-node; VXLAN is off unless asked for", () => {
    const spec = threeSubnetSpec();
    const withVxlan = text.replace(/(- name: CALICO_IPV4POOL_VXLAN\n\s+value: )"Never"/, '$1"Always"');
    expect(withVxlan).not.toBe(text);
    const env = calicoNode(calicoObjects(withVxlan, spec, manifestPath)).container.env!;
    const value = (name: string): string | undefined => env.find((e) => e.name === name)?.value;
    expect(value("CALICO_IPV4POOL_IPIP")).toBe("CrossSubnet");
    expect(value("CALICO_IPV4POOL_VXLAN")).toBe("Never");
    expect(value("CALICO_IPV4POOL_CIDR")).toBe("10.100.0.0/16");
    expect(value("CALICO_IPV4POOL_BLOCK_SIZE")).toBe("27");
    expect(value("FELIX_IPINIPMTU")).toBe("8980");
    expect(value("FELIX_VXLANMTU")).toBe("8950");
    expect(env.filter((e) => e.name === "CALICO_IPV4POOL_CIDR")).toHaveLength(1);
  });

  test("values already present are replaced, not duplicated", () => {
    const once = calicoObjects(text, crossSubnetSpec(), manifestPath);
    const twice = patchCalicoManifest(once, ipipSpec(), manifestPath);
    const env = calicoNode(twice).container.env!;
    for (const name of ["CALICO_IPV4POOL_IPIP", "CALICO_IPV4POOL_CIDR", "IP_AUTODETECTION_METHOD", "FELIX_IPINIPMTU"]) {
      expect(env.filter((e) => e.name === name)).toHaveLength(1);
    }
    expect(env.find((e) => e.name === "CALICO_IPV4POOL_IPIP")?.value).toBe("Always");
  });

  test("a manifest with its calico-node DaemonSet removed is refused", () => {
    const objs = parseManifest(text, manifestPath).filter((o) => !(o.kind === "DaemonSet" && o.metadata?.name === "calico-node"));
    expect(() => patchCalicoManifest(objs, ipipSpec(), manifestPath)).toThrow(/has no DaemonSet kube-system\/calico-node .*Deployment\/calico-kube-controllers/);
  });
});
