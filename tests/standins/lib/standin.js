// @ts-check
/**
 * Stand-ins for docker, kind, containerlab, kubectl, ip and curl: small executables that
 * record every call and answer the way the real tools do for the calls the kind
 * backend's scripts make, over a shared model of the host kept in a JSON file. Nothing
 * here touches the real host: no container, no link, no network.
 *
 * Environment:
 *   STANDIN_LOG    file each call is appended to, one JSON line {cmd, argv, stdin?}
 *   STANDIN_STATE  JSON file holding the modelled host (created empty when absent)
 *   STANDIN_FAIL   a regular expression; a call whose "cmd argv..." line matches it
 *                  fails with exit 1 and a message saying so (after it is logged)
 *
 * A call that the model does not know fails loudly (exit 64), so a script that starts
 * using a new command shows up in the tests instead of passing by accident.
 */
"use strict";
const fs = require("fs");
const path = require("path");
/** js-yaml, loaded only by the calls that parse YAML (it doubles a call's start-up time). */
/** @type {typeof import("js-yaml") | undefined} */
let yamlModule;
function yaml() {
  return (yamlModule ??= require("js-yaml"));
}

/** @typedef {{ addrs: string[] }} Link */
/** @typedef {{ links: Record<string, Link>, defaultRoute: string }} Netns */
/** @typedef {{ pid: number, running: boolean, pcap: string }} Proc */
/**
 * A container; a VyOS gateway also holds its config as `set` commands (`vyos`), read from
 * its boot config at deploy and changed by configuration scripts run with vbash.
 * @typedef {{ labels: Record<string, string>, netnsOf?: string, net?: Netns, files: Record<string, string>, procs: Record<string, Proc>, id?: string, vyos?: string[] }} Container
 */
/** @typedef {{ name: string, ip: string, node: string, phase: string, labels: Record<string, string> }} Pod */
/** @typedef {{ ipipMode: string, vxlanMode: string }} PoolModes */
/**
 * @typedef {{
 *   nodes: string[],
 *   config: string,
 *   taints: Record<string, string[]>,
 *   calico: boolean,
 *   backend: string,
 *   ippool: PoolModes | null,
 *   previousPool: PoolModes | null,
 *   ippoolAfterGets: number,
 *   ippoolInitialModes: PoolModes,
 *   bgpPeers: { node: string, peerIP: string }[],
 *   meshEnabled: boolean,
 *   selectorPeers: { nodeSelector: string, peerSelector: string }[],
 *   nodeMeta: Record<string, { labels: Record<string, string>, annotations: Record<string, string> }>,
 *   workload: boolean,
 *   pods: Pod[],
 *   blocks: Record<string, string>,
 *   staleRouteReads: number,
 *   port: number,
 * }} Cluster
 */
/**
 * @typedef {{
 *   bridges: Record<string, { up: boolean }>,
 *   clusters: Record<string, Cluster>,
 *   containers: Record<string, Container>,
 *   labs: Record<string, { topology: string, containers: string[] }>,
 *   urls: Record<string, string>,
 *   clabVersion: string,
 *   tcpdumpFails: boolean,
 *   nextPid: number,
 *   nextPort: number,
 *   nextContainer: number,
 * }} World
 */

class Exit extends Error {
  /** @param {number} code @param {string} [stderr] @param {string} [stdout] */
  constructor(code, stderr = "", stdout = "") {
    super(stderr);
    this.code = code;
    this.stderr = stderr;
    this.stdout = stdout;
  }
}

/** @returns {World} */
function emptyWorld() {
  return { bridges: {}, clusters: {}, containers: {}, labs: {}, urls: {}, clabVersion: "0.79.0", tcpdumpFails: false, nextPid: 4000, nextPort: 40000, nextContainer: 1 };
}

function statePath() {
  const p = process.env.STANDIN_STATE;
  if (!p) throw new Exit(70, "stand-in: STANDIN_STATE is not set\n");
  return p;
}

/** @returns {World} */
function load() {
  const p = statePath();
  return fs.existsSync(p) ? { ...emptyWorld(), ...JSON.parse(fs.readFileSync(p, "utf8")) } : emptyWorld();
}

/** @param {World} w */
function save(w) {
  fs.writeFileSync(statePath(), JSON.stringify(w, null, 1));
}

/** @param {string[]} argv @param {string} name */
function flag(argv, name) {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`${name}=`));
  return eq === undefined ? undefined : eq.slice(name.length + 1);
}

const unsupported = (/** @type {string} */ cmd, /** @type {string[]} */ argv) => new Exit(64, `stand-in ${cmd}: unsupported call: ${argv.join(" ")}\n`);

// ---------------------------------------------------------------- ip (the host's links)

/** @param {World} w @param {string[]} argv */
function ip(w, argv) {
  if (argv[0] === "-V") return "ip utility, iproute2-6.1.0, libbpf 1.1.0\n";
  const args = argv[0] === "-d" ? argv.slice(1) : argv;
  const [obj, verb, ...rest] = args;
  if (obj !== "link") throw unsupported("ip", argv);
  const name = rest[0] === "dev" ? rest[1] : rest[0];
  const br = w.bridges[name];
  if (verb === "show") {
    if (!br) throw new Exit(1, `Device "${name}" does not exist.\n`);
    const details = argv[0] === "-d" ? "\n    bridge forward_delay 1500 hello_time 200 max_age 2000 " : "";
    return `7: ${name}: <BROADCAST,MULTICAST${br.up ? ",UP" : ""}> mtu 1500 qdisc noqueue state ${br.up ? "UNKNOWN" : "DOWN"} mode DEFAULT\n    link/ether 0a:58:0a:f4:00:01 brd ff:ff:ff:ff:ff:ff${details}\n`;
  }
  if (verb === "add") {
    if (rest[1] !== "type" || rest[2] !== "bridge") throw unsupported("ip", argv);
    if (br) throw new Exit(2, "RTNETLINK answers: File exists\n");
    w.bridges[name] = { up: false };
    return "";
  }
  if (verb === "set") {
    if (!br) throw new Exit(1, `Cannot find device "${name}"\n`);
    if (rest[1] !== "up" && rest[1] !== "down") throw unsupported("ip", argv);
    br.up = rest[1] === "up";
    return "";
  }
  if (verb === "del" || verb === "delete") {
    if (!br) throw new Exit(1, `Cannot find device "${name}"\n`);
    delete w.bridges[name];
    return "";
  }
  throw unsupported("ip", argv);
}

