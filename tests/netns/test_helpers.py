"""Unit tests of the pure parts of the netns lab's Python helpers (no namespaces, no root).

Run: python3 -B -m unittest discover -s tests/netns -p 'test_*.py'  (tests/netns/helpers.test.ts runs it too).
"""
import json
import os
import socket
import tempfile
import struct
import sys
import unittest

sys.dont_write_bytecode = True  # keep assets/ and tests/ free of __pycache__
# The helpers under test are assets, not packages: import them from their folder.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "netns"))
import controlplane as cp  # noqa: E402
import labns  # noqa: E402
import tunl0_helper as h


def ipv4(src, dst, proto=1, payload=b"x" * 8, ihl=5):
    total = ihl * 4 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return header + b"\0" * (ihl * 4 - 20) + payload


ROUTES = json.dumps(
    [
        {"dst": "10.244.0.64/26", "gateway": "10.1.5.11", "dev": "tunl0", "protocol": "bird", "flags": ["onlink"]},
        {"dst": "10.244.0.128/26", "gateway": "10.1.8.10", "dev": "tunl0", "protocol": "bird", "flags": ["onlink"]},
        {"dst": "10.244.0.0/16", "gateway": "10.1.8.99", "dev": "tunl0", "flags": ["onlink"]},
        {"dst": "10.244.0.130", "gateway": "10.1.8.11", "dev": "tunl0", "flags": ["onlink"]},
        {"dst": "10.9.9.0/24", "dev": "tunl0", "scope": "link", "flags": []},
    ]
)


class RouteTable(unittest.TestCase):
    def test_longest_prefix_wins(self):
        table = h.parse_routes(ROUTES)
        self.assertEqual(h.lookup(table, "10.244.0.65"), "10.1.5.11")
        self.assertEqual(h.lookup(table, "10.244.0.129"), "10.1.8.10")
        self.assertEqual(h.lookup(table, "10.244.0.130"), "10.1.8.11")
        self.assertEqual(h.lookup(table, "10.244.7.1"), "10.1.8.99")

    def test_miss_and_routes_without_gateway(self):
        table = h.parse_routes(ROUTES)
        self.assertIsNone(h.lookup(table, "10.9.9.1"))
        self.assertIsNone(h.lookup(table, "192.0.2.1"))
        self.assertEqual(h.parse_routes(""), [])
        self.assertEqual(h.parse_routes("[]"), [])

    def test_default_and_other_devices(self):
        table = h.parse_routes(json.dumps([{"dst": "default", "gateway": "10.0.0.1", "dev": "tunl0"}, {"dst": "10.1.0.0/16", "gateway": "10.0.0.2", "dev": "net0"}]))
        self.assertEqual(h.lookup(table, "10.1.2.3"), "10.0.0.1")
        self.assertEqual(len(table), 1)


class Headers(unittest.TestCase):
    def test_parses_ipv4(self):
        self.assertEqual(h.ipv4_header(ipv4("10.244.0.1", "10.244.0.65")), (1, "10.244.0.1", "10.244.0.65", 20))
        self.assertEqual(h.ipv4_header(ipv4("1.2.3.4", "5.6.7.8", proto=4, ihl=6))[3], 24)

    def test_rejects_what_is_not_ipv4(self):
        self.assertIsNone(h.ipv4_header(b""))
        self.assertIsNone(h.ipv4_header(b"\x60" + b"\0" * 39))  # IPv6
        self.assertIsNone(h.ipv4_header(ipv4("1.2.3.4", "5.6.7.8")[:19]))
        self.assertIsNone(h.ipv4_header(b"\x4f" + ipv4("1.2.3.4", "5.6.7.8")[1:]))  # IHL beyond the packet


