/**
 * The shapes of stack config before validation, and what the environment adds: the types
 * the defaults, the validation and the spec builder share (kept apart so none of those
 * three imports another for a type).
 */
import { HostPaths } from "./captureDir";
import { ImagesSpec } from "./spec";

/** A node as written in config: its underlay address, or an object holding it. */
export type RawNode = string | { ip: string };

export interface RawSubnet {
  cidr: string;
  gateway: string;
  bridge?: string;
  nodes: RawNode[];
}

/** Stack config as the user writes it (`calico-ipip-lab:<key>`); every key optional. */
export interface RawLabConfig {
  ipipMode?: string;
  vxlanMode?: string;
  backend?: string;
  labName?: string;
  podSubnet?: string;
  blockSize?: number;
  mtu?: number;
  topology?: { router?: { name?: string }; natSource?: string; subnets: RawSubnet[] };
  images?: Partial<ImagesSpec>;
  calico?: { version?: string; manifest?: string };
  scenarios?: { name: string; client: number; server: number }[];
  capture?: { maxPackets?: number; timeoutSeconds?: number; dir?: string };
  bgp?: { routeReflectors?: number[]; clusterID?: string };
}

/** The config keys, in the order the README documents them. */
export const CONFIG_KEYS = [
  "ipipMode",
  "vxlanMode",
  "backend",
  "labName",
  "podSubnet",
  "blockSize",
  "mtu",
  "topology",
  "images",
  "calico",
  "scenarios",
  "capture",
  "bgp",
] as const;

/** What the environment contributes: the stack name and where relative paths start. */
export interface LabContext {
  stack: string;
  cwd: string;
  /** What the host holds at capture.dir (symlinks, folders, markers); default: nothing yet (pure tests). */
  host?: HostPaths;
}
