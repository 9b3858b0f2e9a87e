/**
 * calico-ipip-lab: builds the lab this stack's config describes, captures each
 * scenario's traffic and exports what the packets proved (`pulumi stack output --json`).
 */
import { loadLabSpec } from "./model/pulumiConfig";
import { CalicoIpipLab } from "./components/calicoIpipLab";

const spec = loadLabSpec();
const built = new CalicoIpipLab(spec.name, { spec });

export const lab = built.lab;
export const router = built.router;
export const nodes = built.nodes;
export const pods = built.pods;
export const captures = built.captures;
export const verdict = built.verdict;