class Decapsulate(unittest.TestCase):
    peers = frozenset({"10.1.5.10", "10.1.8.10"})

    def test_strips_the_outer_header_of_a_known_node(self):
        inner = ipv4("10.244.0.129", "10.244.0.1")
        got, why = h.decapsulate(ipv4("10.1.8.10", "10.1.5.10", proto=4, payload=inner), self.peers)
        self.assertEqual((got, why), (inner, None))

    def test_drops_ipip_from_a_non_node(self):
        got, why = h.decapsulate(ipv4("10.1.8.77", "10.1.5.10", proto=4, payload=ipv4("1.1.1.1", "2.2.2.2")), self.peers)
        self.assertIsNone(got)
        self.assertIn("not a Calico node", why)

    def test_drops_other_protocols_and_junk(self):
        self.assertIsNone(h.decapsulate(ipv4("10.1.8.10", "10.1.5.10", proto=17), self.peers)[0])
        self.assertIsNone(h.decapsulate(ipv4("10.1.8.10", "10.1.5.10", proto=4, payload=b"junk"), self.peers)[0])
        self.assertIsNone(h.decapsulate(b"\x00\x01", self.peers)[0])



class Nodes(unittest.TestCase):
    def test_one_namespace_and_address_a_line(self):
        self.assertEqual(h.parse_nodes("lab-n1 10.1.5.10\n\nlab-n2 10.1.8.10\n"), [("lab-n1", "10.1.5.10"), ("lab-n2", "10.1.8.10")])

    def test_rejects_what_would_leave_the_namespace_folder_or_is_no_address(self):
        for bad in ["lab-n1", "lab-n1 10.1.5.10 x", "../etc 10.1.5.10", ".. 10.1.5.10", "a/b 10.1.5.10", "lab-n1 10.1.5.10\nlab-n1 10.1.5.11", "", "\n"]:
            with self.assertRaises(ValueError, msg=repr(bad)):
                h.parse_nodes(bad)
        with self.assertRaises(OSError):
            h.parse_nodes("lab-n1 not-an-ip")


class Sysctl(unittest.TestCase):
    def test_groups_by_namespace_in_order(self):
        text = "lab-n1 net.ipv4.ip_forward 1\nlab-n1 net.ipv4.conf.all.rp_filter 0\n# c\n\nlab-n2 net.ipv4.ip_forward 1\n"
        self.assertEqual(
            labns.parse_sysctl_lines(text),
            [("lab-n1", [("net.ipv4.ip_forward", "1"), ("net.ipv4.conf.all.rp_filter", "0")]), ("lab-n2", [("net.ipv4.ip_forward", "1")])],
        )
        self.assertEqual(labns.sysctl_path("net.ipv4.neigh.calic220f2ba281.proxy_delay"), "/proc/sys/net/ipv4/neigh/calic220f2ba281/proxy_delay")

    def test_rejects_what_is_not_a_net_sysctl(self):
        for bad in ["lab-n1 kernel.panic 1", "lab-n1 net.ipv4.ip_forward", "../x net.ipv4.ip_forward 1", "lab-n1 net.ipv4..x 1", "lab-n1 net.a/b 1", "lab-n1 net.ipv4.ip_forward yes"]:
            with self.assertRaises(ValueError, msg=bad):
                labns.parse_sysctl_lines(bad)


class PidFiles(unittest.TestCase):
    def test_recorded_pid(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "tunl0.pid")
            self.assertIsNone(h.recorded_pid(path))
            with open(path, "w") as f:
                f.write("%d\n" % os.getpid())
            self.assertEqual(h.recorded_pid(path), os.getpid())
            with open(path, "w") as f:
                f.write("x1\n")
            self.assertIsNone(h.recorded_pid(path))

    def test_a_namespace_that_does_not_exist_has_no_inode(self):
        self.assertIsNone(h.netns_inode("no-such-lab-ns-for-tests"))


class ControlPlaneTest(unittest.TestCase):
    """controlplane.py's reader of BIRD's protocol table (its routes are `ip route show`'s own lines)."""

    def test_bgp_sessions_by_peer_whatever_the_time_format(self):
        rows = [
            "Name       Proto      Table      State  Since         Info",
            "calico_blocks Static     master4    up     14:01:48.602",
            "Mesh_10_1_5_11 BGP        ---        up     14:01:50.140  Established",
            "Mesh_10_1_8_10 BGP        ---        start  2026-12-01 14:01:50  Active        Socket: Connection refused",
            "Global_10_1_5_1 BGP        ---        start  14:01:50.223  Connect",
            "Mesh_10_9_9_9 BGP        ---        up     14:01:50.140  Established",
        ]
        peers = {"Mesh_10_1_5_11": "10.1.5.11", "Mesh_10_1_8_10": "10.1.8.10", "Global_10_1_5_1": "10.1.5.1"}
        self.assertEqual(
            cp.parse_protocols(rows, peers),
            [{"peer": "10.1.5.11", "state": "Established"}, {"peer": "10.1.8.10", "state": "Active"}, {"peer": "10.1.5.1", "state": "Connect"}],
        )


