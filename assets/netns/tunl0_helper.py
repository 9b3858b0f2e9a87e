#!/usr/bin/env python3
"""Userspace tunl0: Calico's IPIP device, stood in by a TUN device and this helper.

Why: kernels without the `ipip` module cannot create tunl0. The lab then makes tunl0 a
TUN device (same name, MTU = underlay MTU - 20, the node's /32 tunnel address) and runs
one of these helpers per node, inside the node's network namespace. The routes stay
exactly Calico's (`<block> via <node> dev tunl0 proto bird onlink`); only the
encapsulation moves to user space.

Out (pod → remote pod): the kernel routes the inner packet to tunl0 and hands it to the
TUN. A TUN has no link layer, so the route's `via` (the remote node) is lost on the way;
the helper finds it again by a longest-prefix match of the inner destination over the
node's tunl0 routes (`ip -j route show dev tunl0`, read at start, on SIGHUP, and again
on a miss), then sends the inner packet in a raw IPv4 socket of protocol 4 bound to the
node's own address: the kernel adds the outer header (node → node, protocol 4) and routes
it out of net0, where tcpdump sees a real IP-in-IP packet.

In (remote pod → pod): the same raw socket receives every protocol-4 packet addressed to
the node (with its outer header). Packets whose outer source is not a Calico node are
dropped, as Felix drops IPIP from non-nodes; the others lose their outer header and the
inner packet is written to the TUN, where the kernel receives it as if it came in on
tunl0 and forwards it to the pod.

Lifecycle: spawned detached by up.sh in the node's namespace (setsid and `ip netns exec`,
stdin /dev/null, output to a fresh log file), its PID in the pid file before it starts
(down.sh checks, in /proc/PID/cmdline, that the PID still runs this helper with that pid
file). It logs "ready:" once the TUN is attached and the socket bound, and exits by
itself whenever the pid file names another process or its namespace is deleted or
re-created: a helper orphaned by an interrupted
up.sh does nothing, or stops within a second, instead of outliving its lab. SIGHUP
reloads the routes; SIGUSR1 logs the packet counters; SIGTERM/SIGINT exit.

Usage: ip netns exec NS tunl0_helper.py --netns NS --node-ip IP --peers IP,IP,... --pid-file FILE [--dev tunl0]
"""
import argparse
import fcntl
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4
NETNS_DIR = "/var/run/netns"
RELOAD_ON_MISS_INTERVAL = 0.2
LOGGED_DROPS = 20


def ip_to_int(text):
    return struct.unpack("!I", socket.inet_aton(text))[0]


def ipv4_header(packet):
    """(protocol, src, dst, header_length) of an IPv4 packet, or None if it is not one."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack("!H", packet[2:4])[0]
    if ihl < 20 or ihl > len(packet) or total < ihl:
        return None
    return packet[9], socket.inet_ntoa(packet[12:16]), socket.inet_ntoa(packet[16:20]), ihl


def parse_routes(routes_json, dev="tunl0"):
    """`ip -j route show dev tunl0` → [(network, prefix_length, gateway)], longest prefix first.

    Only routes with a gateway matter: the directly connected ones carry no remote node.
    """
    table = []
    for r in json.loads(routes_json or "[]"):
        gw = r.get("gateway")
        if not gw or r.get("dev", dev) != dev:
            continue
        dst = r.get("dst", "")
        if dst == "default":
            net, plen = 0, 0
        elif "/" in dst:
            addr, plen_text = dst.split("/", 1)
            net, plen = ip_to_int(addr), int(plen_text)
        else:
            net, plen = ip_to_int(dst), 32
        table.append((net, plen, gw))
    table.sort(key=lambda e: -e[1])
    return table


def lookup(table, dst):
    """The gateway of the longest prefix holding `dst` (dotted quad), or None."""
    d = ip_to_int(dst)
    for net, plen, gw in table:
        mask = (0xFFFFFFFF << (32 - plen)) & 0xFFFFFFFF
        if d & mask == net & mask:
            return gw
    return None


def decapsulate(outer, peers):
    """(inner packet, None) for IPIP from a known node, else (None, why it was dropped)."""
    h = ipv4_header(outer)
    if h is None:
        return None, "not IPv4"
    protocol, src, _dst, ihl = h
    if protocol != IPPROTO_IPIP:
        return None, "protocol %d is not IPIP" % protocol
    if src not in peers:
        return None, "outer source %s is not a Calico node" % src
    inner = outer[ihl:]
    if ipv4_header(inner) is None:
        return None, "inner packet from %s is not IPv4" % src
    return inner, None


def parse_peers(text):
    """`--peers`: the Calico nodes' addresses, comma-separated."""
    peers = frozenset(p for p in text.split(",") if p)
    for p in peers:
        ip_to_int(p)
    return peers


def recorded_pid(pid_file):
    """The PID a pid file holds, or None when it is missing or unreadable."""
    try:
        with open(pid_file) as f:
            text = f.read().strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


