#!/usr/bin/env python3
"""An endless generated site on 127.0.0.1 for trap and memory benchmarks: every page links to 20 new pages,
to a deeper copy of itself and to 20 query variants of one calendar path. Usage: endless_site.py PORT"""
import http.server
import itertools
import sys
import threading

counter = itertools.count()
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        with lock:
            n = [next(counter) for _ in range(40)]
        links = "".join("<a href='/p/%d'>p</a>" % i for i in n[:20])
        links += "".join("<a href='/cal?day=%d'>c</a>" % i for i in n[20:])
        links += "<a href='%s/a/b'>deeper</a>" % self.path.split("?")[0].rstrip("/")
        body = ("<title>page %s</title>%s" % (n[0], links)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