// ---------------------------------------------------------------- kind

/** @param {string} cluster @param {number} index */
function kindNode(cluster, index) {
  return index === 0 ? `${cluster}-control-plane` : index === 1 ? `${cluster}-worker` : `${cluster}-worker${index}`;
}

/** @param {World} w @param {string[]} argv @param {string} stdin */
function kind(w, argv, stdin) {
  const [verb, what] = argv;
  if (verb === "version") return "kind v0.20.0 go1.20.4 linux/amd64\n";
  const name = flag(argv, "--name") ?? "kind";
  if (verb === "get" && what === "clusters") {
    const names = Object.keys(w.clusters).sort();
    if (names.length === 0) return { stdout: "", stderr: "No kind clusters found.\n" };
    return names.map((n) => `${n}\n`).join("");
  }
  if (verb === "create" && what === "cluster") {
    if (w.clusters[name]) throw new Exit(1, `ERROR: failed to create cluster: node(s) already exist for a cluster with the name "${name}"\n`);
    if (flag(argv, "--config") !== "-") throw unsupported("kind", argv);
    /** @type {any} */
    let config;
    try {
      config = yaml().load(stdin);
    } catch (e) {
      throw new Exit(1, `ERROR: failed to create cluster: unable to decode config: ${e}\n`);
    }
    if (!config || config.kind !== "Cluster" || config.apiVersion !== "kind.x-k8s.io/v1alpha4" || !Array.isArray(config.nodes)) {
      throw new Exit(1, "ERROR: failed to create cluster: unknown apiVersion or kind in config\n");
    }
    const nodes = config.nodes.map((/** @type {unknown} */ _n, /** @type {number} */ i) => kindNode(name, i));
    for (const n of nodes) w.containers[n] = { labels: { "io.x-k8s.kind.cluster": name }, net: { links: {}, defaultRoute: "default via 172.18.0.1 dev eth0" }, files: {}, procs: {} };
    w.clusters[name] = {
      nodes,
      config: stdin,
      taints: { [nodes[0]]: ["node-role.kubernetes.io/control-plane:NoSchedule"] },
      calico: false,
      backend: "bird",
      ippool: null,
      previousPool: null,
      ippoolAfterGets: 0,
      ippoolInitialModes: { ipipMode: "Always", vxlanMode: "Never" },
      bgpPeers: [],
      meshEnabled: true,
      selectorPeers: [],
      nodeMeta: Object.fromEntries(nodes.map((n) => [n, { labels: { "kubernetes.io/hostname": n }, annotations: {} }])),
      workload: false,
      pods: [],
      blocks: {},
      staleRouteReads: 0,
      port: w.nextPort++,
    };
    return { stdout: "", stderr: `Creating cluster "${name}" ...\n ✓ Ensuring node image (${flag(argv, "--image")}) 🖼\nSet kubectl context to "kind-${name}"\n` };
  }
  if (verb === "get" && what === "kubeconfig") {
    const c = w.clusters[name];
    if (!c) throw new Exit(1, `ERROR: could not locate any control plane nodes for cluster named '${name}'. Use the --name option to select a different cluster\n`);
    return kubeconfigText(name, c.port);
  }
  if (verb === "delete" && what === "cluster") {
    const c = w.clusters[name];
    if (c) for (const n of c.nodes) delete w.containers[n];
    delete w.clusters[name];
    return { stdout: "", stderr: `Deleting cluster "${name}" ...\n` };
  }
  throw unsupported("kind", argv);
}

/** @param {string} name @param {number} port */
function kubeconfigText(name, port) {
  return [
    "apiVersion: v1",
    "clusters:",
    "- cluster:",
    "    certificate-authority-data: c3RhbmQtaW4=",
    `    server: https://127.0.0.1:${port}`,
    `  name: kind-${name}`,
    "contexts:",
    "- context:",
    `    cluster: kind-${name}`,
    `    user: kind-${name}`,
    `  name: kind-${name}`,
    `current-context: kind-${name}`,
    "kind: Config",
    "preferences: {}",
    "users:",
    `- name: kind-${name}`,
    "  user:",
    "    client-certificate-data: c3RhbmQtaW4=",
    "    client-key-data: c3RhbmQtaW4=",
    "",
  ].join("\n");
}

// ---------------------------------------------------------------- containerlab

