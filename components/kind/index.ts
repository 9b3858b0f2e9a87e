/**
 * The kind backend: the seed's lab on Docker with kind, containerlab, a VyOS gateway and
 * real Calico. `kindBackend` is its BackendFactory; the renderers and steps are exported
 * for tests and tools.
 */
import * as pulumi from "@pulumi/pulumi";
import { BackendFactory, LabBackend } from "../backend";
import { LabSpec } from "../../model/spec";
import { KindLab } from "./kindLab";

export { KindLab } from "./kindLab";
export * from "./labPresence";
export type { KindLabArgs } from "./kindLab";
export { Preflight } from "./preflight";
export { Images, hostImages } from "./images";
export { HostBridges } from "./hostBridges";
export { KindCluster } from "./kindCluster";
export { ContainerlabTopology } from "./containerlabTopology";
export { Gateway } from "./gateway";
export type { GatewayArgs } from "./gateway";
export { CalicoInstall } from "./calicoInstall";
export { Workload } from "./workload";
export { kindClusterConfig, renderKindConfig } from "./kindConfig";
export { containerlabTopology, renderContainerlabTopology } from "./containerlab";
export { renderVyosBootConfig, vyosReconfigureScript } from "./vyos";
export { calicoBgpObjects, calicoBgpPeers, calicoReflectorObjects, kindSessionNames, parseBirdProtocols, REFLECTOR } from "./bgp";
export { calicoObjects, patchCalicoManifest } from "./calicoManifest";
export { workloadStatefulSet } from "./workloadManifest";
export * as tools from "./tools";

/** Builds the kind lab for `spec` as a child of `parent`. */
export const kindBackend: BackendFactory = (spec: LabSpec, parent: pulumi.ComponentResource): LabBackend =>
  new KindLab(spec.name, { spec }, { parent });
