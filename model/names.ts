/** Names the lab derives: each tool's naming rule, in one place. */

/** `calico-<stack>`, so the ipip and crosssubnet stacks never share names on one host. */
export function defaultLabName(stack: string): string {
  const cleaned = `calico-${stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-");
  return cleaned.slice(0, 40).replace(/^-+|-+$/g, "");
}

/** `br-<last word of the lab name, 5 chars><n>`: `calico-ipip` → `br-ipip0`. */
export function defaultBridgeName(labName: string, subnetIndex: number): string {
  const words = labName.split("-").filter((w) => w.length > 0);
  const tag = (words[words.length - 1] ?? "lab").replace(/[^a-z0-9]/g, "").slice(0, 5);
  return `br-${tag}${subnetIndex}`;
}

/** kind's container name for the n-th node (1-based). */
export function kindNodeName(labName: string, index: number): string {
  if (index === 1) return `${labName}-control-plane`;
  return index === 2 ? `${labName}-worker` : `${labName}-worker${index - 1}`;
}

/** The host-side name of a node's (or the router's) port on a segment bridge. */
export function bridgePortName(bridge: string, port: number): string {
  return `${bridge}-net${port}`;
}
