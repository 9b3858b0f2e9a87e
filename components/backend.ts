/**
 * The one interface both backends implement (containerlab's "kinds behind one
 * interface"): build the lab, then say how to capture a scenario on it.
 */
import * as pulumi from "@pulumi/pulumi";
import { ControlPlane, Dataplane, LabOutputs, LabSpec, NodeSpec, NodeState, ScenarioSpec } from "../lab/spec";

/** How a backend runs one capture: a script under assets/ and its environment. */
export interface CaptureInvocation {
  /** Absolute path of the script the capture Command runs with `bash`. */
  script: string;
  /**
   * Its environment. Common keys every backend's capture script receives (set by the
   * capture component): CAPTURE_PCAP, CAPTURE_OWNER, CAPTURE_MAX_PACKETS, CAPTURE_TIMEOUT,
   * CAPTURE_INTERFACE, CLIENT_NODE, SERVER_NODE, LAB_IPIP_MODE; the backend adds its own.
   * A missing pcap folder is made with assets/capture/folder.sh, which marks it as the lab's.
   */
  environment: Record<string, pulumi.Input<string>>;
}

/**
 * What a capture script prints as the last line of its stdout (JSON). Pods are reported
 * by the script because on kind only the cluster knows which pod landed on which node.
 */
export interface CaptureScriptResult {
  pcap: string;
  client: { pod: string; ip: string };
  server: { pod: string; ip: string };
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
