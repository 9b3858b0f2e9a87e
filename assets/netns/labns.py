#!/usr/bin/env python3
"""Shared pieces of the netns lab's Python helpers (standard library only).

As a module: `enter_netns(name)` moves the calling process into a lab namespace by its
`ip netns` name (Python 3.11 has no os.setns, so libc's setns is called via ctypes);
`write_ready_file` / `remove_ready_file` give each detached helper its readiness signal;
its launcher records the PID itself at spawn, and `wait_until_recorded` / `recorded_pid`
let the helper check that it is still the process its lab knows (an orphan of an
interrupted launch is not); `still_in_netns` tells it whether its namespace still
exists under its name.

As a command: `labns.py sysctl` reads lines `NAMESPACE KEY VALUE` from stdin
(KEY in sysctl's dotted form, e.g. `net.ipv4.conf.all.rp_filter`) and writes each value
inside its namespace. One process enters every namespace in turn, which is what keeps
the lab's set-up fast: `ip netns exec NS sysctl ...` would start two processes per
namespace. /proc/sys/net shows the network namespace of the process that looks it up, so
after setns the same paths reach the namespace just entered.
"""
import ctypes
import os
import re
import sys
import time

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/var/run/netns"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SYSCTL_KEY_RE = re.compile(r"^net(\.[A-Za-z0-9_-]+)+$")
SYSCTL_VALUE_RE = re.compile(r"^-?[0-9]+$")

_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name):
    """Move this process (its only thread) into the named network namespace."""
    if not NAME_RE.match(name):
        raise ValueError("not a namespace name: %r" % name)
    fd = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns(%s): %s" % (name, os.strerror(err)))
    finally:
        os.close(fd)


def write_ready_file(path):
    """Write this process's pid atomically (temp file + rename): the readiness signal."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(tmp, path)


def remove_ready_file(path):
    """Remove the ready file if it still names this process (a newer helper may own it)."""
    try:
        with open(path) as f:
            if f.read().strip() != str(os.getpid()):
                return
        os.unlink(path)
    except OSError:
        pass


def recorded_pid(pid_file):
    """The PID a pid file holds, or None when it is missing or unreadable."""
    try:
        with open(pid_file) as f:
            text = f.read().strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


def wait_until_recorded(pid_file, timeout=5.0):
    """Wait until the launcher has recorded this process in `pid_file`.

    True once it names this PID; False when it names another process (a newer launch
    superseded this one) or never appears (the lab was torn down while this process was
    starting: the orphan of an interrupted launcher). Either way a False caller exits
    before touching anything.
    """
    deadline = time.monotonic() + timeout
    while True:
        pid = recorded_pid(pid_file)
        if pid == os.getpid():
            return True
        if pid is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def still_in_netns(name):
    """True while the named namespace is the one this process lives in.

    False once `ip netns del` removed the name, or a newer lab re-created it: the
    process then serves a namespace nobody can reach and should exit.
    """
    try:
        return os.stat(os.path.join(NETNS_DIR, name)).st_ino == os.stat("/proc/self/ns/net").st_ino
    except OSError:
        return False


def sysctl_path(key):
    """`net.ipv4.conf.eth0.rp_filter` → `/proc/sys/net/ipv4/conf/eth0/rp_filter`."""
    if not SYSCTL_KEY_RE.match(key):
        raise ValueError("not a net.* sysctl key: %r" % key)
    return "/proc/sys/" + key.replace(".", "/")


def parse_sysctl_lines(text):
    """Lines `NAMESPACE KEY VALUE` → [(namespace, [(key, value), ...])] in input order."""
    groups = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 3 or not NAME_RE.match(parts[0]) or not SYSCTL_KEY_RE.match(parts[1]) or not SYSCTL_VALUE_RE.match(parts[2]):
            raise ValueError("line %d: expected `NAMESPACE net.KEY INTEGER`, got %r" % (number, raw))
        if not groups or groups[-1][0] != parts[0]:
            groups.append((parts[0], []))
        groups[-1][1].append((parts[1], parts[2]))
    return groups


def apply_sysctls(groups):
    for namespace, settings in groups:
        enter_netns(namespace)
        for key, value in settings:
            try:
                with open(sysctl_path(key), "w") as f:
                    f.write(value)
            except OSError as e:
                raise OSError(e.errno, "%s: %s=%s: %s" % (namespace, key, value, e.strerror)) from None


def main(argv):
    if len(argv) != 2 or argv[1] != "sysctl":
        print("usage: labns.py sysctl < lines of `NAMESPACE KEY VALUE`", file=sys.stderr)
        return 2
    try:
        apply_sysctls(parse_sysctl_lines(sys.stdin.read()))
    except (OSError, ValueError) as e:
        print("labns.py sysctl: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
