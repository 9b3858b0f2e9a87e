#!/usr/bin/env python3
"""The netns lab's control plane driver: Felix's share of the data plane, BIRD's lifecycle,
and the wait until the kernel tables hold what the plan says.

Calico splits the work: BIRD (one per node, a BGP full mesh) decides the IPIP and plain
routes through its kernel filter; Felix programs tunl0, vxlan.calico and its routes and
the pods' MTU. This driver runs Felix's `ip` batches as the plan renders them, writes each
BIRD's config and starts the daemon or has a running one reload it (`configure`, as confd
does), widens the listen queue of a BIRD that more peers connect to than BIRD's 8 hold
(the plan's `listenQueue`), then polls until every unit's pool routes are the plan's and
every BGP session is Established. It never writes a route BIRD owns. A unit that is not
`manage`d (the gateway in the nodes' plan) is only read. Python: it talks to BIRD's
control sockets directly (a `birdc` per node and poll would dominate a 64-node lab).

Usage: controlplane.py apply RUN_DIR
  NETNS_CONTROL_PLAN: components/netns/controlPlane.ts `controlPlanePlan` as JSON, or "-"
  to read it from stdin.
  Progress on stderr; the last stdout line is JSON
    {"nodes": [{"name", "ns", "bgpPeers": [{"peer", "state"}], "routes": [...]}],
     "gateway": {"ns", "bgpPeers", "routes"} | null, "seconds"}
  Exit 1 when the tables never converge, listing what each unit lacks and has extra.
"""
import collections
import ctypes
import errno
from concurrent.futures import ThreadPoolExecutor
import json
import os
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
from labns import inside_netns, run_inside  # noqa: E402 (after the line above)

VXLAN_DEVICE = "vxlan.calico"
POLL_SECONDS = 0.25
# The per-node steps run in a few threads: each mostly waits on an `ip`/`bird -p` process or
# a BIRD socket, so one after the other they made a 256-node lab's start take 12 s.
WORKERS = 8


def log(msg):
    print("netns-controlplane: %s" % msg, file=sys.stderr, flush=True)


def run(args, text=None, ns=None):
    """stdout of `args` (fed `text`; inside namespace `ns` if given); RuntimeError, with what
    ran and what it said, when it fails."""
    out = run_inside(ns, args, text) if ns else subprocess.run(args, input=text, capture_output=True, text=True)
    if out.returncode != 0:
        where = " (in %s)" % ns if ns else ""
        raise RuntimeError("%s%s failed: %s%s" % (" ".join(args), where, (out.stderr or out.stdout).strip(), "\n--- input:\n" + text if text else ""))
    return out.stdout


def ip_batch(ns, lines, tool="ip"):
    """Run `lines` in one `ip -batch` (or `bridge -batch`) process inside `ns`."""
    if lines:
        run([tool, "-batch", "-"], "".join(line + "\n" for line in lines), ns)


def pool_routes(ns, pool):
    """`ns`'s main-table routes inside the pool, as `ip route show` prints them."""
    return [line.strip() for line in run(["ip", "route", "show", "root", pool], ns=ns).splitlines() if line.strip()]


NETLINK_ROUTE = 0
NLMSG_HEADER = struct.Struct("=IHHII")  # length, type, flags, sequence, port
NLMSG_ERROR, NLMSG_DONE = 2, 3
RTM_NEWLINK, RTM_GETLINK, RTM_NEWROUTE, RTM_GETROUTE = 16, 18, 24, 26
IFLA_IFNAME = 3
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
RTA_DST, RTA_TABLE = 1, 15
RT_TABLE_MAIN = 254


def parse_cidr(cidr):
    """"10.244.0.0/16" → (network as an int, prefix length)."""
    address, length = cidr.split("/")
    return struct.unpack("!I", socket.inet_aton(address))[0], int(length)


