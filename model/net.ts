/**
 * IPv4 helpers over ipaddr.js: parsing is the library's; the few integer conversions
 * below exist because ipaddr.js has no address arithmetic (block n of a pool, supernets).
 */
import * as ipaddr from "ipaddr.js";

/** A dotted-quad IPv4 address in canonical form (no leading zeros). */
export function isIPv4(value: unknown): value is string {
  return typeof value === "string" && ipaddr.IPv4.isValidFourPartDecimal(value);
}

/** An IPv4 CIDR whose address part is canonical; the host bits may be set. */
export function isIPv4Cidr(value: unknown): value is string {
  if (typeof value !== "string" || !/^[0-9.]+\/\d{1,2}$/.test(value)) return false;
  const [addr, len] = value.split("/");
  return isIPv4(addr) && Number(len) >= 0 && Number(len) <= 32;
}

export function parseCidr(cidr: string): { address: string; prefixLength: number } {
  const [addr, len] = ipaddr.IPv4.parseCIDR(cidr);
  return { address: addr.toString(), prefixLength: len };
}

/** The network address of a CIDR (`10.1.5.7/24` → `10.1.5.0`). */
export function networkAddress(cidr: string): string {
  return ipaddr.IPv4.networkAddressFromCIDR(cidr).toString();
}

/** True when the CIDR has no host bits set. */
export function isNetworkCidr(cidr: string): boolean {
  return networkAddress(cidr) === parseCidr(cidr).address;
}

export function ipToInt(ip: string): number {
  return ipaddr.IPv4.parse(ip).toByteArray().reduce((acc, b) => acc * 256 + b, 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export function cidrContains(cidr: string, ip: string): boolean {
  const [net, len] = ipaddr.IPv4.parseCIDR(cidr);
  return ipaddr.IPv4.parse(ip).match(net, len);
}

/** First and last address of a CIDR as integers. */
export function cidrRange(cidr: string): [number, number] {
  const { prefixLength } = parseCidr(cidr);
  const first = ipToInt(networkAddress(cidr));
  return [first, first + 2 ** (32 - prefixLength) - 1];
}

export function cidrsOverlap(a: string, b: string): boolean {
  const [a0, a1] = cidrRange(a);
  const [b0, b1] = cidrRange(b);
  return a0 <= b1 && b0 <= a1;
}

/** The `index`-th subnet of length `prefixLength` inside `pool` (0-based). */
export function nthSubnet(pool: string, prefixLength: number, index: number): string {
  const base = ipToInt(networkAddress(pool));
  return `${intToIp(base + index * 2 ** (32 - prefixLength))}/${prefixLength}`;
}

/** `ip` + `offset` as a dotted quad. */
export function addToIp(ip: string, offset: number): string {
  return intToIp(ipToInt(ip) + offset);
}

/** The smallest network holding every given CIDR. */
export function smallestSupernet(cidrs: string[]): string {
  const ranges = cidrs.map(cidrRange);
  const lo = Math.min(...ranges.map((r) => r[0]));
  const hi = Math.max(...ranges.map((r) => r[1]));
  let len = 32;
  while (len > 0 && Math.floor(lo / 2 ** (32 - len)) !== Math.floor(hi / 2 ** (32 - len))) len--;
  return `${networkAddress(`${intToIp(lo)}/${len}`)}/${len}`;
}
