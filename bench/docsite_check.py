#!/usr/bin/env python3
"""Reference link walk for bench/docsite_check.sh: the pages a browser-conformant walk reaches.

Walks a static site on disk from a seed page, the way a browser resolves links: <a>/<area> href and
<frame>/<iframe> src, against <base href> or the page URL (urllib.parse.urljoin, RFC 3986), fragments
dropped, same scheme+host+port only, http(s) only. A target whose file is missing is expected as a 404.
Prints one line per URL: URL <TAB> expected status <TAB> expected size in bytes.
Usage: docsite_check.py ROOT_DIR ORIGIN SEED_PATH     e.g. /usr/share/doc/valgrind/html http://127.0.0.1:18091 /index.html
"""
import html.parser
import os
import sys
import urllib.parse


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.base = None
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "base" and self.base is None and a.get("href"):
            self.base = a["href"].strip()
        elif tag in ("a", "area") and a.get("href") is not None:
            self.hrefs.append(a["href"].strip())
        elif tag in ("frame", "iframe") and a.get("src") is not None:
            self.hrefs.append(a["src"].strip())


def main(root, origin, seed):
    start = origin + seed
    seen, queue, out = {start}, [start], {}
    while queue:
        url = queue.pop(0)
        path = urllib.parse.unquote(urllib.parse.urlsplit(url).path)
        fs = os.path.join(root, path.lstrip("/"))
        if os.path.isdir(fs):
            fs = os.path.join(fs, "index.html")
        if not os.path.isfile(fs):
            out[url] = (404, None)
            continue
        data = open(fs, "rb").read()
        out[url] = (200, len(data))
        if not fs.endswith((".html", ".htm")):
            continue
        p = Links()
        p.feed(data.decode("utf-8", "replace"))
        base = urllib.parse.urljoin(url, p.base) if p.base else url
        for href in p.hrefs:
            target = urllib.parse.urldefrag(urllib.parse.urljoin(base, href))[0]
            parts = urllib.parse.urlsplit(target)
            if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != origin:
                continue
            if target not in seen:
                seen.add(target)
                queue.append(target)
    for url in sorted(out):
        status, size = out[url]
        print(f"{url}\t{status}\t{size if size is not None else ''}")


if __name__ == "__main__":
    main(*sys.argv[1:4])