def pool_route_messages(data, pool):
    """The RTM_NEWROUTE bodies in a netlink dump `data` that `ip route show root POOL`
    lists: main table, destination inside the pool; and whether the dump is done."""
    net, length = pool
    mask = (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF
    bodies, done, offset = [], False, 0
    while offset + NLMSG_HEADER.size <= len(data):
        size, kind, _flags, _seq, _port = NLMSG_HEADER.unpack_from(data, offset)
        if size < NLMSG_HEADER.size:
            raise RuntimeError("netlink message of length %d" % size)
        body = data[offset + NLMSG_HEADER.size:offset + size]
        offset += (size + 3) & ~3
        if kind == NLMSG_DONE:
            done = True
        elif kind == NLMSG_ERROR:
            err = -struct.unpack_from("=i", body)[0]
            if err:
                raise OSError(err, "netlink route dump: %s" % os.strerror(err))
        elif kind == RTM_NEWROUTE and len(body) >= 12:
            dst_len, table = body[1], body[4]
            dst, at = 0, 12
            while at + 4 <= len(body):
                rta_len, rta_type = struct.unpack_from("=HH", body, at)
                if rta_len < 4:
                    break
                if rta_type == RTA_DST and rta_len >= 8:
                    dst = struct.unpack_from("!I", body, at + 4)[0]
                elif rta_type == RTA_TABLE and rta_len >= 8:
                    table = struct.unpack_from("=I", body, at + 4)[0]
                at += (rta_len + 3) & ~3
            if table == RT_TABLE_MAIN and dst_len >= length and dst & mask == net & mask:
                bodies.append(body)
    return bodies, done


class Netlink:
    """A netlink socket opened in one namespace, for what a poll asks often and cheaply:
    whether a link exists, and the pool routes' signature. Its route dump is not
    rendered: the sorted messages only tell whether the table changed since it was last
    read with `ip`, and how many routes it holds. `ip route show` stays the one reader of
    what a route says."""

    def __init__(self, ns, pool):
        self.ns = ns
        with inside_netns(ns):
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
        self.sock.settimeout(5.0)
        self.pool = parse_cidr(pool)
        self.seq = 0

    def request(self, kind, flags, body):
        self.seq += 1
        self.sock.send(NLMSG_HEADER.pack(NLMSG_HEADER.size + len(body), kind, NLM_F_REQUEST | flags, self.seq, 0) + body)

    def has_link(self, name):
        """Whether the namespace has a link called `name` (RTM_GETLINK by name)."""
        value = name.encode() + b"\0"
        attr = struct.pack("=HH", 4 + len(value), IFLA_IFNAME) + value + b"\0" * (-len(value) % 4)
        self.request(RTM_GETLINK, 0, struct.pack("=BBHiII", socket.AF_UNSPEC, 0, 0, 0, 0, 0) + attr)
        data = self.sock.recv(1 << 16)
        kind = NLMSG_HEADER.unpack_from(data)[1]
        if kind == RTM_NEWLINK:
            return True
        err = -struct.unpack_from("=i", data, NLMSG_HEADER.size)[0] if kind == NLMSG_ERROR else 0
        if err == errno.ENODEV:
            return False
        raise OSError(err, "netlink: link %s in %s: %s" % (name, self.ns, os.strerror(err) if err else "reply of type %d" % kind))

    def signature(self):
        # rtmsg with family AF_INET and the rest zero: every IPv4 route.
        self.request(RTM_GETROUTE, NLM_F_DUMP, struct.pack("=BBBBBBBBI", socket.AF_INET, 0, 0, 0, 0, 0, 0, 0, 0))
        bodies, done = [], False
        while not done:
            more, done = pool_route_messages(self.sock.recv(1 << 20), self.pool)
            bodies.extend(more)
        return tuple(sorted(bodies))

    def close(self):
        self.sock.close()


BGP_PORT = 179
SYS_PIDFD_GETFD = 438  # the same number on every architecture (Linux 5.6+)
LISTEN_WAIT_SECONDS = 1.5  # less than BIRD's connect delay: the first peers connect after it
_libc = ctypes.CDLL(None, use_errno=True)


def fd_target(pid, fd):
    try:
        return os.readlink("/proc/%d/fd/%d" % (pid, fd))
    except FileNotFoundError:  # closed meanwhile
        return None


def pidfd_getfd(pidfd, fd):
    """A copy of descriptor `fd` of the process behind `pidfd`; None when it was closed meanwhile."""
    local = _libc.syscall(ctypes.c_long(SYS_PIDFD_GETFD), ctypes.c_long(pidfd), ctypes.c_long(fd), ctypes.c_long(0))
    if local >= 0:
        return local
    err = ctypes.get_errno()
    if err == errno.EBADF:
        return None
    raise OSError(err, "pidfd_getfd: %s" % os.strerror(err))


def set_listen_backlog(pid, port, backlog):
    """Give the IPv4 TCP socket on which process `pid` listens on `port` a listen queue of
    `backlog`: listen() again, on a copy of the process's descriptor, only changes the
    queue's length. False while the process does not listen there yet. Its sockets are
    looked at in descriptor order, the listener being among the first a daemon opens
    (/proc/net/tcp would walk every TCP socket of the host: 65,000 in a 256-node mesh)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:  # the process is gone: the wait reports its exit
        return False
    try:
        for fd in sorted(int(fd) for fd in os.listdir("/proc/%d/fd" % pid)):
            if not (fd_target(pid, fd) or "").startswith("socket:"):
                continue
            local = pidfd_getfd(pidfd, fd)
            if local is None:
                continue
            with socket.socket(fileno=local) as sock:
                if sock.family == socket.AF_INET and sock.type == socket.SOCK_STREAM and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) and sock.getsockname()[1] == port:
                    sock.listen(backlog)
                    return True
        return False
    except FileNotFoundError:
        return False
    finally:
        os.close(pidfd)


def bird_command(ctl, command, timeout=5.0):
    """One command on a BIRD control socket: the reply's lines without their codes."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(ctl)
        buf = b""
        sent = False
        lines = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                raise RuntimeError("BIRD at %s closed the connection" % ctl)
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace")
                code = line[:4]
                if not sent:
                    if code == "0001":  # the greeting: now send the command
                        sock.sendall((command + "\n").encode())
                        sent = True
                    continue
                # A line is "NNNN-text" (more follows), "NNNN text" (last) or " text" (continuation).
                if code.isdigit() and len(line) >= 5:
                    lines.append(line[5:])
                    if line[4] == " ":
                        if code[0] in "89":
                            raise RuntimeError("BIRD at %s refused %r: %s" % (ctl, command, line[5:]))
                        return lines
                else:
                    lines.append(line[1:])
    finally:
        sock.close()


def parse_protocols(lines, peer_of):
    """`show protocols` rows of BGP sessions → [{"peer", "state"}], in row order."""
    peers = []
    for line in lines:
        cols = line.split()
        if len(cols) < 4 or cols[1] != "BGP":
            continue
        peer = peer_of.get(cols[0])
        if peer is None:
            continue
        # Columns: name proto table state since [info]. `since` is a time, or a date and a
        # time; info starts with the BGP state (Established, Active, Connect, Idle, ...).
        rest = [c for c in cols[4:] if not c[0].isdigit()]
        peers.append({"peer": peer, "state": rest[0] if rest else cols[3]})
    return peers


class Daemon:
    """One BIRD of the lab: its files under RUN_DIR/bird and its namespace."""

    def __init__(self, run_dir, ns, key, config, peers, listen_queue):
        self.ns = ns
        self.listen_queue = listen_queue
        base = os.path.join(run_dir, "bird", key)
        self.conf, self.ctl, self.pid_file, self.log = base + ".conf", base + ".ctl", base + ".pid", base + ".log"
        self.config = config
        self.peer_of = {p["name"]: p["ip"] for p in peers}  # the program checked the ctl path's length
        self.proc = None  # the BIRD this run started

    def pid(self):
        """The recorded PID while it still runs this BIRD (its pid file among its arguments), else None."""
        try:
            with open(self.pid_file) as f:
                pid = int(f.read().strip())
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                return pid if self.pid_file.encode() in f.read().split(b"\0") else None
        except (OSError, ValueError):
            return None

    def remove_stale(self):
        for stale in (self.ctl, self.pid_file):
            if os.path.exists(stale):
                os.unlink(stale)

    def write_config(self):
        tmp = "%s.%d.tmp" % (self.conf, os.getpid())
        with open(tmp, "w") as f:
            f.write(self.config)
        run(["bird", "-p", "-c", tmp])  # BIRD's own check of the config, before it is used
        os.rename(tmp, self.conf)

    def start_or_reload(self):
        """Start detached (own session, output to the log, PID recorded at once), or reload."""
        if self.pid() is not None:
            bird_command(self.ctl, "configure")
            return "reloaded"
        self.remove_stale()
        # Started from inside the namespace, as labns.run_inside starts a process there.
        with open(self.log, "ab") as out, inside_netns(self.ns):
            proc = subprocess.Popen(
                ["bird", "-f", "-c", self.conf, "-s", self.ctl, "-P", self.pid_file],
                stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
            )
        # lab_down stops BIRD by this PID.
        with open(self.pid_file, "w") as f:
            f.write("%d\n" % proc.pid)
        self.proc = proc
        return "started"

    def widen_listen_queue(self):
        """BIRD's BGP listen queue set to the plan's; False while BIRD does not listen yet."""
        pid = self.proc.pid if self.proc is not None else self.pid()
        return pid is not None and set_listen_backlog(pid, BGP_PORT, self.listen_queue)

    def exited(self):
        """Whether this BIRD is gone. One this run started is asked by its handle: at start
        BIRD truncates and rewrites its pid file, so a read of the file can find it empty."""
        return self.proc.poll() is not None if self.proc is not None else self.pid() is None

    def stop(self):
        pid = self.pid()
        if pid is None:
            return False
        os.kill(pid, 15)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and os.path.exists("/proc/%d" % pid):
            time.sleep(0.02)
        self.remove_stale()
        return True

    def log_tail(self, lines=15):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-lines:]).rstrip()
        except OSError:
            return "(no log)"

    def sessions(self):
        try:
            return parse_protocols(bird_command(self.ctl, "show protocols"), self.peer_of)
        except (OSError, RuntimeError):  # no socket yet, or BIRD gone: every session is down
            return [{"peer": ip, "state": "Down"} for ip in self.peer_of.values()]


