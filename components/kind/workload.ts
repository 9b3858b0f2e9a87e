import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import { LabOutputs, LabSpec } from "../../model/spec";
import { scriptCommand } from "./command";
import { expectedRoutes, parseIpam, routeDrift } from "./routes";
import { bgpSessionsStep, ipamStep, onTopology, parseBgpSessions, parsePods, parseRoutes, routesStep, workloadWaitStep } from "./steps";
import { workloadStatefulSet } from "./workloadManifest";

export interface WorkloadArgs {
  /** The validated lab: node count, workload image, pool modes. */
  spec: LabSpec;
  /** The cluster's kubeconfig (secret). */
  kubeconfig: pulumi.Input<string>;
  /** The lab cluster's Kubernetes provider. */
  provider: k8s.Provider;
  /** What the pods need first: Calico's IPPool in its modes, the gateway peered, the untainted control plane. */
  after: pulumi.Input<pulumi.Resource>[];
  /** The containerlab lab's identity (labPresence.ts): a redeployed lab is read back again. */
  topologyId: string;
}

/**
 * The seed's StatefulSet `pod` (one nettool pod per node), a wait until each node runs
 * its pod, then what the lab really is: the pods (name, IP, node), the blocks and VTEPs
 * Calico's IPAM gave the nodes, every node's routes, read once its pool routes are the
 * model's for those (re-read whenever a mode changes), and, where calico-node runs BIRD,
 * every node's BGP sessions as BIRD reports them.
 */
export class Workload extends pulumi.ComponentResource {
  public readonly statefulSet: k8s.apps.v1.StatefulSet;
  /** Waits for one Running pod on every node, then reads the pods back. */
  public readonly ready: command.local.Command;
  /** The pods as the cluster placed them. */
  public readonly pods: pulumi.Output<LabOutputs["pods"]>;
  /** Reads the blocks and VTEPs Calico's IPAM gave the nodes. */
  public readonly ipamRead: command.local.Command;
  /** Each node's pool routes as the model has them, for those blocks and VTEPs. */
  public readonly expectedRoutes: pulumi.Output<Record<string, string[]>>;
  /** Waits for the routes of the mode, then reads every node's routing table. */
  public readonly routesRead: command.local.Command;
  /** Each node's routing table (`ip route`), by node name. */
  public readonly routes: pulumi.Output<Record<string, string[]>>;
  /** Reads each node's BGP sessions once the routes converged (not without BIRD: calico_backend vxlan). */
  public readonly bgpRead?: command.local.Command;
  /** Each node's `show protocols` lines, by node name (none without BIRD). */
  public readonly bgpProtocols: pulumi.Output<Record<string, string[]>>;

  constructor(name: string, args: WorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:Workload", name, {}, opts);
    const { spec } = args;
    const manifest = workloadStatefulSet(spec);
    this.statefulSet = new k8s.apps.v1.StatefulSet(
      `${name}-statefulset`,
      { metadata: manifest.metadata, spec: manifest.spec },
      { parent: this, provider: args.provider, dependsOn: args.after },
    );
    this.ready = scriptCommand(`${name}-ready`, onTopology(workloadWaitStep(spec, args.kubeconfig), args.topologyId), { parent: this, dependsOn: [this.statefulSet] }, { quietStdout: true });
    this.pods = this.ready.stdout.apply(parsePods);
    const read = { parent: this, dependsOn: [this.ready, ...args.after] };
    this.ipamRead = scriptCommand(`${name}-ipam`, onTopology(ipamStep(spec, args.kubeconfig), args.topologyId), read, { quietStdout: true });
    this.expectedRoutes = this.ipamRead.stdout.apply((out) => expectedRoutes(spec, parseIpam(out)));
    const expected = this.expectedRoutes.apply((routes) => JSON.stringify(routes));
    this.routesRead = scriptCommand(`${name}-routes`, onTopology(routesStep(spec, expected), args.topologyId), read, { quietStdout: true });
    this.routes = pulumi.all([this.expectedRoutes, this.routesRead.stdout]).apply(([want, out]) => {
      const tables = parseRoutes(out);
      const drift = routeDrift(want, tables);
      if (drift.length > 0) throw new Error(`the routes Calico installed differ from the model (model/dataplane.ts):\n  ${drift.join("\n  ")}`);
      return tables;
    });
    const bgp = bgpSessionsStep(spec, args.kubeconfig);
    this.bgpRead = bgp && scriptCommand(`${name}-bgp`, onTopology(bgp, args.topologyId), { parent: this, dependsOn: [this.routesRead] }, { quietStdout: true });
    this.bgpProtocols = this.bgpRead?.stdout.apply(parseBgpSessions) ?? pulumi.output<Record<string, string[]>>({});
    this.registerOutputs({ pods: this.pods, routes: this.routes, bgpProtocols: this.bgpProtocols });
  }
}