def netlink(kind, body):
    return struct.pack("=IHHII", 16 + len(body), kind, 2, 7, 0) + body + b"\0" * (-len(body) % 4)


def route(dst, dst_len, table=254, table_attr=None, extra=b""):
    attrs = b"" if dst is None else struct.pack("=HH", 8, 1) + socket.inet_aton(dst)
    if table_attr is not None:
        attrs += struct.pack("=HHI", 8, 15, table_attr)
    # rtmsg: family, dst_len, src_len, tos, table, protocol (bird 12), scope, type; flags
    return netlink(24, struct.pack("=BBBBBBBBI", 2, dst_len, 0, 0, table, 12, 0, 1, 0) + attrs + extra)


class NetlinkRoutes(unittest.TestCase):
    """controlplane.py's reader of a netlink route dump: which messages `ip route show root POOL` would list."""

    pool = cp.parse_cidr("10.244.0.0/16")

    def test_keeps_main_table_routes_inside_the_pool(self):
        block = route("10.244.0.64", 26, extra=struct.pack("=HH", 8, 5) + socket.inet_aton("10.1.5.11"))
        data = b"".join([
            block,
            route("10.244.0.0", 26, table=252, table_attr=254),  # RTA_TABLE names the table past 255
            route("10.244.0.1", 32, table=255),  # the local table's tunnel address
            route("10.244.0.64", 26, table=254, table_attr=1000),
            route("10.1.5.0", 24),
            route(None, 0),  # default
            route("10.0.0.0", 8),  # holds the pool, is not inside it
        ])
        bodies, done = cp.pool_route_messages(data, self.pool)
        self.assertEqual(bodies, [block[16:], route("10.244.0.0", 26, table=252, table_attr=254)[16:]])
        self.assertFalse(done)

    def test_done_and_errors(self):
        self.assertEqual(cp.pool_route_messages(netlink(3, struct.pack("=i", 0)), self.pool), ([], True))
        self.assertEqual(cp.pool_route_messages(netlink(2, struct.pack("=i", 0)), self.pool), ([], False))
        with self.assertRaises(OSError):
            cp.pool_route_messages(netlink(2, struct.pack("=i", -1)), self.pool)
        with self.assertRaises(RuntimeError):
            cp.pool_route_messages(struct.pack("=IHHII", 8, 24, 0, 0, 0), self.pool)


class CachedReads(unittest.TestCase):
    """controlplane.py's check: a table read is reused only under the signature that framed it."""

    class Table:
        """A node's table: its netlink signature is its state's name."""

        def __init__(self):
            self.state = "S"

        def signature(self):
            return self.state

    def test_a_read_taken_while_the_table_changed_is_read_again(self):
        full = ["10.244.0.64/26 via 10.1.5.11 dev tunl0 proto bird onlink", "10.244.0.128/26 via 10.1.8.10 dev tunl0 proto bird onlink"]
        table = self.Table()

        def first_read(ns, pool):  # a switch withdraws a route while `ip` reads
            table.state = "X"
            return full[:1]

        reads = [first_read, lambda ns, pool: full]
        unit = {"ns": "lab-n1", "netlink": table, "daemon": None, "routes": full, "read": (None, [])}
        real = cp.pool_routes
        cp.pool_routes = lambda ns, pool: reads.pop(0)(ns, pool)
        try:
            with cp.ThreadPoolExecutor(1) as workers:
                self.assertFalse(cp.check(workers, [unit], "10.244.0.0/16")["lab-n1"][2])
                table.state = "S"  # the route is back: the table is as it was before that read
                self.assertEqual(cp.check(workers, [unit], "10.244.0.0/16")["lab-n1"], (full, [], True))
        finally:
            cp.pool_routes = real


if __name__ == "__main__":
    unittest.main()
