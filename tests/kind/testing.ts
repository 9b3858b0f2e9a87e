/**
 * Fixtures of the kind backend's tests: the lab specs they render, and their golden files
 * (tests/kind/testdata; regenerate with `UPDATE_GOLDEN=1 npx jest tests/kind` and review
 * `git diff tests/kind/testdata`).
 */
import * as path from "path";
import { buildLabSpec, RawLabConfig } from "../../model/config";
import { LabSpec } from "../../model/spec";
import { expectGolden as expectGoldenIn } from "../golden";

export const TESTDATA = path.join(__dirname, "testdata");

/** Compare with a golden file of the kind backend's (tests/kind/testdata). */
export function expectGolden(name: string, actual: string): void {
  expectGoldenIn(name, actual, TESTDATA);
}

/** A fixed cwd, so nothing rendered depends on where the repository is checked out. */
export const TEST_CWD = "/srv/calico-ipip-lab";

/** The seed lab as stack `ipip` builds it (mode Always). */
export function ipipSpec(raw: RawLabConfig = {}): LabSpec {
  return buildLabSpec(raw, { stack: "ipip", cwd: TEST_CWD });
}

/** The seed lab as stack `crosssubnet` builds it. */
export function crossSubnetSpec(raw: RawLabConfig = {}): LabSpec {
  return buildLabSpec({ ipipMode: "CrossSubnet", ...raw }, { stack: "crosssubnet", cwd: TEST_CWD });
}

/** The seed lab as stack `vxlan` builds it (VXLAN Always, IPIP off). */
export function vxlanSpec(raw: RawLabConfig = {}): LabSpec {
  return buildLabSpec({ ipipMode: "Never", vxlanMode: "Always", ...raw }, { stack: "vxlan", cwd: TEST_CWD });
}

/** The seed lab as stack `vxlancrosssubnet` builds it. */
export function vxlanCrossSubnetSpec(raw: RawLabConfig = {}): LabSpec {
  return buildLabSpec({ ipipMode: "Never", vxlanMode: "CrossSubnet", ...raw }, { stack: "vxlancrosssubnet", cwd: TEST_CWD });
}

/** The seed lab as stack `bgp` builds it: no encapsulation, the gateway a BGP peer of every node. */
export function bgpSpec(raw: RawLabConfig = {}): LabSpec {
  return buildLabSpec({ ipipMode: "Never", vxlanMode: "Never", ...raw }, { stack: "bgp", cwd: TEST_CWD });
}

/** Three segments of two nodes each, jumbo MTU, a /25 and a gateway at the top of its subnet. */
export const THREE_SUBNETS: RawLabConfig = {
  labName: "tri",
  ipipMode: "CrossSubnet",
  mtu: 9000,
  blockSize: 27,
  podSubnet: "10.100.0.0/16",
  topology: {
    router: { name: "edge" },
    subnets: [
      { cidr: "10.2.1.0/24", gateway: "10.2.1.1", nodes: ["10.2.1.10", "10.2.1.11"] },
      { cidr: "10.2.2.0/25", gateway: "10.2.2.1", nodes: ["10.2.2.10", "10.2.2.11"] },
      { cidr: "10.2.3.0/24", gateway: "10.2.3.254", nodes: ["10.2.3.10", "10.2.3.11"] },
    ],
  },
};

export function threeSubnetSpec(): LabSpec {
  return buildLabSpec(THREE_SUBNETS, { stack: "tri", cwd: TEST_CWD });
}