/** @param {World} w @param {string[]} argv */
function containerlab(w, argv) {
  const [verb] = argv;
  if (verb === "version") return `  version: ${w.clabVersion}\n   commit: 0000000\n     date: 2025-01-01T00:00:00Z\n   source: https://github.com/srl-labs/containerlab\n`;
  const file = flag(argv, "-t") ?? flag(argv, "--topo");
  if (file === undefined) throw unsupported("containerlab", argv);
  if (!fs.existsSync(file)) throw new Exit(1, `Error: failed to read topology file: open ${file}: no such file or directory\n`);
  /** @type {any} */
  const topo = yaml().load(fs.readFileSync(file, "utf8"));
  const lab = topo.name;
  const nodes = topo.topology.nodes;
  const dir = path.dirname(path.resolve(file));
  if (verb === "destroy") {
    const had = w.labs[lab];
    if (!had) return { stdout: "", stderr: "INFO no containerlab containers found\n" };
    for (const c of had.containers) delete w.containers[c];
    delete w.labs[lab];
    if (argv.includes("--cleanup")) fs.rmSync(path.join(dir, `clab-${lab}`), { recursive: true, force: true });
    return { stdout: "", stderr: `INFO Destroying lab name=${lab}\n` };
  }
  if (verb !== "deploy") throw unsupported("containerlab", argv);
  if (w.labs[lab]) {
    if (!argv.includes("--reconfigure")) throw new Exit(1, `Error: the '${lab}' lab has already been deployed. Destroy the lab before deploying a lab with the same name\n`);
    for (const c of w.labs[lab].containers) delete w.containers[c];
    delete w.labs[lab];
  }
  // What containerlab checks before it creates anything.
  for (const [n, def] of Object.entries(nodes)) {
    if (def.kind === "bridge" && !w.bridges[n]) throw new Exit(1, `Error: bridge ${n} is referenced in the endpoints section but was not found in the default network namespace\n`);
    const mode = def["network-mode"];
    if (mode && mode.startsWith("container:") && !w.containers[mode.slice(10)]) throw new Exit(1, `Error: container ${mode.slice(10)} referenced in network-mode of node ${n} not found\n`);
    // Host paths (/lib/modules) are taken as present; files beside the topology are checked.
    for (const bind of def.binds ?? []) {
      const src = bind.split(":")[0];
      if (path.isAbsolute(src)) continue;
      if (!fs.existsSync(path.resolve(dir, src))) throw new Exit(1, `Error: failed to verify bind path: ${path.resolve(dir, src)}: no such file or directory\n`);
    }
  }
  let log = `INFO Creating lab directory path=${path.join(dir, `clab-${lab}`)}\n`;
  fs.mkdirSync(path.join(dir, `clab-${lab}`), { recursive: true });
  const created = [];
  for (const [n, def] of Object.entries(nodes)) {
    if (def.kind !== "linux") continue;
    const name = `clab-${lab}-${n}`;
    const mode = def["network-mode"];
    /** @type {Container} */
    const c = { labels: { containerlab: lab, "clab-node-name": n }, files: {}, procs: {}, id: containerId(w) };
    if (mode && mode.startsWith("container:")) c.netnsOf = mode.slice(10);
    else c.net = { links: {}, defaultRoute: "default via 172.20.20.1 dev eth0" };
    // A VyOS node boots from the config.boot bound to it.
    const boot = (def.binds ?? []).find((/** @type {string} */ b) => b.endsWith(":/opt/vyatta/etc/config/config.boot"));
    if (boot) c.vyos = bootToSetCommands(fs.readFileSync(path.resolve(dir, boot.split(":")[0]), "utf8"));
    w.containers[name] = c;
    created.push(name);
  }
  w.labs[lab] = { topology: path.resolve(file), containers: created };
  for (const link of topo.topology.links) {
    for (const ep of link.endpoints) {
      const [n, iface] = ep.split(":");
      if (nodes[n].kind !== "linux") continue;
      const ns = netnsOf(w, `clab-${lab}-${n}`);
      if (ns.links[iface]) throw new Exit(1, `${log}Error: failed to create link ${ep}: file exists (${iface} is already in the namespace)\n`);
      ns.links[iface] = { addrs: [] };
    }
  }
  for (const [n, def] of Object.entries(nodes)) {
    for (const line of def.exec ?? []) {
      const ns = netnsOf(w, `clab-${lab}-${n}`);
      const add = /^ip addr add (\S+) dev (\S+)$/.exec(line);
      const route = /^ip route replace default via (\S+)$/.exec(line);
      if (add && ns.links[add[2]] && !ns.links[add[2]].addrs.includes(add[1])) ns.links[add[2]].addrs.push(add[1]);
      else if (route) ns.defaultRoute = `default via ${route[1]} dev ${devFor(ns, route[1])}`;
      else {
        // containerlab logs a failed exec and carries on.
        log += `ERRO Failed to execute command command="${line}" node=${n} rc=1 stderr="RTNETLINK answers: File exists"\n`;
        continue;
      }
      log += `INFO Executed command node=${n} command="${line}"\n`;
    }
  }
  return { stdout: "", stderr: log };
}

/** A new container id (64 hex characters, as docker prints them). @param {World} w */
function containerId(w) {
  return (w.nextContainer++).toString(16).padStart(64, "c");
}

/**
 * VyOS config.boot (`key "value"` leaves, `key {` ... `}` blocks) as the `set` commands
 * that build it, the form `show configuration commands` prints.
 * @param {string} text
 */
function bootToSetCommands(text) {
  /** @type {string[]} */
  const path = [];
  /** @type {string[]} */
  const out = [];
  /** @type {boolean[]} */
  const hadChild = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    if (line === "}") {
      const empty = !hadChild.pop();
      if (empty) out.push(`set ${path.join(" ")}`);
      path.pop();
      continue;
    }
    if (hadChild.length) hadChild[hadChild.length - 1] = true;
    const block = /^(.*) \{$/.exec(line);
    if (block) {
      path.push(block[1]);
      hadChild.push(false);
      continue;
    }
    const leaf = /^(.*) "(.*)"$/.exec(line);
    if (!leaf) throw new Exit(1, `stand-in containerlab: cannot read the VyOS boot config line: ${line}\n`);
    out.push(`set ${[...path, leaf[1]].join(" ")} '${leaf[2]}'`);
  }
  return out;
}

/** The network namespace a container lives in (a sidecar shares its kind node's). @param {World} w @param {string} name */
function netnsOf(w, name) {
  const c = w.containers[name];
  const owner = c.netnsOf ? w.containers[c.netnsOf] : c;
  if (!owner || !owner.net) throw new Exit(1, `Error response from daemon: cannot join network namespace of ${c.netnsOf}: container not found\n`);
  return owner.net;
}

/** @param {Netns} ns @param {string} gateway */
function devFor(ns, gateway) {
  for (const [dev, l] of Object.entries(ns.links)) if (l.addrs.some((a) => sameNet(a, gateway))) return dev;
  return "eth0";
}

