#!/usr/bin/env python3
"""Entering the netns lab's namespaces from one process; standard library only.

`labns.py sysctl` reads lines `NAMESPACE KEY VALUE` from stdin (KEY in sysctl's dotted
form, e.g. `net.ipv4.conf.all.rp_filter`) and writes each value inside its namespace. One
process enters every namespace in turn, which is what keeps the lab's set-up fast: `ip
netns exec NS sysctl ...` would start two processes per namespace. /proc/sys/net shows the
network namespace of the process that looks it up, so after setns (via libc: Python 3.11
has no os.setns) the same paths reach the namespace just entered.

`labns.py batch DIR NAMESPACE...` runs `ip -batch DIR/NAMESPACE` inside each namespace
that has a file that is not empty, in order (`run_inside`).
"""
import contextlib
import ctypes
import os
import re
import subprocess
import sys

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/var/run/netns"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SYSCTL_KEY_RE = re.compile(r"^net(\.[A-Za-z0-9_-]+)+$")
SYSCTL_VALUE_RE = re.compile(r"^-?[0-9]+$")

_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd, what):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "setns(%s): %s" % (what, os.strerror(err)))


def _open_netns(name):
    if not NAME_RE.match(name):
        raise ValueError("%r is not a namespace name" % name)
    return os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)


def enter_netns(name):
    """Move this process (its only thread) into the named network namespace."""
    fd = _open_netns(name)
    try:
        _setns(fd, name)
    finally:
        os.close(fd)


@contextlib.contextmanager
def inside_netns(name):
    """Run the block with this thread inside the named namespace, then back in its own;
    yields the namespace's inode. Sockets and TUN devices opened in the block stay in the
    namespace they were opened in, wherever the thread goes afterwards."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        fd = _open_netns(name)
        try:
            inode = os.fstat(fd).st_ino
            _setns(fd, name)
            try:
                yield inode
            finally:
                _setns(home, "back from %s" % name)
        finally:
            os.close(fd)
    finally:
        os.close(home)


def run_inside(name, args, text=None):
    """Run `args` (fed `text`) in the named namespace: started from this thread while it is
    inside, the process is born there. `ip -n NS` and `ip netns exec NS` instead make and
    mount a namespace of their own in every process, which doubles what each costs; a
    256-node lab starts some 1,300 of them. Returns the CompletedProcess."""
    with inside_netns(name):
        return subprocess.run(args, input=text, capture_output=True, text=True)


def netns_inode(name):
    """The inode of the named namespace, or None once `ip netns del` removed the name."""
    try:
        return os.stat(os.path.join(NETNS_DIR, name)).st_ino
    except OSError:
        return None


def sysctl_path(key):
    """`net.ipv4.conf.eth0.rp_filter` → `/proc/sys/net/ipv4/conf/eth0/rp_filter` (parse_sysctl_lines checked it)."""
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


def apply_batches(directory, names):
    for name in names:
        path = os.path.join(directory, name)
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            continue
        done = run_inside(name, ["ip", "-batch", path])
        if done.returncode != 0:
            raise RuntimeError("%s: ip -batch %s failed: %s" % (name, path, (done.stderr or done.stdout).strip()))


USAGE = """usage: labns.py sysctl < lines of `NAMESPACE KEY VALUE`
       labns.py batch DIR NAMESPACE..."""


def main(argv):
    try:
        if len(argv) == 2 and argv[1] == "sysctl":
            apply_sysctls(parse_sysctl_lines(sys.stdin.read()))
        elif len(argv) >= 3 and argv[1] == "batch":
            apply_batches(argv[2], argv[3:])
        else:
            print(USAGE, file=sys.stderr)
            return 2
    except (OSError, ValueError, RuntimeError) as e:
        print("labns.py %s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
