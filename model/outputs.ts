/**
 * The stack-output contract (LabOutputs in spec.ts) checked at run time: `verify` and
 * `report` read outputs written by another process and must refuse half-understood data.
 * Every problem is listed by JSON path.
 */
import * as ipaddr from "ipaddr.js";
import { BACKENDS, CONTROL_PLANES, IPIP_MODES, VXLAN_MODES } from "./spec";

type Json = unknown;

class Checker {
  readonly problems: string[] = [];

  private typeName(v: Json): string {
    if (v === undefined) return "nothing (missing)";
    return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`;
  }

  object(path: string, v: Json): Record<string, Json> | undefined {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) return v as Record<string, Json>;
    this.problems.push(`${path}: expected an object, got ${this.typeName(v)}`);
    return undefined;
  }

  array(path: string, v: Json): Json[] {
    if (Array.isArray(v)) return v;
    this.problems.push(`${path}: expected an array, got ${this.typeName(v)}`);
    return [];
  }

  string(path: string, v: Json): void {
    if (typeof v !== "string") this.problems.push(`${path}: expected a string, got ${this.typeName(v)}`);
  }

  ip(path: string, v: Json): void {
    if (typeof v !== "string" || !ipaddr.IPv4.isValidFourPartDecimal(v)) this.problems.push(`${path}: expected an IPv4 address, got ${this.typeName(v)}`);
  }

  cidr(path: string, v: Json): void {
    if (typeof v !== "string" || !/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(v) || !ipaddr.isValidCIDR(v))
      this.problems.push(`${path}: expected an IPv4 network like 10.244.0.0/16, got ${this.typeName(v)}`);
  }

  int(path: string, v: Json, min: number, max: number): void {
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) this.problems.push(`${path}: expected an integer from ${min} to ${max}, got ${this.typeName(v)}`);
  }

  bool(path: string, v: Json): void {
    if (typeof v !== "boolean") this.problems.push(`${path}: expected true or false, got ${this.typeName(v)}`);
  }

  oneOf(path: string, v: Json, allowed: readonly string[]): void {
    if (typeof v !== "string" || !allowed.includes(v)) this.problems.push(`${path}: expected one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${this.typeName(v)}`);
  }
}

const ENCAPSULATIONS = ["ipip", "vxlan", "none"] as const;
const OBSERVED = [...ENCAPSULATIONS, "mixed", "missing"] as const;
const DATAPLANES = ["calico", "kernel-ipip", "userspace-ipip"] as const;

function checkEndpoint(c: Checker, path: string, v: Json): void {
  const o = c.object(path, v);
  if (!o) return;
  c.string(`${path}.pod`, o.pod);
  c.ip(`${path}.ip`, o.ip);
  c.string(`${path}.node`, o.node);
  c.ip(`${path}.nodeIp`, o.nodeIp);
}

function checkCapture(c: Checker, path: string, v: Json): void {
  const o = c.object(path, v);
  if (!o) return;
  c.string(`${path}.scenario`, o.scenario);
  checkEndpoint(c, `${path}.client`, o.client);
  checkEndpoint(c, `${path}.server`, o.server);
  const point = c.object(`${path}.point`, o.point);
  if (point) {
    c.string(`${path}.point.node`, point.node);
    c.string(`${path}.point.interface`, point.interface);
  }
  c.string(`${path}.pcap`, o.pcap);
  c.int(`${path}.packets`, o.packets, 0, Number.MAX_SAFE_INTEGER);
  c.oneOf(`${path}.expected`, o.expected, ENCAPSULATIONS);
  c.oneOf(`${path}.observed`, o.observed, OBSERVED);
  if (o.outer !== null) {
    const outer = c.object(`${path}.outer`, o.outer);
    if (outer) {
      c.ip(`${path}.outer.src`, outer.src);
      c.ip(`${path}.outer.dst`, outer.dst);
      c.int(`${path}.outer.protocol`, outer.protocol, 0, 255);
      // VXLAN's ports and VNI came later and only VXLAN has them: checked when present.
      if (outer.srcPort !== undefined) c.int(`${path}.outer.srcPort`, outer.srcPort, 0, 65535);
      if (outer.dstPort !== undefined) c.int(`${path}.outer.dstPort`, outer.dstPort, 0, 65535);
      if (outer.vni !== undefined) c.int(`${path}.outer.vni`, outer.vni, 0, 0xffffff);
    }
  }
  c.bool(`${path}.pass`, o.pass);
  c.string(`${path}.reason`, o.reason);
  if (o.ignored !== undefined)
    c.array(`${path}.ignored`, o.ignored).forEach((v, i) => {
      const ig = c.object(`${path}.ignored[${i}]`, v);
      if (!ig) return;
      c.int(`${path}.ignored[${i}].packets`, ig.packets, 0, Number.MAX_SAFE_INTEGER);
      c.string(`${path}.ignored[${i}].reason`, ig.reason);
    });
  const routes = c.object(`${path}.routes`, o.routes);
  if (routes)
    for (const side of ["client", "server"] as const) c.array(`${path}.routes.${side}`, routes[side]).forEach((r, i) => c.string(`${path}.routes.${side}[${i}]`, r));
}

/** Every way `value` differs from the LabOutputs shape (empty when it has it). */
export function outputsProblems(value: Json): string[] {
  const c = new Checker();
  const top = c.object("outputs", value);
  if (!top) return c.problems;
  const lab = c.object("lab", top.lab);
  if (lab) {
    c.string("lab.name", lab.name);
    c.oneOf("lab.backend", lab.backend, BACKENDS);
    c.oneOf("lab.ipipMode", lab.ipipMode, IPIP_MODES);
    c.oneOf("lab.vxlanMode", lab.vxlanMode, VXLAN_MODES);
    c.oneOf("lab.controlPlane", lab.controlPlane, CONTROL_PLANES);
    c.cidr("lab.podSubnet", lab.podSubnet);
    c.oneOf("lab.dataplane", lab.dataplane, DATAPLANES);
    // mtu and router came later: outputs of older labs lack them.
    if (lab.mtu !== undefined) c.int("lab.mtu", lab.mtu, 68, 65535);
    // bgp came with route reflectors: without it the lab meshed.
    if (lab.bgp !== undefined) {
      const bgp = c.object("lab.bgp", lab.bgp);
      if (bgp) {
        c.array("lab.bgp.routeReflectors", bgp.routeReflectors).forEach((r, i) => c.string(`lab.bgp.routeReflectors[${i}]`, r));
        c.ip("lab.bgp.clusterId", bgp.clusterId);
      }
    }
  }
  if (top.router !== undefined) {
    const router = c.object("router", top.router);
    if (router) {
      c.string("router.name", router.name);
      c.array("router.interfaces", router.interfaces).forEach((v, i) => {
        const o = c.object(`router.interfaces[${i}]`, v);
        if (!o) return;
        c.string(`router.interfaces[${i}].name`, o.name);
        c.ip(`router.interfaces[${i}].ip`, o.ip);
        c.cidr(`router.interfaces[${i}].subnet`, o.subnet);
        c.string(`router.interfaces[${i}].segment`, o.segment);
      });
    }
  }
  c.array("nodes", top.nodes).forEach((v, i) => {
    const o = c.object(`nodes[${i}]`, v);
    if (!o) return;
    c.string(`nodes[${i}].name`, o.name);
    c.oneOf(`nodes[${i}].role`, o.role, ["control-plane", "worker"]);
    c.ip(`nodes[${i}].ip`, o.ip);
    c.int(`nodes[${i}].prefixLength`, o.prefixLength, 0, 32);
    c.cidr(`nodes[${i}].subnet`, o.subnet);
    c.string(`nodes[${i}].segment`, o.segment);
    c.array(`nodes[${i}].bgpPeers`, o.bgpPeers).forEach((b, k) => {
      const peer = c.object(`nodes[${i}].bgpPeers[${k}]`, b);
      if (!peer) return;
      c.ip(`nodes[${i}].bgpPeers[${k}].peer`, peer.peer);
      c.string(`nodes[${i}].bgpPeers[${k}].state`, peer.state);
    });
    c.array(`nodes[${i}].routes`, o.routes).forEach((r, k) => c.string(`nodes[${i}].routes[${k}]`, r));
  });
  c.array("pods", top.pods).forEach((v, i) => {
    const o = c.object(`pods[${i}]`, v);
    if (!o) return;
    c.string(`pods[${i}].name`, o.name);
    c.ip(`pods[${i}].ip`, o.ip);
    c.string(`pods[${i}].node`, o.node);
  });
  c.array("captures", top.captures).forEach((v, i) => checkCapture(c, `captures[${i}]`, v));
  c.oneOf("verdict", top.verdict, ["pass", "fail"]);
  return c.problems;
}
