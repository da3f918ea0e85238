#!/usr/bin/env python3
"""A site on 127.0.0.1 whose robots.txt names a sitemap index of CHILDREN gzip sitemaps of PER_CHILD URLs
each, for bench/sitemap.sh. MODE "crawl": the URLs are this site's pages (small HTML, all served);
MODE "read": they are on another host (out of scope: nothing is fetched, only the sitemaps are read).
Usage: sitemap_site.py PORT CHILDREN PER_CHILD MODE"""
import gzip
import http.server
import sys

port, children, per_child, mode = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = "http://127.0.0.1:%d" % port
page_host = base if mode == "crawl" else "http://out-of-scope.invalid"

files = {"/robots.txt": (b"User-agent: *\nSitemap: %s/sitemap_index.xml\n" % base.encode(), "text/plain")}
index = ['<?xml version="1.0" encoding="UTF-8"?>',
         '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
for c in range(children):
    index.append("<sitemap><loc>%s/sitemaps/s%d.xml.gz</loc><lastmod>2026-12-01</lastmod></sitemap>" % (base, c))
    urls = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for i in range(per_child):
        urls.append("<url><loc>%s/p/%d/%d.html</loc><lastmod>2026-11-%02d</lastmod></url>"
                    % (page_host, c, i, 1 + i % 28))
    urls.append("</urlset>\n")
    files["/sitemaps/s%d.xml.gz" % c] = (gzip.compress("\n".join(urls).encode(), 6), "application/gzip")
index.append("</sitemapindex>\n")
files["/sitemap_index.xml"] = ("\n".join(index).encode(), "application/xml")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path in files:
            body, ctype = files[self.path]
        elif self.path.startswith("/p/"):
            body, ctype = b"<title>%s</title><p>a page</p>" % self.path.encode(), "text/html"
        else:
            body, ctype = b"not found", "text/plain"
            self.send_response(404)
        if self.path in files or self.path.startswith("/p/"):
            self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
