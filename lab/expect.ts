import * as ipaddr from "ipaddr.js";
import { Encapsulation, IpipMode } from "./spec";

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

/**
 * The encapsulation a packet from a pod on `client` to a pod on `server` must show on
 * the client's underlay: Always → ipip between different nodes; CrossSubnet → none in
 * the same subnet, ipip across; the same node → none.
 */
export function expectedEncapsulation(mode: IpipMode, client: NodeAddress, server: NodeAddress): Encapsulation {
  if (client.name === server.name) return "none";
  if (mode === "Always") return "ipip";
  return sameSubnet(client, server) ? "none" : "ipip";
}