/** @param {string} ip */
function ipInt(ip) {
  return ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** True when `ip` lies in the network of `cidr` (an address with its prefix). @param {string} cidr @param {string} ip */
function sameNet(cidr, ip) {
  const [a, len] = cidr.split("/");
  const size = 2 ** (32 - Number(len));
  return Math.floor(ipInt(a) / size) === Math.floor(ipInt(ip) / size);
}

// ---------------------------------------------------------------- docker

/** @param {World} w @param {string[]} argv @param {string} stdin */
function docker(w, argv, stdin) {
  const [verb] = argv;
  if (verb === "info") return "24.0.7\n";
  if (verb === "ps") {
    const filter = flag(argv, "--filter") ?? "";
    const m = /^label=([^=]+)=(.*)$/.exec(filter);
    const names = Object.entries(w.containers).filter(([, c]) => !m || c.labels[m[1]] === m[2]).map(([n]) => n);
    return names.map((n) => `${Buffer.from(n).toString("hex").slice(0, 12)}\n`).join("");
  }
  if (verb === "cp") {
    const [src, dest] = argv.slice(1);
    const [name, file] = src.split(":");
    const c = w.containers[name];
    if (!c) throw new Exit(1, `Error response from daemon: No such container: ${name}\n`);
    if (c.files[file] === undefined) throw new Exit(1, `Error response from daemon: Could not find the file ${file} in container ${name}\n`);
    fs.writeFileSync(dest, Buffer.from(c.files[file], "base64"));
    return { stdout: "", stderr: `Successfully copied ${Buffer.from(c.files[file], "base64").length}B to ${dest}\n` };
  }
  if (verb === "inspect" && argv[1] === "-f" && argv[2] === "{{.Id}}") {
    const c = w.containers[argv[3]];
    if (!c) throw new Exit(1, `Error: No such object: ${argv[3]}\n`);
    return `${c.id ?? containerId(w)}\n`;
  }
  if (verb === "exec") {
    let i = 1;
    let detach = false;
    while (argv[i]?.startsWith("-")) {
      if (argv[i] === "-d") detach = true;
      i++;
    }
    const name = argv[i];
    const cmd = argv.slice(i + 1);
    const c = w.containers[name];
    if (!c) throw new Exit(1, `Error response from daemon: No such container: ${name}\n`);
    return execIn(w, name, c, cmd, detach, stdin);
  }
  throw unsupported("docker", argv);
}

/** A classic pcap file header (link type EN10MB), base64: what tcpdump -w writes first. */
const PCAP_HEADER = Buffer.from("d4c3b2a1020004000000000000000000ffff000001000000", "hex").toString("base64");

/** @param {World} w @param {string} name @param {Container} c @param {string[]} cmd @param {boolean} detach @param {string} stdin */
function execIn(w, name, c, cmd, detach, stdin) {
  const line = cmd.join(" ");
  if (c.vyos) {
    const answer = vyosExec(c, cmd, stdin);
    if (answer !== undefined) return answer;
  }
  if (cmd[0] === "sh" && cmd[1] === "-c") {
    const script = cmd[2];
    const args = cmd.slice(4);
    if (script.includes("tcpdump")) {
      if (!detach) throw unsupported("docker exec", cmd);
      const [pidfile, , , , pcap, , errfile] = args;
      const pid = w.nextPid++;
      c.files[pidfile] = Buffer.from(`${pid}\n`).toString("base64");
      if (w.tcpdumpFails) {
        c.files[errfile] = Buffer.from("tcpdump: net0: No such device exists\n").toString("base64");
      } else {
        c.procs[String(pid)] = { pid, running: true, pcap };
        c.files[pcap] = PCAP_HEADER;
        c.files[errfile] = Buffer.from("tcpdump: listening on net0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n").toString("base64");
      }
      return "";
    }
    if (script === 'kill -INT "$1"') {
      const p = c.procs[args[0]];
      if (!p || !p.running) throw new Exit(1, `sh: 1: kill: No such process\n`);
      p.running = false;
      return "";
    }
    if (script === '! kill -0 "$1" 2>/dev/null') {
      const p = c.procs[args[0]];
      if (p && p.running) throw new Exit(1);
      return "";
    }
    if (script.startsWith('kill -INT "$(cat "$1")"')) {
      const pid = c.files[args[0]] === undefined ? "" : Buffer.from(c.files[args[0]], "base64").toString().trim();
      if (c.procs[pid]) c.procs[pid].running = false;
      for (const f of args) delete c.files[f];
      return "";
    }
    throw unsupported("docker exec", cmd);
  }
  if (cmd[0] === "test" && cmd[1] === "-e") {
    if (c.files[cmd[2]] === undefined) throw new Exit(1);
    return "";
  }
  if (cmd[0] === "cat") {
    if (c.files[cmd[1]] === undefined) throw new Exit(1, `cat: ${cmd[1]}: No such file or directory\n`);
    return Buffer.from(c.files[cmd[1]], "base64").toString();
  }
  if (cmd[0] === "rm" && cmd[1] === "-f") {
    for (const f of cmd.slice(2)) delete c.files[f];
    return "";
  }
  if (cmd[0] === "ip") return ipIn(w, name, cmd);
  throw unsupported("docker exec", [name, line]);
}

/**
 * What the VyOS gateway answers: a file written from stdin, a configuration script run
 * with vbash in the vyattacfg group, and FRR's running config. Undefined for other calls.
 * @param {Container} c @param {string[]} cmd @param {string} stdin
 * @returns {string | undefined}
 */
function vyosExec(c, cmd, stdin) {
  const vyos = /** @type {string[]} */ (c.vyos);
  if (cmd[0] === "sh" && cmd[1] === "-c" && cmd[2] === 'cat >"$1"') {
    c.files[cmd[4]] = Buffer.from(stdin).toString("base64");
    return "";
  }
  if (cmd[0] === "sg" && cmd[1] === "vyattacfg" && cmd[2] === "-c") {
    const m = /^\/bin\/vbash (\S+)$/.exec(cmd[3]);
    if (!m || c.files[m[1]] === undefined) throw new Exit(127, `/bin/vbash: ${m ? m[1] : cmd[3]}: No such file or directory\n`);
    runVyosScript(vyos, Buffer.from(c.files[m[1]], "base64").toString());
    return "";
  }
  if (cmd[0] === "vtysh" && cmd[1] === "-c" && cmd[2] === "show running-config") return frrRunningConfig(vyos);
  return undefined;
}

/**
 * Runs a VyOS configuration script as vyosReconfigureScript writes it; any other line is
 * refused, so a script that starts doing something new shows up in the tests.
 * @param {string[]} vyos @param {string} script
 */
function runVyosScript(vyos, script) {
  /** @type {string[]} */
  const candidate = [...vyos];
  let inConfig = false;
  for (const line of script.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
    let m;
    if (line === "source /opt/vyatta/etc/functions/script-template") continue;
    if (line === "configure") inConfig = true;
    else if (!inConfig) throw new Exit(1, `vbash: not in configuration mode: ${line}\n`);
    else if ((m = /^if cli-shell-api existsActive (.+); then delete \1; fi$/.exec(line))) {
      const at = `set ${m[1]} `;
      for (let i = candidate.length - 1; i >= 0; i--) if (candidate[i].startsWith(at) || candidate[i] === `set ${m[1]}`) candidate.splice(i, 1);
    } else if (line.startsWith("set ")) {
      if (!candidate.includes(line)) candidate.push(line);
    } else if (line === "if cli-shell-api sessionChanged; then commit; fi") {
      vyos.splice(0, vyos.length, ...candidate);
    } else if (line === "exit") inConfig = false;
    else throw new Exit(1, `stand-in vbash: unsupported line: ${line}\n`);
  }
}

/** FRR's running config for the BGP part of a VyOS config. @param {string[]} vyos */
function frrRunningConfig(vyos) {
  const as = vyos.map((l) => /^set protocols bgp system-as '(\d+)'$/.exec(l)).find((m) => m)?.[1];
  const lines = ["frr version 9.1", "frr defaults traditional", "hostname gw0", "!"];
  if (as !== undefined) {
    lines.push(`router bgp ${as}`);
    for (const l of vyos) {
      const n = /^set protocols bgp neighbor (\S+) remote-as '(\d+)'$/.exec(l);
      if (n) lines.push(` neighbor ${n[1]} remote-as ${n[2]}`);
    }
    lines.push(" !", " address-family ipv4 unicast", " exit-address-family", "exit", "!");
  }
  return `${lines.join("\n")}\nend\n`;
}

/** `ip` inside a container's namespace. @param {World} w @param {string} name @param {string[]} cmd */
function ipIn(w, name, cmd) {
  const ns = netnsOf(w, name);
  const line = cmd.join(" ");
  let m;
  if ((m = /^ip link show dev (\S+)$/.exec(line))) {
    if (!ns.links[m[1]]) throw new Exit(1, `Device "${m[1]}" does not exist.\n`);
    return `197: ${m[1]}@if198: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default\n`;
  }
  if ((m = /^ip link del dev (\S+)$/.exec(line))) {
    if (!ns.links[m[1]]) throw new Exit(1, `Cannot find device "${m[1]}"\n`);
    delete ns.links[m[1]];
    if (ns.defaultRoute.endsWith(`dev ${m[1]}`)) ns.defaultRoute = "default via 172.18.0.1 dev eth0";
    return "";
  }
  if ((m = /^ip -4 -o addr show dev (\S+)$/.exec(line))) {
    const l = ns.links[m[1]];
    if (!l) throw new Exit(1, `Device "${m[1]}" does not exist.\n`);
    return l.addrs.map((a) => `197: ${m[1]}    inet ${a} brd + scope global ${m[1]}\\       valid_lft forever preferred_lft forever\n`).join("");
  }
  if (line === "ip route show default") return `${ns.defaultRoute}\n`;
  const cluster = clusterOfNode(w, name);
  if (line === "ip route") {
    const own = Object.entries(ns.links).flatMap(([dev, l]) => l.addrs.map((a) => `${netOf(a)} dev ${dev} proto kernel scope link src ${a.split("/")[0]}`));
    const calico = cluster ? calicoRoutes(w, cluster, name) : [];
    return [ns.defaultRoute, ...calico, ...own, "172.18.0.0/16 dev eth0 proto kernel scope link src 172.18.0.2"].join("\n") + "\n";
  }
  if ((m = /^ip route get (\S+)$/.exec(line))) {
    const pod = cluster?.pods.find((p) => p.ip === m[1]);
    if (!cluster || !pod) return `${m[1]} via 172.18.0.1 dev eth0 src 172.18.0.2 uid 0 \n    cache \n`;
    if (pod.node === name) return `${m[1]} dev cali${Buffer.from(pod.name).toString("hex").slice(0, 11)} src ${nodeIp(w, name)} uid 0 \n    cache \n`;
    const { dev, via } = hop(w, cluster, name, pod.node);
    // The kernel picks the tunnel device's own address (the node's, from its block) as source.
    const src = dev === "net0" ? nodeIp(w, name) : cluster.blocks[name]?.split("/")[0];
    return `${m[1]} via ${via} dev ${dev} src ${src} uid 0 \n    cache \n`;
  }
  throw unsupported("docker exec ip", [name, line]);
}

/** @param {string} cidr */
function netOf(cidr) {
  const [a, len] = cidr.split("/");
  const size = 2 ** (32 - Number(len));
  const n = Math.floor(ipInt(a) / size) * size;
  return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".")}/${len}`;
}

/** @param {World} w @param {string} node */
function clusterOfNode(w, node) {
  return Object.values(w.clusters).find((c) => c.nodes.includes(node));
}

/** The node's underlay address with prefix (net0), as Calico autodetects it. @param {World} w @param {string} node */
function nodeCidr(w, node) {
  return w.containers[node]?.net?.links.net0?.addrs[0];
}

/** @param {World} w @param {string} node */
function nodeIp(w, node) {
  return (nodeCidr(w, node) ?? "172.18.0.2/16").split("/")[0];
}

/**
 * The route Calico gives `from` towards `to`'s block, as BIRD (IPIP, or plain in mode
 * Never: via the gateway across subnets) or Felix (VXLAN: via the VTEP, the first address
 * of `to`'s block) programs it. While `staleRouteReads` lasts, the previous pool's routes.
 * @param {World} w @param {Cluster} cluster @param {string} from @param {string} to
 */
function hop(w, cluster, from, to) {
  const pool = (cluster.staleRouteReads > 0 && cluster.previousPool) || cluster.ippool || { ipipMode: "Never", vxlanMode: "Never" };
  const local = nodeCidr(w, from);
  const via = nodeIp(w, to);
  const same = local !== undefined && sameNet(local, via);
  if (pool.vxlanMode !== "Never") {
    if (pool.vxlanMode === "CrossSubnet" && same) return { dev: "net0", via, proto: "80", onlink: true };
    return { dev: "vxlan.calico", via: (cluster.blocks[to] ?? "").split("/")[0], proto: "80", onlink: true };
  }
  if (pool.ipipMode === "Always" || (pool.ipipMode === "CrossSubnet" && !same)) return { dev: "tunl0", via, proto: "bird", onlink: true };
  const gateway = /^default via (\S+)/.exec(netnsOf(w, from).defaultRoute)?.[1] ?? via;
  return { dev: "net0", via: same ? via : gateway, proto: "bird", onlink: false };
}

/**
 * The routes BIRD or Felix installed on `node` for the blocks; each read counts down
 * `staleRouteReads`, as if the daemons took that many reads to catch up with a change.
 * @param {World} w @param {Cluster} cluster @param {string} node
 */
function calicoRoutes(w, cluster, node) {
  if (!cluster.calico || !cluster.ippool) return [];
  const lines = [];
  for (const other of cluster.nodes) {
    const block = cluster.blocks[other];
    if (!block) continue;
    if (other === node) {
      // Without BIRD, Felix blackholes the node's own block.
      lines.push(`blackhole ${block} proto ${cluster.backend === "vxlan" ? "80" : "bird"}`);
      continue;
    }
    const { dev, via, proto, onlink } = hop(w, cluster, node, other);
    lines.push(`${block} via ${via} dev ${dev} proto ${proto}${onlink ? " onlink" : ""}`);
  }
  if (cluster.staleRouteReads > 0) cluster.staleRouteReads--;
  return lines;
}

// ---------------------------------------------------------------- kubectl

/** @param {World} w @param {string[]} argv */
function kubectl(w, argv) {
  if (argv[0] === "version" && argv.includes("--client")) return "Client Version: v1.27.3\nKustomize Version: v5.0.1\n";
  const kubeconfig = process.env.KUBECONFIG;
  const text = kubeconfig && fs.existsSync(kubeconfig) ? fs.readFileSync(kubeconfig, "utf8") : "";
  const ctx = /^current-context: kind-(\S+)$/m.exec(text);
  const cluster = ctx ? w.clusters[ctx[1]] : undefined;
  if (!cluster) {
    const server = /server: (\S+)/.exec(text)?.[1] ?? "http://localhost:8080";
    throw new Exit(1, `The connection to the server ${server.replace(/^https?:\/\//, "")} was refused - did you specify the right host or port?\n`);
  }
  const [verb, ...rest] = argv;
  if (verb === "taint") {
    const [, node, spec] = rest;
    const taint = spec.replace(/-$/, "");
    const list = cluster.taints[node] ?? [];
    if (!cluster.nodes.includes(node)) throw new Exit(1, `Error from server (NotFound): nodes "${node}" not found\n`);
    if (!list.includes(taint)) throw new Exit(1, `error: taint "${taint}" not found\n`);
    cluster.taints[node] = list.filter((t) => t !== taint);
    return `node/${node} untainted\n`;
  }
  if (verb === "rollout" && rest[0] === "status") {
    const target = rest[1];
    if (target === "daemonset/calico-node") {
      if (!cluster.calico) throw new Exit(1, 'Error from server (NotFound): daemonsets.apps "calico-node" not found\n');
      return `daemon set "calico-node" successfully rolled out\n`;
    }
    if (target === "statefulset/pod") {
      if (!cluster.workload) throw new Exit(1, 'Error from server (NotFound): statefulsets.apps "pod" not found\n');
      return `partitioned roll out complete: ${cluster.pods.length} new pods have been updated...\n`;
    }
    throw unsupported("kubectl", argv);
  }
  if (verb === "get" && rest[0] === "ippools.crd.projectcalico.org") {
    if (!cluster.calico) throw new Exit(1, 'error: the server doesn\'t have a resource type "ippools"\n');
    if (cluster.ippoolAfterGets > 0) {
      cluster.ippoolAfterGets--;
      if (cluster.ippoolAfterGets === 0) cluster.ippool = cluster.ippool ?? { ...cluster.ippoolInitialModes };
    }
    if (!cluster.ippool || rest[1] !== "default-ipv4-ippool") throw new Exit(1, `Error from server (NotFound): ippools.crd.projectcalico.org "${rest[1]}" not found\n`);
    const out = flag(argv, "-o");
    if (out === "name") return "ippool.crd.projectcalico.org/default-ipv4-ippool\n";
    throw unsupported("kubectl", argv);
  }
  if (verb === "patch" && rest[0] === "ippools.crd.projectcalico.org") {
    if (!cluster.ippool) throw new Exit(1, `Error from server (NotFound): ippools.crd.projectcalico.org "${rest[1]}" not found\n`);
    const out = flag(argv, "-o");
    if (flag(argv, "--type") !== "merge" || ![undefined, "jsonpath={.spec.ipipMode} {.spec.vxlanMode}"].includes(out)) throw unsupported("kubectl", argv);
    const patch = JSON.parse(flag(argv, "-p") ?? "{}");
    const next = { ...cluster.ippool, ...(patch.spec ?? {}) };
    // Calico's validation, which the CRD alone would not do.
    if (next.ipipMode !== "Never" && next.vxlanMode !== "Never") throw new Exit(1, "Error from server: IPIP and VXLAN cannot both be enabled on an IP pool\n");
    cluster.previousPool = { ...cluster.ippool };
    cluster.ippool = next;
    return out === undefined ? "ippool.crd.projectcalico.org/default-ipv4-ippool patched\n" : `${next.ipipMode} ${next.vxlanMode}`;
  }
  if (verb === "get" && rest[0] === "blockaffinities.crd.projectcalico.org") {
    if (!cluster.calico) throw new Exit(1, 'error: the server doesn\'t have a resource type "blockaffinities"\n');
    const objects = Object.entries(cluster.blocks).map(([node, cidr]) => ({ spec: { node, cidr, state: "confirmed", deleted: "false" } }));
    return jsonList(objects, argv);
  }
  // The manifest's Kubernetes datastore has no nodes CRD: Calico Node fields live on the Kubernetes Node.
  if (verb === "get" && rest[0] === "nodes.crd.projectcalico.org") throw new Exit(1, 'error: the server doesn\'t have a resource type "nodes.crd.projectcalico.org"\n');
  if (verb === "get" && rest[0] === "nodes" && flag(argv, "-o") === "name") return cluster.nodes.map((n) => `node/${n}\n`).join("");
  if (verb === "get" && rest[0] === "nodes" && flag(argv, "-o") === "json") {
    // calico-node allocates a VTEP, the first address of the node's block, while the pool has VXLAN on.
    const vxlan = cluster.calico && cluster.ippool !== null && cluster.ippool.vxlanMode !== "Never";
    const objects = cluster.nodes.map((name) => {
      const block = cluster.blocks[name];
      const { labels, annotations } = cluster.nodeMeta[name];
      const vtep = vxlan && block ? { "projectcalico.org/IPv4VXLANTunnelAddr": block.split("/")[0] } : {};
      return { apiVersion: "v1", kind: "Node", metadata: { name, labels, annotations: { ...annotations, ...vtep } } };
    });
    return jsonList(objects, argv);
  }
  if (verb === "patch" && rest[0] === "node") return patchNode(cluster, argv);
  if (verb === "get" && rest[0] === "pods") return getPods(cluster, argv);
  if (verb === "exec") return podExec(w, cluster, argv);
  throw unsupported("kubectl", argv);
}

