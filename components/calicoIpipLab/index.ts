import * as pulumi from "@pulumi/pulumi";
import { BackendFactory } from "../backend";
import { CaptureRun } from "../capture";
import { overallVerdict } from "../capture/result";
import { isReflector } from "../../model/bgp";
import { BackendName, CaptureResult, Dataplane, LabOutputs, LabSpec, NodeOutput, NodeState } from "../../model/spec";

/**
 * The backends, by the name `backend` config takes. Each backend's modules load only when
 * it is chosen: a netns run never loads the kind backend's (@pulumi/kubernetes,
 * @pulumi/docker, js-yaml and some sixty files of its own), nor a kind run the netns ones.
 */
export const BACKEND_FACTORIES: Record<BackendName, BackendFactory> = {
  kind: (spec, parent) => (require("../kind") as typeof import("../kind")).kindBackend(spec, parent),
  netns: (spec, parent) => (require("../netns") as typeof import("../netns")).netnsBackend(spec, parent),
};

export interface CalicoIpipLabArgs {
  /** The validated lab (model/config.ts `buildLabSpec`). */
  spec: LabSpec;
}

/** The stack outputs that depend only on the spec. */
export function specOutputs(spec: LabSpec): Pick<LabOutputs, "router"> & { lab: Omit<LabOutputs["lab"], "dataplane" | "controlPlane"> } {
  return {
    lab: {
      name: spec.name,
      backend: spec.backend,
      ipipMode: spec.ipipMode,
      vxlanMode: spec.vxlanMode,
      podSubnet: spec.podSubnet,
      mtu: spec.mtu,
      // The reflectors by node name, as the outputs name nodes.
      bgp: { routeReflectors: spec.nodes.filter((n) => isReflector(spec, n)).map((n) => n.name), clusterId: spec.bgp.clusterId },
    },
    router: {
      name: spec.router.name,
      interfaces: spec.subnets.map((s) => ({ name: s.routerInterface, ip: s.gateway, subnet: s.cidr, segment: s.bridge })),
    },
  };
}

/** The nodes as the outputs list them: the spec's facts and what the backend read back. */
export function nodeOutputs(spec: LabSpec, states: readonly NodeState[]): NodeOutput[] {
  const byName = new Map(states.map((s) => [s.name, s]));
  return spec.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    ip: n.ip,
    prefixLength: n.prefixLength,
    subnet: n.subnet,
    segment: n.segment,
    bgpPeers: byName.get(n.name)?.bgpPeers ?? [],
    routes: byName.get(n.name)?.routes ?? [],
  }));
}

/**
 * The whole lab: the chosen backend builds the topology and Calico's data plane, then
 * one CaptureRun per scenario proves from the packets what the path carried.
 */
export class CalicoIpipLab extends pulumi.ComponentResource {
  public readonly lab: pulumi.Output<LabOutputs["lab"]>;
  public readonly router: pulumi.Output<LabOutputs["router"]>;
  public readonly nodes: pulumi.Output<LabOutputs["nodes"]>;
  public readonly pods: pulumi.Output<LabOutputs["pods"]>;
  public readonly captures: pulumi.Output<CaptureResult[]>;
  public readonly verdict: pulumi.Output<LabOutputs["verdict"]>;

  constructor(name: string, args: CalicoIpipLabArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:index:CalicoIpipLab", name, {}, opts);
    const { spec } = args;
    const backend = BACKEND_FACTORIES[spec.backend](spec, this);
    const byIndex = new Map(spec.nodes.map((n) => [n.index, n]));
    // One capture at a time: scenarios sharing a client node would otherwise see each
    // other's packets on its net0.
    const runs: CaptureRun[] = [];
    for (const scenario of spec.scenarios) {
      const client = byIndex.get(scenario.client)!;
      const server = byIndex.get(scenario.server)!;
      const previous = runs.length > 0 ? [runs[runs.length - 1].tcpdump] : [];
      runs.push(
        new CaptureRun(
          `${name}-${scenario.name}`,
          { spec, scenario, client, server, invocation: backend.capture(scenario, client, server), after: [...backend.ready, ...previous] },
          { parent: this },
        ),
      );
    }
    const fixed = specOutputs(spec);
    this.lab = backend.dataplane.apply((dataplane: Dataplane) => ({ ...fixed.lab, controlPlane: backend.controlPlane, dataplane }));
    this.router = pulumi.output(fixed.router);
    this.nodes = backend.nodeStates.apply((states) => nodeOutputs(spec, states));
    this.pods = backend.pods;
    this.captures = pulumi.all(runs.map((r) => r.result));
    this.verdict = this.captures.apply(overallVerdict);
    this.registerOutputs({ lab: this.lab, router: this.router, nodes: this.nodes, pods: this.pods, captures: this.captures, verdict: this.verdict });
  }
}