def drop_vxlan(ns, netlink):
    if netlink.has_link(VXLAN_DEVICE):
        ip_batch(ns, ["link del %s" % VXLAN_DEVICE])  # its neighbours, FDB entries and routes go with it


def felix_routes(node):
    ip_batch(node["ns"], ["route replace %s" % r for r in node["felix"]["routes"]])


def widen_listen_queues(daemons):
    """Each BIRD's listen queue widened as the plan says, as soon as it listens. Only how
    soon sessions come up depends on it, so a host where it cannot be done is told so and
    goes on."""
    deadline = time.monotonic() + LISTEN_WAIT_SECONDS
    pending = daemons
    try:
        while pending:
            pending = [d for d in pending if not d.widen_listen_queue()]
            if pending and time.monotonic() > deadline:
                log("%d BIRDs did not listen within %.1f s; their listen queues stay BIRD's 8" % (len(pending), LISTEN_WAIT_SECONDS))
                return
            if pending:
                time.sleep(0.02)
    except OSError as e:
        log("BIRD's listen queue cannot be widened here (%s); sessions come up later" % e)


def each(workers, fn, items):
    """fn(item) for every item on the `workers` pool, results in item order; the first error is raised."""
    return list(workers.map(fn, items))


def check(workers, units, pool, full=True):
    """Per unit: (pool routes, sessions, ok) now.

    A unit's table is read with `ip` (a process) only when its netlink signature changed
    since the last read that the same signature framed; otherwise that read still holds.
    Unless `full`, a unit whose table holds another number of pool routes than planned is
    not ok, and neither its BIRD is asked nor its table read; nor is a table read while a
    session is not Established.
    Those queries compete with the BIRDs for the CPU: 256 `ip` processes per poll took
    seconds from the BIRDs still connecting."""
    def unit_state(u):
        signature = u["netlink"].signature()
        read_signature, routes = u["read"]
        if not full and len(signature) != len(u["routes"]):
            return routes, [], False
        sessions = u["daemon"].sessions() if u["daemon"] is not None else []
        established = all(s["state"] == "Established" for s in sessions)
        if signature != read_signature:
            if not (established or full):
                return routes, sessions, False
            routes = pool_routes(u["ns"], pool)
            # Kept for later polls only if the table did not change while `ip` read it: in a
            # live switch routes go and come back alike, and a read taken halfway, filed under
            # the signature they come back to, would be reused forever.
            u["read"] = (signature if u["netlink"].signature() == signature else None, routes)
        return routes, sessions, established and sorted(routes) == sorted(u["routes"])

    return {u["ns"]: st for u, st in zip(units, each(workers, unit_state, units))}


