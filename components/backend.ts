/**
 * The one interface both backends implement (containerlab's "kinds behind one
 * interface"): build the lab, then say how to capture a scenario on it.
 */
import * as pulumi from "@pulumi/pulumi";
import { ControlPlane, Dataplane, LabOutputs, LabSpec, NodeSpec, NodeState, ScenarioSpec } from "../model/spec";

/** A pod at one end of a capture. */
export interface CaptureEndpoint {
  pod: string;
  ip: string;
}

/** The two pods of a capture. */
export interface CapturePods {
  client: CaptureEndpoint;
  server: CaptureEndpoint;
}

/** How a backend runs one capture: a script under assets/ and the backend's own targets. */
export interface CaptureInvocation {
  /** Absolute path of the script the capture Command runs with `bash`. */
  script: string;
  /**
   * The backend's targets: where the script finds the nodes, pods and tools (namespaces on
   * netns, the sidecar and kubeconfig on kind). `captureEnvironment` (components/capture)
   * adds the keys every backend's script receives.
   */
  environment: Record<string, pulumi.Input<string>>;
  /** The two pods: from the spec on netns; on kind once the workload is read back (only the cluster knows which pod landed where). */
  pods: pulumi.Input<CapturePods>;
}

/** What a capture script observed, printed as the last line of its stdout (JSON). */
export interface CaptureScriptResult {
  /** Route lookups on the client node towards the server pod and back (`ip route get`). */
  routes: { client: string[]; server: string[] };
}

/** A built lab, as the rest of the program sees it. */
export interface LabBackend {
  /** How tunl0 is realised (`calico` on the kind backend). */
  readonly dataplane: pulumi.Output<Dataplane>;
  /** Who programs the pool routes: the lab's BIRD (netns) or Calico's own daemons (kind). */
  readonly controlPlane: ControlPlane;
  /** Every node's BGP sessions and pool routes, read back once the routes match the modes. */
  readonly nodeStates: pulumi.Output<NodeState[]>;
  /** The workload pods with their IPs and nodes. */
  readonly pods: pulumi.Output<LabOutputs["pods"]>;
  /** Resources that must exist before any capture starts. */
  readonly ready: pulumi.Resource[];
  /** The capture for one scenario between two nodes. */
  capture(scenario: ScenarioSpec, client: NodeSpec, server: NodeSpec): CaptureInvocation;
}

/** A backend factory: builds its components as children of `parent`. */
export type BackendFactory = (spec: LabSpec, parent: pulumi.ComponentResource) => LabBackend;
