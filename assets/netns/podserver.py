#!/usr/bin/env python3
"""The workload of a netns lab pod: what nginx on port 80 is in the kind lab.

`podserver.py serve --netns NS --ip IP --name POD --pid-file FILE --ready-file FILE [--port 80]`
  enters the pod's namespace, serves HTTP (the standard library's http.server) bound to
  the pod address, and answers every GET with one line naming the pod. Started detached
  (setsid, stdin /dev/null, output to a log file) by capture.sh when the server pod has no
  server yet; capture.sh records the PID in the pid file at spawn, the server writes the
  ready file once the socket listens. SIGTERM exits; so does the loss of its namespace.

`podserver.py get --netns NS --url URL [--timeout 5]`
  the client side when curl is absent: one GET from inside the pod's namespace; prints
  the status code and body, exits 0 on 200.
"""
import argparse
import http.server
import os
import signal
import socketserver
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True  # keep assets/ free of __pycache__
import labns  # noqa: E402


def make_handler(name, ip):
    body = ("%s %s\n" % (name, ip)).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = "netns-lab-pod/1"

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()

        def log_message(self, fmt, *args):
            sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))
            sys.stderr.flush()

    return Handler


class PodHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self):
        # HTTPServer.server_bind resolves the bound address with socket.getfqdn: a DNS
        # query a pod namespace has no route for (it would wait for the resolver's
        # timeout). The lab needs no server name, so bind without it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def serve(args):
    if not labns.wait_until_recorded(args.pid_file):
        print("not the recorded server of %s (an interrupted or superseded start): exiting" % args.netns, file=sys.stderr)
        return 0
    labns.enter_netns(args.netns)
    server = PodHTTPServer((args.ip, args.port), make_handler(args.name, args.ip))
    if not labns.still_in_netns(args.netns):
        print("namespace %s was deleted or re-created while starting" % args.netns, file=sys.stderr)
        return 1
    labns.write_ready_file(args.ready_file)
    print("listening on %s:%d in %s" % (args.ip, args.port, args.netns), file=sys.stderr, flush=True)
    watchdog = threading.Thread(target=exit_when_netns_gone, args=(server, args.netns, args.pid_file), daemon=True)
    watchdog.start()
    try:
        server.serve_forever()
    finally:
        labns.remove_ready_file(args.ready_file)
    return 0


def exit_when_netns_gone(server, netns, pid_file):
    while labns.still_in_netns(netns) and labns.recorded_pid(pid_file) == os.getpid():
        time.sleep(1)
    print("namespace %s is gone or another server was recorded: exiting" % netns, file=sys.stderr, flush=True)
    server.shutdown()


def get(args):
    labns.enter_netns(args.netns)
    try:
        with urllib.request.urlopen(args.url, timeout=args.timeout) as r:
            print(r.status, r.read().decode(errors="replace").strip())
            return 0 if r.status == 200 else 1
    except OSError as e:
        print("GET %s failed: %s" % (args.url, e))
        return 1


def main(argv):
    p = argparse.ArgumentParser(description="netns lab pod workload (see the module docstring)")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--netns", required=True)
    s.add_argument("--ip", required=True)
    s.add_argument("--port", type=int, default=80)
    s.add_argument("--name", required=True)
    s.add_argument("--pid-file", required=True, help="where the launcher recorded this PID (identifies the server)")
    s.add_argument("--ready-file", required=True, help="written with the PID once listening")
    g = sub.add_parser("get")
    g.add_argument("--netns", required=True)
    g.add_argument("--url", required=True)
    g.add_argument("--timeout", type=float, default=5.0)
    args = p.parse_args(argv[1:])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    return serve(args) if args.cmd == "serve" else get(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
