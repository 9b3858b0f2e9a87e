/** The netns backend's part of a capture: where capture.sh finds the two pods and nodes. */
import { LabSpec, NodeSpec } from "../../model/spec";
import { CaptureInvocation } from "../backend";
import { nodeNamespace, podNamespace, runDir } from "./names";
import { TopologyOptions } from "./topology";

/** capture.sh's targets: the namespaces, names and addresses of both ends (captureEnvironment adds the rest). */
export function netnsCaptureTargets(spec: LabSpec, client: NodeSpec, server: NodeSpec, options: Pick<TopologyOptions, "runDir"> = {}): Record<string, string> {
  return {
    NETNS_LAB: spec.name,
    NETNS_RUN_DIR: options.runDir ?? runDir(spec),
    CLIENT_NODE_NS: nodeNamespace(spec, client),
    SERVER_NODE_NS: nodeNamespace(spec, server),
    CLIENT_POD: client.pod.name,
    CLIENT_POD_NS: podNamespace(spec, client),
    CLIENT_POD_IP: client.pod.ip,
    SERVER_POD: server.pod.name,
    SERVER_POD_NS: podNamespace(spec, server),
    SERVER_POD_IP: server.pod.ip,
  };
}

/** The pods of a netns capture: the lab places them, so the program knows them. */
export function netnsCapturePods(client: NodeSpec, server: NodeSpec): NonNullable<CaptureInvocation["pods"]> {
  return { client: { pod: client.pod.name, ip: client.pod.ip }, server: { pod: server.pod.name, ip: server.pod.ip } };
}
