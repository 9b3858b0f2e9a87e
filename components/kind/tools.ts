/**
 * Facts about the tools the kind backend drives, kept as data in one place: the probes
 * preflight runs and what it says when one fails, the names the tools give things, the
 * versions known to break the lab, and how long each wait may take. The scripts under
 * assets/kind/ receive these values through their environment (components/kind/steps.ts).
 */
import { isManifestUrl } from "../../model/config";
import { CALICO_AS } from "../../model/dataplane";

/** What a user who cannot install a tool can do instead. */
export const NETNS_HINT = "or run the lab without Docker, kind and containerlab: `pulumi config set backend netns`";

/** One preflight probe: the tool must be on PATH and `probe` must succeed. */
export interface PreflightProbe {
  /** Executable looked up on PATH. */
  tool: string;
  /** Command run to prove the tool works (words without spaces: they travel space-separated). */
  probe: string[];
  /** Said when the tool is not on PATH. */
  missing: string;
  /** Said when the probe fails (installed but not usable). */
  failing: string;
  /** A version the lab cannot use: an extended regex matched against the probe's output, and what to say. */
  reject?: { pattern: string; text: string };
}

/** Probes every kind lab needs, in the order preflight reports them. */
export const PREFLIGHT_PROBES: readonly PreflightProbe[] = [
  {
    tool: "docker",
    probe: ["docker", "info", "--format", "{{.ServerVersion}}"],
    missing: `docker is not installed: every kind node, the gateway and the sidecars are Docker containers; install Docker Engine, ${NETNS_HINT}`,
    failing: `docker is installed but its daemon does not answer (\`docker info\` failed): start it and run as root, ${NETNS_HINT}`,
  },
  {
    tool: "kind",
    probe: ["kind", "version"],
    missing: `kind is not installed: it creates the cluster (https://kind.sigs.k8s.io, v0.20 or later), ${NETNS_HINT}`,
    failing: `kind is installed but \`kind version\` failed, ${NETNS_HINT}`,
  },
  {
    tool: "containerlab",
    probe: ["containerlab", "version"],
    missing: `containerlab is not installed: it wires the gateway and the nodes' net0 (https://containerlab.dev, 0.68 or later), ${NETNS_HINT}`,
    failing: `containerlab is installed but \`containerlab version\` failed, ${NETNS_HINT}`,
    // 0.78.0 broke `kind: bridge` nodes; 0.78.1 fixed them (DESIGN.md section 5).
    reject: { pattern: "(^|[^0-9.])0\\.78\\.0([^0-9]|$)", text: "containerlab 0.78.0 cannot deploy bridge nodes; upgrade to 0.78.1 or later" },
  },
  {
    tool: "kubectl",
    probe: ["kubectl", "version", "--client"],
    missing: `kubectl is not installed: the lab waits for Calico and the pods and patches the IPPool with it, ${NETNS_HINT}`,
    failing: `kubectl is installed but \`kubectl version --client\` failed, ${NETNS_HINT}`,
  },
  {
    tool: "ip",
    probe: ["ip", "-V"],
    missing: `ip (iproute2) is not installed: it creates the segment bridges on the host; install iproute2`,
    failing: "ip is installed but `ip -V` failed",
  },
  {
    tool: "jq",
    probe: ["jq", "--version"],
    missing: "jq is not installed: the scripts read the cluster's JSON and print theirs with it; install jq (`apt-get install jq`)",
    failing: "jq is installed but `jq --version` failed",
  },
];

/** Needed only when calico.manifest is an http(s) URL. */
export const CURL_PROBE: PreflightProbe = {
  tool: "curl",
  probe: ["curl", "--version"],
  missing: "curl is not installed: calico.manifest is a URL and is downloaded with curl; install curl or set calico.manifest to a local file",
  failing: "curl is installed but `curl --version` failed",
};

export const PROBE_FIELD_SEPARATOR = "\x1f";


/** The probes for a lab whose manifest comes from `manifest` (URL or path). */
export function preflightProbes(manifest: string): PreflightProbe[] {
  return isManifestUrl(manifest) ? [...PREFLIGHT_PROBES, CURL_PROBE] : [...PREFLIGHT_PROBES];
}

/**
 * The probes as preflight.sh reads them: one line per probe, fields separated by the
 * ASCII unit separator (\x1f, which unlike a tab never merges empty fields):
 * `tool, probe words, missing text, failing text, reject pattern, reject text`.
 */