def still_in_netns(name):
    """True while the named namespace is the one this process lives in.

    False once `ip netns del` removed the name, or a newer lab re-created it: the
    process then serves a namespace nobody can reach and should exit.
    """
    try:
        return os.stat(os.path.join(NETNS_DIR, name)).st_ino == os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return False


def log(msg):
    print("%s tunl0-helper[%d]: %s" % (time.strftime("%H:%M:%S"), os.getpid(), msg), file=sys.stderr, flush=True)


class Helper:
    def __init__(self, args):
        self.args = args
        self.table = []
        self.peers = parse_peers(args.peers)
        self.last_reload = 0.0
        self.drops = 0
        self.counts = {"out": 0, "in": 0}
        self.reload_requested = False

    def reload(self):
        out = subprocess.run(["ip", "-j", "route", "show", "dev", self.args.dev], check=True, capture_output=True, text=True).stdout
        self.table = parse_routes(out, self.args.dev)
        self.last_reload = time.monotonic()

    def drop(self, why):
        self.drops += 1
        if self.drops <= LOGGED_DROPS:
            log("drop: %s" % why)

    def open(self):
        # No other process can hold the TUN: up.sh makes it in a namespace it has just
        # created, after stopping every process of the lab's earlier namespaces.
        tun = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", self.args.dev.encode(), IFF_TUN | IFF_NO_PI))
        os.set_blocking(tun, False)
        sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
        sock.bind((self.args.node_ip, 0))
        sock.setblocking(False)
        return tun, sock

    def outbound(self, tun, sock):
        while True:
            try:
                packet = os.read(tun, 65535)
            except BlockingIOError:
                return
            h = ipv4_header(packet)
            if h is None:
                self.drop("non-IPv4 packet on %s" % self.args.dev)
                continue
            gw = lookup(self.table, h[2])
            if gw is None and time.monotonic() - self.last_reload > RELOAD_ON_MISS_INTERVAL:
                self.reload()
                gw = lookup(self.table, h[2])
            if gw is None:
                self.drop("no %s route towards %s" % (self.args.dev, h[2]))
                continue
            try:
                sock.sendto(packet, (gw, 0))
                self.counts["out"] += 1
            except OSError as e:
                self.drop("send to %s: %s" % (gw, e.strerror))

    def inbound(self, tun, sock):
        while True:
            try:
                outer = sock.recv(65535)
            except BlockingIOError:
                return
            inner, why = decapsulate(outer, self.peers)
            if inner is None:
                self.drop(why)
                continue
            try:
                os.write(tun, inner)
                self.counts["in"] += 1
            except OSError as e:
                self.drop("write to %s: %s" % (self.args.dev, e.strerror))

    def report(self):
        log("packets out %d, in %d, dropped %d" % (self.counts["out"], self.counts["in"], self.drops))

    def current(self):
        """Still the helper the lab knows: recorded in the pid file, in the named namespace."""
        return recorded_pid(self.args.pid_file) == os.getpid() and still_in_netns(self.args.netns)

    def run(self):
        tun, sock = self.open()
        self.reload()
        signal.signal(signal.SIGHUP, lambda *_: setattr(self, "reload_requested", True))
        signal.signal(signal.SIGUSR1, lambda *_: self.report())
        if not self.current():
            log("not the recorded helper of %s, or its namespace was deleted or re-created: exiting" % self.args.netns)
            return
        log("ready: %s in %s, node %s, %d routes, %d peers" % (self.args.dev, self.args.netns, self.args.node_ip, len(self.table), len(self.peers)))
        poller = select.poll()
        poller.register(tun, select.POLLIN)
        poller.register(sock.fileno(), select.POLLIN)
        while True:
            events = poller.poll(1000)
            if not events and not self.current():
                log("namespace %s is gone or another helper was recorded: exiting" % self.args.netns)
                return
            if self.reload_requested:
                self.reload_requested = False
                self.reload()
                log("reloaded: %d routes; so far out %d, in %d, dropped %d" % (len(self.table), self.counts["out"], self.counts["in"], self.drops))
            for fd, _ in events:
                if fd == tun:
                    self.outbound(tun, sock)
                else:
                    self.inbound(tun, sock)


def main(argv):
    p = argparse.ArgumentParser(description="userspace tunl0 for the netns lab (see the module docstring)")
    p.add_argument("--netns", required=True)
    p.add_argument("--node-ip", required=True)
    p.add_argument("--peers", required=True, help="the Calico nodes' addresses, comma-separated")
    p.add_argument("--pid-file", required=True, help="where the launcher recorded this PID (identifies the helper)")
    p.add_argument("--dev", default="tunl0")
    args = p.parse_args(argv[1:])

    def stop(signum, _frame):
        log("stopping on signal %d" % signum)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        Helper(args).run()
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        log("failed: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
