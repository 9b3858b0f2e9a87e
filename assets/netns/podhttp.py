#!/usr/bin/env python3
"""The server pod's HTTP server: Python's http.server serving one folder on port 80, less
the name lookup HTTPServer.server_bind makes (socket.getfqdn, which may ask DNS from a
namespace that must send nothing outside the lab). Prints "Serving HTTP" once it listens.

Usage: podhttp.py FOLDER
"""
import functools
import http.server
import socketserver
import sys


class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "pod", self.server_address[1]


if __name__ == "__main__":
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
    with Server(("0.0.0.0", 80), handler) as server:
        print("Serving HTTP on port 80", flush=True)
        server.serve_forever()
