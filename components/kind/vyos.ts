/**
 * The VyOS 1.4 boot config of the gateway (the seed's gw0-boot.cfg): one ethernet
 * interface per segment holding the segment's gateway address, source NAT of the lab's
 * underlay out of eth0 (containerlab's management network, so nodes can pull images),
 * and the seed's system block.
 */
import { LabSpec } from "../../lab/spec";
import { parseCidr } from "../../lab/net";

/** A config node: a leaf's quoted value, or a block of children, in the order written. */
export type VyosValue = string | VyosBlock;
export type VyosBlock = [string, VyosValue][];

/** The seed's `vyos` user (its encrypted password, as the seed image expects). */
export const SEED_VYOS_PASSWORD =
  "$6$QxPS.uk6mfo$9QBSo8u1FkH16gMyAVhus6fU3LOzvLR9Z9.82m3tiHFAxTtIkhaZSWssSgzt4v4dGAL8rhVQxTg0oAG9/q11h/";

/** The management interface: containerlab connects every node's eth0 to its management network. */
export const MANAGEMENT_INTERFACE = "eth0";

export function vyosConfig(spec: LabSpec): VyosBlock {
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
