#!/usr/bin/env python3
"""Userspace tunl0: Calico's IPIP device, stood in by a TUN device per node and this helper.

Why: kernels without the `ipip` module cannot create tunl0. The lab then makes tunl0 a
TUN device in every node's namespace (same name, MTU = underlay MTU - 20, the node's /32
tunnel address) and runs this one helper for the whole lab. The routes stay exactly
Calico's (`<block> via <node> dev tunl0 proto bird onlink`); only the encapsulation
moves to user space.

One process serves every node: it enters each node's namespace in turn (setns) to attach
that node's TUN and open its raw socket, both of which stay in the namespace they were
made in, returns to its own namespace, and then polls all of them. One Python process per
node cost about 8 MB and a start each: 2 GB and 5-9 s of up at 256 nodes.

Out (pod → remote pod): the kernel routes the inner packet to tunl0 and hands it to the
TUN. A TUN has no link layer, so the route's `via` (the remote node) is lost on the way;
the helper finds it again by a longest-prefix match of the inner destination over the
node's tunl0 routes (`ip -j route show dev tunl0` in its namespace, read on the node's
first packet after the start or a SIGHUP, and again on a miss), then sends the inner
packet in the node's raw IPv4 socket of protocol 4, bound to the node's own address: the
kernel adds the outer header (node → node, protocol 4) and routes it out of net0, where
tcpdump sees a real IP-in-IP packet.

In (remote pod → pod): the same raw socket receives every protocol-4 packet addressed to
the node (with its outer header). Packets whose outer source is not a Calico node are
dropped, as Felix drops IPIP from non-nodes; the others lose their outer header and the
inner packet is written to the node's TUN, where the kernel receives it as if it came in
on tunl0 and forwards it to the pod.

Lifecycle: spawned detached by up.sh (setsid, stdin /dev/null, output to a fresh log
file), its PID in the pid file before it starts (down.sh checks, in /proc/PID/cmdline,
that the PID still runs this helper with that pid file). It logs "ready:" once every
node's TUN is attached and socket bound. A node whose namespace is deleted or re-created
is dropped; the helper exits when no node is left or the pid file names another process,
so a helper orphaned by an interrupted up.sh stops within a second instead of outliving
its lab. SIGHUP marks every node's routes for a re-read; SIGUSR1 logs each node's packet
counters; SIGTERM/SIGINT exit. Every line about a node starts with its namespace.

Usage: tunl0_helper.py --nodes FILE --pid-file FILE [--dev tunl0]
  FILE holds one line per node, "namespace address" (its underlay address); those
  addresses are also the Calico nodes whose IPIP is accepted.
"""
import argparse
import fcntl
import json
import os
import select
import signal
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
from labns import NAME_RE, inside_netns, netns_inode, run_inside  # noqa: E402 (after the line above)

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4
RELOAD_ON_MISS_INTERVAL = 0.2
LIVENESS_INTERVAL = 1.0
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


def parse_nodes(text):
    """`--nodes` file → [(namespace, address)], each namespace a plain name (labns.NAME_RE)."""
    nodes = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not NAME_RE.match(fields[0]):
            raise ValueError("nodes line %d is not 'namespace address': %r" % (number, line))
        ip_to_int(fields[1])
        nodes.append((fields[0], fields[1]))
    if len({ns for ns, _ in nodes}) != len(nodes):
        raise ValueError("the nodes file names a namespace twice")
    if not nodes:
        raise ValueError("the nodes file names no node")
    return nodes


def recorded_pid(pid_file):
    """The PID a pid file holds, or None when it is missing or unreadable."""
    try:
        with open(pid_file) as f:
            text = f.read().strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


def log(msg):
    print("%s tunl0-helper[%d]: %s" % (time.strftime("%H:%M:%S"), os.getpid(), msg), file=sys.stderr, flush=True)


