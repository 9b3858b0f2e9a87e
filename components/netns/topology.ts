/**
 * The topology step (up.sh / down.sh): its environment, the digest that decides a
 * rebuild, and up.sh's result.
 */
import * as crypto from "crypto";
import { nodeCaliName } from "../../lab/dataplane";
import { bridgePortName } from "../../lab/names";
import { Dataplane, LabSpec } from "../../lab/spec";
import { lastJsonObject } from "../scriptOutput";
import { netnsNames, nodeNamespace, podNamespace, runDir } from "./names";

/** How tunl0 is realised: `auto` uses the kernel's when the ipip module is loaded. */
export type Tunl0Choice = "auto" | "userspace";

export interface TopologyOptions {
  /** Run dir (default `/run/calico-ipip-lab/<lab>`); its last part must be the lab name. */
  runDir?: string;
  /** tunl0 realisation (default auto). */
  tunl0?: Tunl0Choice;
}

/**
 * The environment of up.sh and down.sh (see assets/netns/lib.sh). It holds no IPIP
 * mode, so a mode change never rebuilds the topology.
 */
export function topologyEnvironment(spec: LabSpec, options: TopologyOptions = {}): Record<string, string> {
  const names = netnsNames(spec);
  const subnets = spec.subnets.map((s) => `${s.bridge} ${s.routerInterface} ${s.gateway} ${s.cidr.split("/")[1]}`);
  const nodes = spec.subnets.flatMap((s) =>
    s.nodes.map((n, k) =>
      [
        nodeNamespace(spec, n),
        s.bridge,
        bridgePortName(s.bridge, k + 1),
        n.ip,
        n.prefixLength,
        n.gateway,
        podNamespace(spec, n),
        n.pod.ip,
        nodeCaliName(n),
      ].join(" "),
    ),
  );
  return {
    NETNS_LAB: spec.name,
    NETNS_RUN_DIR: options.runDir ?? runDir(spec),
    NETNS_UNDERLAY: names.underlay,
    NETNS_ROUTER: names.router,
    NETNS_MTU: String(spec.mtu),
    NETNS_TUNL0: options.tunl0 ?? "auto",
    NETNS_SUBNETS: subnets.join("\n"),
    NETNS_NODES: nodes.join("\n"),
  };
}

/** A short digest of the topology environment: it changes exactly when the lab must be rebuilt. */
export function topologyDigest(env: Record<string, string>): string {
  const keys = Object.keys(env).sort();
  return crypto
    .createHash("sha256")
    .update(JSON.stringify(keys.map((k) => [k, env[k]])))
    .digest("hex")
    .slice(0, 16);
}

/** What up.sh prints as its last stdout line. */
export interface UpResult {
  lab: string;
  dataplane: Extract<Dataplane, "kernel-ipip" | "userspace-ipip">;
  runDir: string;
  namespaces: number;
  nodes: number;
  seconds: number;
  createdAt: string;
}

export function parseUpOutput(stdout: string): UpResult {
  const parsed = lastJsonObject(stdout, "up.sh").value as Partial<UpResult>;
  if (parsed.dataplane !== "kernel-ipip" && parsed.dataplane !== "userspace-ipip") {
    throw new Error(`up.sh reported dataplane ${JSON.stringify(parsed.dataplane)}; expected kernel-ipip or userspace-ipip`);
  }
  return parsed as UpResult;
}