def describe_failure(units, state):
    out = []
    for u in units:
        routes, sessions, ok = state[u["ns"]]
        if ok:
            continue
        have, want = set(routes), set(u["routes"])
        out.append("%s (%s):" % (u["name"], u["ns"]))
        out.append("  sessions: %s" % (", ".join("%s %s" % (s["peer"], s["state"]) for s in sessions) or "none"))
        out.append("  pool routes: %s" % ("; ".join(routes) or "none"))
        for r in sorted(want - have):
            out.append("  model expects, table lacks: %s" % r)
        for r in sorted(have - want):
            out.append("  table has, model does not: %s" % r)
    return "\n".join(out)


def apply(plan, run_dir):
    with ThreadPoolExecutor(WORKERS) as workers:
        units = []
        try:
            return apply_with(workers, plan, run_dir, units)
        finally:
            for u in units:
                u["netlink"].close()


def apply_with(workers, plan, run_dir, units):
    """Apply `plan`; `units` (empty) receives each unit as it is set up, for the caller to close."""
    start = time.monotonic()
    os.makedirs(os.path.join(run_dir, "bird"), exist_ok=True)
    lab = plan["lab"]
    pool = plan["podSubnet"]
    for unit in plan["nodes"] + ([plan["gateway"]] if plan.get("gateway") else []):
        for ns in (unit["ns"], unit.get("felix", {}).get("podNs", unit["ns"])):
            if not ns.startswith(lab + "-"):
                raise RuntimeError("namespace %s is not lab %s's" % (ns, lab))
        daemon = Daemon(run_dir, unit["ns"], unit["key"], unit["bird"] or "", unit["peers"], unit["listenQueue"])
        if unit["bird"] is None:  # the gateway, when the modes need no BGP there
            if unit["manage"] and daemon.stop():
                log("%s: BIRD stopped (the modes need no BGP on the gateway)" % unit["ns"])
            daemon = None
        units.append(dict(unit, daemon=daemon, netlink=Netlink(unit["ns"], pool), read=(None, [])))
    nodes = units[: len(plan["nodes"])]

    def felix_before_bird(node):
        felix = node["felix"]
        if not felix["vxlan"]:
            drop_vxlan(node["ns"], node["netlink"])
        ip_batch(node["ns"], felix["node"])
        ip_batch(felix["podNs"], felix["pod"])

    # vxlan.calico made anew, as Felix makes it, so a re-run converges from any state.
    def felix_vxlan(node):
        drop_vxlan(node["ns"], node["netlink"])
        ip_batch(node["ns"], node["felix"]["vxlan"])
        ip_batch(node["ns"], node["felix"]["fdb"], tool="bridge")
        felix_routes(node)

    each(workers, felix_before_bird, nodes)
    managed = [u["daemon"] for u in units if u["daemon"] is not None and u["manage"]]
    each(workers, Daemon.write_config, managed)  # every config checked before any BIRD starts or reloads
    actions = collections.Counter(each(workers, Daemon.start_or_reload, managed))
    widen_listen_queues([d for d in managed if d.listen_queue])
    each(workers, felix_vxlan, [n for n in nodes if n["felix"]["vxlan"]])
    done = ", ".join("%d %s" % (n, a) for a, n in sorted(actions.items())) or "none run"
    modes = plan["modes"]
    log("IPIP %s / VXLAN %s: %d nodes programmed; BIRD: %s; %.3f s" % (modes["ipipMode"], modes["vxlanMode"], len(nodes), done, time.monotonic() - start))

    if not plan["wait"]:
        return {"nodes": [], "gateway": None, "seconds": round(time.monotonic() - start, 3)}
    deadline = start + plan["timeoutSeconds"]
    # Each poll reads only the units not yet as planned (each read is an `ip` process and a
    # BIRD query, which on a large lab compete with the BIRDs for the CPU); once none is
    # left, one read of every unit confirms they all hold at the same time.
    state = {}
    pending = units
    while True:
        state.update(check(workers, pending, pool, full=False))
        pending = [u for u in units if not state[u["ns"]][2]]
        if not pending:
            state = check(workers, units, pool)
            pending = [u for u in units if not state[u["ns"]][2]]
            if not pending:
                break
        for u in units:
            if u["manage"] and u["daemon"] is not None and u["daemon"].exited():
                raise RuntimeError("the BIRD of %s exited; its log ends:\n%s" % (u["ns"], u["daemon"].log_tail()))
        if time.monotonic() > deadline:
            state = check(workers, units, pool)
            if all(state[u["ns"]][2] for u in units):
                break
            raise RuntimeError(
                "the kernel tables did not reach what the modes need within %d s:\n%s" % (plan["timeoutSeconds"], describe_failure(units, state))
            )
        # Felix re-applies its routes when they drift, as its resync does.
        for node in nodes:
            if node["felix"]["routes"] and not state[node["ns"]][2]:
                felix_routes(node)
        time.sleep(POLL_SECONDS)

    seconds = round(time.monotonic() - start, 3)
    log("converged in %.3f s" % seconds)
    # The program reads this back on its next run: while it matches, the control plane is whole.
    generation = os.environ.get("NETNS_GENERATION", "")
    if generation:
        with open(os.path.join(run_dir, "bird", "generation"), "w") as f:
            f.write(generation + "\n")
    seen = {u["ns"]: {"name": u["name"], "ns": u["ns"], "bgpPeers": state[u["ns"]][1], "routes": state[u["ns"]][0]} for u in units}
    gateway = plan.get("gateway")
    return {"nodes": [seen[n["ns"]] for n in nodes], "gateway": seen[gateway["ns"]] if gateway else None, "seconds": seconds}


def main(argv):
    if len(argv) != 3 or argv[1] != "apply":
        print(__doc__, file=sys.stderr)
        return 2
    text = os.environ.get("NETNS_CONTROL_PLAN", "")
    plan = json.load(sys.stdin) if text == "-" else json.loads(text)
    try:
        result = apply(plan, argv[2])
    except (RuntimeError, OSError, ValueError) as e:
        log(str(e))
        return 1
    print(json.dumps(result, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