/**
 * `kubectl patch node <name> --type merge -p <patch> [-o json]` on a node's labels and
 * annotations, as a JSON merge patch applies (RFC 7386: null removes a key).
 * @param {Cluster} cluster @param {string[]} argv
 */
function patchNode(cluster, argv) {
  const name = argv[2];
  const out = flag(argv, "-o");
  if (flag(argv, "--type") !== "merge" || ![undefined, "json"].includes(out)) throw unsupported("kubectl", argv);
  const meta = cluster.nodeMeta[name];
  if (!meta) throw new Exit(1, `Error from server (NotFound): nodes "${name}" not found\n`);
  const patch = JSON.parse(flag(argv, "-p") ?? "{}");
  for (const key of Object.keys(patch)) if (key !== "metadata") throw unsupported("kubectl patch node", [key]);
  for (const field of /** @type {const} */ (["labels", "annotations"])) {
    for (const [k, v] of Object.entries(patch.metadata?.[field] ?? {})) {
      if (v === null) delete meta[field][k];
      else meta[field][k] = String(v);
    }
  }
  if (out === undefined) return `node/${name} patched\n`;
  return JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name, labels: meta.labels, annotations: meta.annotations } }, null, 4) + "\n";
}

/**
 * The nodes a Calico selector picks: `all()` or `<label> == '<value>'`, the forms the lab writes.
 * @param {Cluster} cluster @param {string} selector
 */