export function encodeProbes(probes: readonly PreflightProbe[]): string {
  return probes
    .map((p) => {
      const fields = [p.tool, p.probe.join(" "), p.missing, p.failing, p.reject?.pattern ?? "", p.reject?.text ?? ""];
      for (const f of fields) {
        if (/[\x1f\n]/.test(f)) throw new Error(`preflight probe ${p.tool}: a field holds a newline or \\x1f: ${JSON.stringify(f)}`);
      }
      if (p.probe.some((w) => /\s/.test(w) || w === "")) throw new Error(`preflight probe ${p.tool}: probe words must be non-empty and hold no spaces`);
      return fields.join(PROBE_FIELD_SEPARATOR);
    })
    .join("\n");
}

/** containerlab names the containers of a lab `clab-<lab>-<node>`. */
export function containerlabContainer(lab: string, node: string): string {
  return `clab-${lab}-${node}`;
}

/** kind's kubeconfig context for a cluster. */
export function kindContext(cluster: string): string {
  return `kind-${cluster}`;
}

/**
 * The kubeadm API a node image uses: images from v1.36 on switch to v1beta4, where
 * `kubeletExtraArgs` is a list of {name, value} and the map form the lab renders (the
 * seed's) is rejected. Returns the problem, or undefined when the image is usable or its
 * tag says no version.
 */
export function kindNodeImageProblem(image: string): string | undefined {
  const tag = /:v(\d+)\.(\d+)(?:\.\d+)?[^/:]*$/.exec(image);
  if (tag === null) return undefined;
  const [major, minor] = [Number(tag[1]), Number(tag[2])];
  if (major > 1 || (major === 1 && minor >= 36)) {
    return `images.kindNode: ${JSON.stringify(image)} is not usable; node images from v1.36 use kubeadm v1beta4, where kubeletExtraArgs is a list, and the lab's kind config sets node-ip in the map form; use a node image below v1.36 such as burlyluo/kindest:v1.27.3`;
  }
  return undefined;
}

/** Calico's objects the lab waits for and patches. */
export const CALICO = {
  namespace: "kube-system",
  daemonSet: "calico-node",
  container: "calico-node",
  /** The pool calico-node creates from CALICO_IPV4POOL_* on first start (#1976, #2740: later env changes do nothing). */
  ippoolResource: "ippools.crd.projectcalico.org",
  ippool: "default-ipv4-ippool",
  /** Which node holds which block: Calico's IPAM decides, and ipam.sh reads it from here. */
  blockAffinityResource: "blockaffinities.crd.projectcalico.org",
  /**
   * A node's VTEP, which ipam.sh reads: with the Kubernetes datastore (the manifest's; it has
   * no nodes CRD) Calico keeps a Calico Node's fields on the Kubernetes Node, the VXLAN
   * tunnel address as this annotation.
   */
  vxlanTunnelAddrAnnotation: "projectcalico.org/IPv4VXLANTunnelAddr",
  /** IPIP adds a 20-byte outer header: tunl0's MTU is the underlay's minus 20. */
  ipipOverhead: 20,
  /** VXLAN adds outer IPv4, UDP, VXLAN and inner Ethernet headers: vxlan.calico's MTU is the underlay's minus 50. */
  vxlanOverhead: 50,
  /** The ConfigMap whose `calico_backend` says whether calico-node runs BIRD. */
  configMap: "calico-config",
  /** Calico's default AS: the node-to-node mesh's, and the gateway's in mode Never (iBGP). */
  asNumber: CALICO_AS,
  /** Where calico-node's BIRD listens for birdcl (BIRD 1.6, IPv4). */
  birdSocket: "/var/run/calico/bird.ctl",
} as const;

/** The workload: the seed's StatefulSet `pod`, one nettool pod per node. */
export const WORKLOAD = {
  name: "pod",
  namespace: "default",
  container: "nettoolbox",
  labels: { app: "nginx" } as Record<string, string>,
  selector: "app=nginx",
} as const;

/** How long each wait may take, in seconds, and how often it looks. */
export const WAITS = {
  calicoReadySeconds: 600,
  ippoolSeconds: 180,
  /** FRR applies a committed BGP config within seconds. */
  gatewaySeconds: 60,
  workloadSeconds: 600,
  pollSeconds: 1,
} as const;

/** Traffic a capture generates from the client pod to the server pod. */
export const TRAFFIC = {
  pingCount: 5,
  curlSeconds: 3,
  /** Seconds tcpdump gets to start (its pcap appears) before the capture gives up. */
  tcpdumpStartSeconds: 10,
} as const;
