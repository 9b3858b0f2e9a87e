import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { LabSpec } from "../../model/spec";
import { childOptions } from "./command";

export interface ImagesArgs {
  /** The validated lab: its images. */
  spec: LabSpec;
}

/**
 * The images Docker on the host runs: the kind node image, the gateway's and the
 * sidecars'. The workload image is not among them: the pods run in the kind nodes'
 * containerd, which pulls it itself (a host pull would not reach them).
 */
export function hostImages(spec: LabSpec): { key: "kindNode" | "gateway" | "sidecar"; image: string }[] {
  return [
    { key: "kindNode", image: spec.images.kindNode },
    { key: "gateway", image: spec.images.gateway },
    { key: "sidecar", image: spec.images.sidecar },
  ];
}

/**
 * Pulls every host-side image in parallel before kind and containerlab need them;
 * `keepLocally` leaves them in the host's cache on destroy. The component's dependsOn
 * (preflight) holds for every pull.
 */
export class Images extends pulumi.ComponentResource {
  public readonly kindNode: docker.RemoteImage;
  public readonly gateway: docker.RemoteImage;
  public readonly sidecar: docker.RemoteImage;

  constructor(name: string, args: ImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-ipip-lab:kind:Images", name, {}, opts);
    const pulled = Object.fromEntries(
      hostImages(args.spec).map(({ key, image }) => [key, new docker.RemoteImage(`${name}-${key}`, { name: image, keepLocally: true }, childOptions(this, opts))]),
    ) as Record<ReturnType<typeof hostImages>[number]["key"], docker.RemoteImage>;
    this.kindNode = pulled.kindNode;
    this.gateway = pulled.gateway;
    this.sidecar = pulled.sidecar;
    this.registerOutputs({ kindNode: this.kindNode.repoDigest, gateway: this.gateway.repoDigest, sidecar: this.sidecar.repoDigest });
  }
}