function selected(cluster, selector) {
  if (selector === "all()") return cluster.nodes;
  const m = /^([\w./-]+) == '([^']*)'$/.exec(selector);
  if (!m) throw unsupported("calico selector", [selector]);
  return cluster.nodes.filter((n) => cluster.nodeMeta[n]?.labels[m[1]] === m[2]);
}

/**
 * `kubectl get pods -o json` (calico-node's pods, or the workload's by label), and calico-node's
 * pods as `-o wide` lists them.
 * @param {Cluster} cluster @param {string[]} argv
 */
function getPods(cluster, argv) {
  const selector = flag(argv, "-l") ?? "";
  if (selector === "k8s-app=calico-node") {
    if (flag(argv, "-o") === "json") {
      const calicoPods = cluster.calico ? cluster.nodes.map((n, i) => ({ metadata: { name: `calico-node-${i}`, namespace: "kube-system" }, spec: { nodeName: n }, status: { phase: "Running" } })) : [];
      return jsonList(calicoPods, argv);
    }
    return cluster.nodes.map((n, i) => `calico-node-${i}   0/1   Running   0   2m   ${n}\n`).join("");
  }
  /** @param {Pod} p */
  const object = (p) => ({ metadata: { name: p.name, namespace: "default", labels: p.labels }, spec: { nodeName: p.node }, status: { podIP: p.ip || undefined, phase: p.phase } });
  let pods = (flag(argv, "-n") ?? "default") === "default" && cluster.workload ? cluster.pods.map(object) : [];
  for (const term of selector.split(",").filter((t) => t !== "")) {
    const [k, v] = term.split("=");
    pods = pods.filter((p) => p.metadata.labels[k] === v);
  }
  return jsonList(pods, argv);
}