class Node:
    """One node's tunl0: its TUN and raw socket (made in its namespace), routes and counters."""

    def __init__(self, netns, ip):
        self.netns = netns
        self.ip = ip
        self.inode = None
        self.tun = None
        self.sock = None
        self.table = []
        self.stale = True
        self.last_reload = 0.0
        self.drops = 0
        self.out = 0
        self.into = 0

    def say(self, msg):
        log("%s: %s" % (self.netns, msg))

    def drop(self, why):
        self.drops += 1
        if self.drops <= LOGGED_DROPS:
            self.say("drop: %s" % why)

    def open(self, dev):
        """Attach the TUN and bind the socket; the caller has entered the node's namespace.

        No other process can hold the TUN: up.sh makes it in a namespace it has just
        created, after stopping every process of the lab's earlier namespaces.
        """
        self.tun = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
        fcntl.ioctl(self.tun, TUNSETIFF, struct.pack("16sH", dev.encode(), IFF_TUN | IFF_NO_PI))
        os.set_blocking(self.tun, False)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
        self.sock.bind((self.ip, 0))
        self.sock.setblocking(False)

    def close(self):
        if self.tun is not None:
            os.close(self.tun)
        if self.sock is not None:
            self.sock.close()
        self.tun = self.sock = None

    def reload(self, dev):
        self.last_reload = time.monotonic()
        try:
            run = run_inside(self.netns, ["ip", "-j", "route", "show", "dev", dev])
        except OSError as e:  # the namespace is gone: the poll loop drops the node
            self.say("reading its %s routes failed: %s" % (dev, e))
            return
        if run.returncode != 0:
            self.say("reading its %s routes failed: %s" % (dev, run.stderr.strip()))
            return
        self.table = parse_routes(run.stdout, dev)
        self.stale = False

    def gateway(self, dst, dev):
        if self.stale:
            self.reload(dev)
        gw = lookup(self.table, dst)
        if gw is None and time.monotonic() - self.last_reload > RELOAD_ON_MISS_INTERVAL:
            self.reload(dev)
            gw = lookup(self.table, dst)
        return gw

    def outbound(self, dev):
        while True:
            try:
                packet = os.read(self.tun, 65535)
            except BlockingIOError:
                return
            h = ipv4_header(packet)
            if h is None:
                self.drop("non-IPv4 packet on %s" % dev)
                continue
            gw = self.gateway(h[2], dev)
            if gw is None:
                self.drop("no %s route towards %s" % (dev, h[2]))
                continue
            try:
                self.sock.sendto(packet, (gw, 0))
                self.out += 1
            except OSError as e:
                self.drop("send to %s: %s" % (gw, e.strerror))

    def inbound(self, dev, peers):
        while True:
            try:
                outer = self.sock.recv(65535)
            except BlockingIOError:
                return
            inner, why = decapsulate(outer, peers)
            if inner is None:
                self.drop(why)
                continue
            try:
                os.write(self.tun, inner)
                self.into += 1
            except OSError as e:
                self.drop("write to %s: %s" % (dev, e.strerror))

    def report(self):
        self.say("packets out %d, in %d, dropped %d" % (self.out, self.into, self.drops))


class Helper:
    def __init__(self, args, nodes):
        self.args = args
        self.nodes = [Node(ns, ip) for ns, ip in nodes]
        self.peers = frozenset(ip for _, ip in nodes)
        self.by_fd = {}
        self.poller = select.poll()
        self.reload_requested = False

    def open_all(self):
        for node in self.nodes:
            with inside_netns(node.netns) as inode:
                node.inode = inode
                try:
                    node.open(self.args.dev)
                except OSError as e:
                    raise OSError(e.errno, "%s of %s: %s" % (self.args.dev, node.netns, e.strerror)) from e
        for node in self.nodes:
            for fd, direction in ((node.tun, "out"), (node.sock.fileno(), "in")):
                self.by_fd[fd] = (node, direction)
                self.poller.register(fd, select.POLLIN)

    def forget(self, node, why):
        for fd in (node.tun, node.sock.fileno()):
            self.poller.unregister(fd)
            del self.by_fd[fd]
        node.close()
        self.nodes.remove(node)
        node.say("%s: no longer served" % why)

    def current(self):
        """Still the helper the lab knows (its pid file names it), serving at least one node."""
        if recorded_pid(self.args.pid_file) != os.getpid():
            log("another helper was recorded in %s: exiting" % self.args.pid_file)
            return False
        for node in list(self.nodes):
            if netns_inode(node.netns) != node.inode:
                self.forget(node, "its namespace was deleted or re-created")
        if not self.nodes:
            log("no node's namespace is left: exiting")
        return bool(self.nodes)

    def report(self):
        for node in self.nodes:
            node.report()

    def run(self):
        self.open_all()
        signal.signal(signal.SIGHUP, lambda *_: setattr(self, "reload_requested", True))
        signal.signal(signal.SIGUSR1, lambda *_: self.report())
        if not self.current():
            return
        log("ready: %s in %d nodes' namespaces, %d peers" % (self.args.dev, len(self.nodes), len(self.peers)))
        checked = time.monotonic()
        while True:
            events = self.poller.poll(LIVENESS_INTERVAL * 1000)
            if time.monotonic() - checked >= LIVENESS_INTERVAL:
                checked = time.monotonic()
                if not self.current():
                    return
            if self.reload_requested:
                self.reload_requested = False
                for node in self.nodes:
                    node.stale = True
                log("routes marked for a re-read on each node's next packet")
            for fd, _ in events:
                entry = self.by_fd.get(fd)
                if entry is None:
                    continue
                node, direction = entry
                if direction == "out":
                    node.outbound(self.args.dev)
                else:
                    node.inbound(self.args.dev, self.peers)


def main(argv):
    p = argparse.ArgumentParser(description="userspace tunl0 for the netns lab (see the module docstring)")
    p.add_argument("--nodes", required=True, help="file of lines 'namespace address', one per node")
    p.add_argument("--pid-file", required=True, help="where the launcher recorded this PID (identifies the helper)")
    p.add_argument("--dev", default="tunl0")
    args = p.parse_args(argv[1:])

    def stop(signum, _frame):
        log("stopping on signal %d" % signum)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        with open(args.nodes) as f:
            nodes = parse_nodes(f.read())
        Helper(args, nodes).run()
    except (OSError, ValueError) as e:
        log("failed: %s" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
