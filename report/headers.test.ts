import { DEFAULT_SCALE, describeStack, layoutBar, mtuEffect } from "./headers";
import type { HeaderLayer } from "./packets";

const IPIP_PING: HeaderLayer[] = [
  { kind: "outer-ipv4", name: "outer IPv4", bytes: 20 },
  { kind: "ipv4", name: "inner IPv4", bytes: 20 },
  { kind: "l4", name: "ICMP", bytes: 8 },
  { kind: "payload", name: "payload", bytes: 56 },
];

describe("layoutBar", () => {
  it("makes every layer as wide as its bytes, edge to edge", () => {
    const bar = layoutBar(IPIP_PING);
    expect(bar.bytes).toBe(104);
    expect(bar.segments.map((s) => s.width)).toEqual([60, 60, 24, 168]);
    expect(bar.segments.map((s) => s.x)).toEqual([0, 60, 120, 144]);
    expect(bar.width).toBe(312);
    expect(bar.segments.some((s) => s.broken)).toBe(false);
    // The outer header is exactly as wide as the inner one: 20 bytes each.
    expect(bar.segments[0].width).toBe(bar.segments[1].width);
  });

  it("cuts long payloads (and says so) but keeps headers to scale", () => {
    const bar = layoutBar([...IPIP_PING.slice(0, 2), { kind: "l4", name: "TCP", bytes: 32 }, { kind: "payload", name: "payload", bytes: 1448 }], { pxPerByte: 2, maxPayloadBytes: 100 });
    expect(bar.bytes).toBe(1520);
    expect(bar.segments[2].width).toBe(64);
    expect(bar.segments[3]).toMatchObject({ bytes: 1448, width: 200, broken: true });
  });

  it("draws an empty payload with no width", () => {
    const bar = layoutBar([{ kind: "ipv4", name: "IPv4", bytes: 20 }, { kind: "l4", name: "TCP", bytes: 20 }, { kind: "payload", name: "payload", bytes: 0 }], DEFAULT_SCALE);
    expect(bar.segments[2].width).toBe(0);
  });
});

describe("mtuEffect", () => {
  it("IPIP: 20 bytes of outer IPv4, 1500 → 1480", () => {
    const m = mtuEffect({ encapsulation: "ipip", layers: IPIP_PING });
    expect(m).toMatchObject({ overhead: 20, underlayMtu: 1500, innerMtu: 1480 });
    expect(m.text).toContain("MTU 1500 → 1480");
    expect(m.text).toContain("tunl0");
  });

  it("an outer header with options costs more", () => {
    expect(mtuEffect({ encapsulation: "ipip", layers: [{ kind: "outer-ipv4", name: "outer IPv4", bytes: 24 }, ...IPIP_PING.slice(1)] }, 9000).innerMtu).toBe(8976);
  });

  it("VXLAN: 50 bytes, 1500 → 1450", () => {
    const layers: HeaderLayer[] = [
      { kind: "outer-ipv4", name: "outer IPv4", bytes: 20 },
      { kind: "outer-udp", name: "UDP", bytes: 8 },
      { kind: "vxlan", name: "VXLAN", bytes: 8 },
      { kind: "inner-ethernet", name: "inner Ethernet", bytes: 14 },
      ...IPIP_PING.slice(1),
    ];
    const m = mtuEffect({ encapsulation: "vxlan", layers });
    expect(m.innerMtu).toBe(1450);
    expect(m.text).toBe("VXLAN adds 50 bytes in front of the pod's packet (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14): MTU 1500 → 1450 (vxlan.calico's MTU).");
  });

  it("the frame's own link header is not the tunnel's: same numbers with it", () => {
    const framed: HeaderLayer[] = [{ kind: "link", name: "outer Ethernet", bytes: 14 }, ...IPIP_PING];
    expect(mtuEffect({ encapsulation: "ipip", layers: framed })).toEqual(mtuEffect({ encapsulation: "ipip", layers: IPIP_PING }));
    expect(describeStack(framed)).toBe("outer Ethernet 14 | outer IPv4 20 | inner IPv4 20 | ICMP 8 | payload 56 = 118 bytes");
  });

  it("plain: no overhead, the full MTU", () => {
    const m = mtuEffect({ encapsulation: "none", layers: IPIP_PING.slice(1) });
    expect(m).toMatchObject({ overhead: 0, innerMtu: 1500 });
    expect(m.text).toMatch(/No tunnel overhead/);
  });
});

it("describeStack", () => {
  expect(describeStack(IPIP_PING)).toBe("outer IPv4 20 | inner IPv4 20 | ICMP 8 | payload 56 = 104 bytes");
});