/**
 * Objects as `kubectl get -o json` prints them: a List of the items.
 * @param {any[]} objects @param {string[]} argv
 */
function jsonList(objects, argv) {
  if (flag(argv, "-o") !== "json") throw unsupported("kubectl", argv);
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 4) + "\n";
}

/**
 * BIRD 1.6's `show protocols` on `node`, as calico-node's birdcl prints it: the mesh with
 * every other node unless BGPConfiguration turned it off; a `Node_` session for each
 * selector BGPPeer's pair, from both ends as confd applies it (this node matching the
 * nodeSelector and the other the peerSelector, or the reverse); and the gateway when a
 * BGPPeer names this node, up only when the gateway has this node as a neighbour.
 * @param {World} w @param {Cluster} cluster @param {string} node
 */
function birdProtocols(w, cluster, node) {
  if (cluster.backend !== "bird") throw new Exit(1, "Unable to connect to server control socket (/var/run/calico/bird.ctl): No such file or directory\ncommand terminated with exit code 1\n");
  const name = (/** @type {string} */ prefix, /** @type {string} */ ip) => `${prefix}_${ip.replace(/\./g, "_")}`;
  const row = (/** @type {string} */ n, /** @type {boolean} */ up) => `${n.padEnd(16)} BGP      master   ${up ? "up   " : "start"}  07:34:25    ${up ? "Established" : "Active       Socket: Connection refused"}`;
  const lines = ["BIRD v0.3.3+birdv1.6.8 ready.", "name     proto    table    state  since       info"];
  for (const n of ["static1 Static", "kernel1 Kernel", "device1 Device", "direct1 Direct"]) {
    const [pname, proto] = n.split(" ");
    lines.push(`${pname.padEnd(8)} ${proto.padEnd(8)} master   up     07:34:24    `);
  }
  if (cluster.meshEnabled) for (const other of cluster.nodes) if (other !== node) lines.push(row(name("Mesh", nodeIp(w, other)), true));
  const peers = new Set();
  for (const p of cluster.selectorPeers) {
    const [local, remote] = [selected(cluster, p.nodeSelector), selected(cluster, p.peerSelector)];
    for (const other of cluster.nodes) {
      if (other !== node && ((local.includes(node) && remote.includes(other)) || (remote.includes(node) && local.includes(other)))) peers.add(other);
    }
  }
  for (const other of cluster.nodes) if (peers.has(other)) lines.push(row(name("Node", nodeIp(w, other)), true));
  const gw = Object.values(w.containers).find((c) => c.vyos);
  for (const p of cluster.bgpPeers.filter((b) => b.node === node)) {
    const peered = (gw?.vyos ?? []).includes(`set protocols bgp neighbor ${nodeIp(w, node)} remote-as '64512'`);
    lines.push(row(name("Node", p.peerIP), peered));
  }
  return `${lines.join("\n")}\n`;
}

