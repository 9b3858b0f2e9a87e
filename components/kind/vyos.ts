/**
 * The VyOS 1.4 config of the gateway (the seed's gw0-boot.cfg): one ethernet interface per
 * segment holding the segment's gateway address, source NAT of the lab's underlay out of
 * eth0 (containerlab's management network, so nodes can pull images), the seed's system
 * block and, in mode Never only, iBGP with every node (DESIGN.md section 4: without
 * encapsulation the gateway forwards pod addresses, so it must learn every block). One
 * tree renders both the boot config and the `set` commands that reconfigure a running
 * gateway, so the two cannot disagree.
 */
import { LabSpec } from "../../model/spec";
import { parseCidr } from "../../model/net";
import { CALICO } from "./tools";

/** A config node: a leaf's quoted value, or a block of children, in the order written. */
export type VyosValue = string | VyosBlock;
export type VyosBlock = [string, VyosValue][];

/** The seed's `vyos` user (its encrypted password, as the seed image expects). */
export const SEED_VYOS_PASSWORD =
  "$6$QxPS.uk6mfo$9QBSo8u1FkH16gMyAVhus6fU3LOzvLR9Z9.82m3tiHFAxTtIkhaZSWssSgzt4v4dGAL8rhVQxTg0oAG9/q11h/";

/** The management interface: containerlab connects every node's eth0 to its management network. */
export const MANAGEMENT_INTERFACE = "eth0";

/** The config path that depends on the pool's modes; the rest stays as booted. */
export const MODE_DEPENDENT_PATH = "protocols bgp";

/** VyOS 1.4's BGP: the AS as `system-as`, each node a neighbour in it with IPv4 unicast on. */
export function vyosBgp(spec: LabSpec): VyosBlock {
  const neighbors: VyosBlock = spec.nodes.map((n) => [
    `neighbor ${n.ip}`,
    [
      ["address-family", [["ipv4-unicast", []]]],
      ["remote-as", String(CALICO.asNumber)],
    ],
  ]);
  return [...neighbors, ["system-as", String(CALICO.asNumber)]];
}

/** The gateway's whole config for the spec's modes: the base, plus BGP in mode Never. */
export function vyosConfig(spec: LabSpec): VyosBlock {
  const base = vyosBaseConfig(spec);
  if (!spec.pool.gatewayPeers) return base;
  // config.boot keeps top-level nodes in alphabetical order, as VyOS saves them.
  const after = base.findIndex(([key]) => key > "protocols");
  const at = after < 0 ? base.length : after;
  return [...base.slice(0, at), ["protocols", [["bgp", vyosBgp(spec)]]], ...base.slice(at)];
}

/** The part of the config no pool mode changes: interfaces, NAT, system. */
export function vyosBaseConfig(spec: LabSpec): VyosBlock {
  const ethernets: VyosBlock = spec.subnets.map((s) => [
    `ethernet ${s.routerInterface}`,
    [
      ["address", `${s.gateway}/${parseCidr(s.cidr).prefixLength}`],
      ["duplex", "auto"],
      ["speed", "auto"],
    ],
  ]);
  return [
    ["interfaces", [...ethernets, ["loopback lo", []]]],
    [
      "nat",
      [
        [
          "source",
          [
            [
              "rule 100",
              [
                ["outbound-interface", [["name", MANAGEMENT_INTERFACE]]],
                ["source", [["address", spec.underlaySupernet]]],
                ["translation", [["address", "masquerade"]]],
              ],
            ],
          ],
        ],
      ],
    ],
    [
      "system",
      [
        ["config-management", [["commit-revisions", "100"]]],
        ["console", [["device ttyS0", [["speed", "9600"]]]]],
        ["host-name", spec.router.name],
        [
          "login",
          [
            [
              "user vyos",
              [
                [
                  "authentication",
                  [
                    ["encrypted-password", SEED_VYOS_PASSWORD],
                    ["plaintext-password", ""],
                  ],
                ],
              ],
            ],
          ],
        ],
        ["time-zone", "UTC"],
      ],
    ],
  ];
}

function quote(value: string): string {
  if (/["\\\n]/.test(value)) throw new Error(`VyOS config values cannot hold quotes, backslashes or newlines: ${JSON.stringify(value)}`);
  return `"${value}"`;
}

/** config.boot syntax: `key "value"` leaves and `key {` ... `}` blocks, four spaces per level. */
export function renderVyosBlock(block: VyosBlock, depth = 0): string {
  const pad = "    ".repeat(depth);
  return block
    .map(([key, value]) =>
      typeof value === "string" ? `${pad}${key} ${quote(value)}\n` : `${pad}${key} {\n${renderVyosBlock(value, depth + 1)}${pad}}\n`,
    )
    .join("");
}

/** The gateway's config.boot text. */
export function renderVyosBootConfig(spec: LabSpec): string {
  return renderVyosBlock(vyosConfig(spec));
}

/** The `set` commands that build `block` under `path` (leaves quoted, empty blocks as bare paths). */
export function vyosSetCommands(block: VyosBlock, path = ""): string[] {
  return block.flatMap(([key, value]) => {
    const at = path ? `${path} ${key}` : key;
    if (typeof value === "string") return [`set ${at} ${singleQuote(value)}`];
    return value.length === 0 ? [`set ${at}`] : vyosSetCommands(value, at);
  });
}

function singleQuote(value: string): string {
  if (/['\n]/.test(value)) throw new Error(`VyOS set values cannot hold single quotes or newlines: ${JSON.stringify(value)}`);
  return `'${value}'`;
}

/**
 * The lines FRR's running config (`vtysh -c 'show running-config'`) holds once the
 * gateway's BGP is what the modes need: `router bgp <AS>` and every node a neighbour in
 * it in mode Never; none otherwise, where FRR runs no BGP at all.
 */
export function frrBgpLines(spec: LabSpec): string[] {
  if (!spec.pool.gatewayPeers) return [];
  const as = CALICO.asNumber;
  return [`router bgp ${as}`, ...spec.nodes.map((n) => ` neighbor ${n.ip} remote-as ${as}`)];
}

/**
 * The configuration-mode commands that make a running gateway's mode-dependent part what
 * the spec's modes need (VyOS's command scripting: run by vbash after sourcing
 * script-template): drop BGP if it is there, set it again in mode Never, commit only a
 * real change (VyOS's commit refuses an empty one). Re-running it changes nothing.
 */
export function vyosReconfigureScript(spec: LabSpec): string {
  const bgp = spec.pool.gatewayPeers ? vyosSetCommands(vyosBgp(spec), MODE_DEPENDENT_PATH) : [];
  return [
    "source /opt/vyatta/etc/functions/script-template",
    "configure",
    `if cli-shell-api existsActive ${MODE_DEPENDENT_PATH}; then delete ${MODE_DEPENDENT_PATH}; fi`,
    ...bgp,
    "if cli-shell-api sessionChanged; then commit; fi",
    "exit",
    "",
  ].join("\n");
}
