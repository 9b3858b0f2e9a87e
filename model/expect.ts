import * as ipaddr from "ipaddr.js";
import { Encapsulation, IpipMode, PoolModes } from "./spec";

/** The part of a node the expectation depends on. */
export interface NodeAddress {
  name: string;
  ip: string;
  prefixLength: number;
}

/**
 * True when `remote` lies in the network of `local`'s own address with its own prefix
 * length — the test BIRD applies in CrossSubnet mode (a /32 node address is never
 * "same subnet", which is why such nodes always encapsulate: calico #2375, #3003).
 */
export function sameSubnet(local: NodeAddress, remote: NodeAddress): boolean {
  return ipaddr.IPv4.parse(remote.ip).match(ipaddr.IPv4.parse(local.ip), local.prefixLength);
}

/** The encapsulation the pool enables, and whether only between subnets (CrossSubnet). */
export interface PoolEncapsulation {
  encapsulation: Encapsulation;
  crossSubnetOnly: boolean;
}

/**
 * Which encapsulation a pool's modes turn on. Validation refuses both enabled; were both
 * set anyway, IPIP wins here, as it is the lab's subject and the first one checked.
 */
export function poolEncapsulation(modes: PoolModes): PoolEncapsulation {
  if (modes.ipipMode !== "Never") return { encapsulation: "ipip", crossSubnetOnly: modes.ipipMode === "CrossSubnet" };
  if (modes.vxlanMode !== "Never") return { encapsulation: "vxlan", crossSubnetOnly: modes.vxlanMode === "CrossSubnet" };
  return { encapsulation: "none", crossSubnetOnly: false };
}

/** The modes of a spec (or of stack outputs' `lab`), as one value. */
export function poolModes(of: PoolModes): PoolModes {
  return { ipipMode: of.ipipMode, vxlanMode: of.vxlanMode };
}

/** Pool modes with VXLAN off: the IPIP stacks' modes. */
export function ipipOnly(ipipMode: IpipMode): PoolModes {
  return { ipipMode, vxlanMode: "Never" };
}

/** The modes in words, for tables and captions: `IPIP Always`, `VXLAN CrossSubnet`, `no encapsulation`. */
export function describeModes(modes: PoolModes): string {
  const { encapsulation } = poolEncapsulation(modes);
  if (encapsulation === "ipip") return `IPIP ${modes.ipipMode}`;
  if (encapsulation === "vxlan") return `VXLAN ${modes.vxlanMode}`;
  return "no encapsulation";
}

/**
 * The encapsulation a packet from a pod on `client` to a pod on `server` must show on
 * the client's underlay: the pool's encapsulation between different nodes, except that
 * CrossSubnet leaves same-subnet traffic plain; none on the same node or with both
 * modes Never.
 */
export function expectedEncapsulation(modes: PoolModes, client: NodeAddress, server: NodeAddress): Encapsulation {
  if (client.name === server.name) return "none";
  const pool = poolEncapsulation(modes);
  if (pool.crossSubnetOnly && sameSubnet(client, server)) return "none";
  return pool.encapsulation;
}