/** @param {World} w @param {Cluster} cluster @param {string[]} argv */
function podExec(w, cluster, argv) {
  const dash = argv.indexOf("--");
  const opts = argv.slice(1, dash);
  const name = opts.filter((a, i) => !a.startsWith("-") && !opts[i - 1]?.startsWith("-n") && !opts[i - 1]?.startsWith("-c"))[0];
  const cmd = argv.slice(dash + 1);
  const calicoNode = /^calico-node-(\d+)$/.exec(name);
  if (calicoNode && cluster.calico) {
    const node = cluster.nodes[Number(calicoNode[1])];
    if (node === undefined) throw new Exit(1, `Error from server (NotFound): pods "${name}" not found\n`);
    if (cmd.join(" ") === "birdcl -s /var/run/calico/bird.ctl show protocols") return birdProtocols(w, cluster, node);
    throw unsupported("kubectl exec", cmd);
  }
  const pod = cluster.workload ? cluster.pods.find((p) => p.name === name) : undefined;
  if (!pod) throw new Exit(1, `Error from server (NotFound): pods "${name}" not found\n`);
  const target = cmd[cmd.length - 1].replace(/^http:\/\//, "").replace(/\/$/, "");
  const reachable = cluster.pods.some((p) => p.ip === target && p.phase === "Running");
  if (cmd[0] === "ping") {
    const count = Number(flag(cmd, "-c") ?? 4);
    if (!reachable) throw new Exit(1, "command terminated with exit code 1\n", `PING ${target} (${target}) 56(84) bytes of data.\n\n--- ${target} ping statistics ---\n${count} packets transmitted, 0 received, 100% packet loss, time ${count * 1000}ms\n`);
    const lines = Array.from({ length: count }, (_, i) => `64 bytes from ${target}: icmp_seq=${i + 1} ttl=62 time=0.1${i} ms`);
    return `PING ${target} (${target}) 56(84) bytes of data.\n${lines.join("\n")}\n\n--- ${target} ping statistics ---\n${count} packets transmitted, ${count} received, 0% packet loss, time ${count}ms\nrtt min/avg/max/mdev = 0.100/0.120/0.140/0.010 ms\n`;
  }
  if (cmd[0] === "curl") {
    if (!reachable) throw new Exit(28, "command terminated with exit code 28\n", "000");
    return cmd.includes("-w") ? "200" : `<html><body>PodName: ${pod.name} | PodIP: ${target}</body></html>\n`;
  }
  throw unsupported("kubectl exec", cmd);
}

// ---------------------------------------------------------------- curl

/** @param {World} w @param {string[]} argv */
function curl(w, argv) {
  if (argv[0] === "--version") return "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1\n";
  const url = argv[argv.length - 1];
  const file = w.urls[url];
  if (file === undefined) throw new Exit(6, `curl: (6) Could not resolve host: ${url.replace(/^https?:\/\//, "").split("/")[0]}\n`);
  return fs.readFileSync(file, "utf8");
}

// ---------------------------------------------------------------- main

const TOOLS = { ip, kind, containerlab, docker, kubectl, curl };

/** The call reads stdin only when it says so (`--config -`, `-f -`, `-t -`, `docker exec -i`). @param {string} cmd @param {string[]} argv */
function readsStdin(cmd, argv) {
  if (cmd === "docker" && argv[0] === "exec") {
    for (const a of argv.slice(1)) {
      if (!a.startsWith("-")) return false;
      if (a === "-i") return true;
    }
    return false;
  }
  return argv.some((a) => a === "-" || a.endsWith("=-"));
}

/** @param {keyof typeof TOOLS} cmd */
function main(cmd) {
  const argv = process.argv.slice(2);
  const stdin = readsStdin(cmd, argv) ? fs.readFileSync(0, "utf8") : undefined;
  const logFile = process.env.STANDIN_LOG;
  if (logFile) fs.appendFileSync(logFile, `${JSON.stringify(stdin === undefined ? { cmd, argv } : { cmd, argv, stdin })}\n`);
  try {
    const fail = process.env.STANDIN_FAIL;
    if (fail && new RegExp(fail).test(`${cmd} ${argv.join(" ")}`)) {
      throw new Exit(1, `stand-in ${cmd}: failing on purpose (STANDIN_FAIL=${fail})\n`);
    }
    const world = load();
    try {
      const answer = TOOLS[cmd](world, argv, stdin ?? "");
      const { stdout, stderr } = typeof answer === "string" ? { stdout: answer, stderr: "" } : answer;
      process.stdout.write(stdout);
      process.stderr.write(stderr);
      process.exitCode = 0;
    } finally {
      // What a call did before it failed stays done, as with the real tools.
      save(world);
    }
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    process.stdout.write(e.stdout);
    process.stderr.write(e.stderr);
    process.exitCode = e.code;
  }
}

module.exports = { main, emptyWorld, PCAP_HEADER };
