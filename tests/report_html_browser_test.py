#!/usr/bin/env python3
"""The HTML report in a real browser: headless Chromium driven over the DevTools protocol.

Crawls a small local site twice with the real greencrawl binary (then a run where every URL fails and
an empty run), writes each run's report with `report --html`, opens each page in Chromium and checks:
the page loads with no console error, no exception, no dialog and no network request (only the file
itself); the headline numbers in the DOM are `report --json`'s; every chart is an <svg> with a
non-empty bounding box; hostile titles are text; the CSP hash matches the inline script; sorting works.

Usage: report_html_browser_test.py GREENCRAWL [--screenshot PNG] [--keep DIR]
Exit 0 on success, 1 on failure, 77 (ctest's skip code) when Chromium is missing or cannot start.
"""

import argparse
import base64
import fcntl
import hashlib
import html
import http.server
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time

SKIP = 77
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


# ---- a small site that changes between two crawls ----

class Site:
    version = 1
    hostile = "</title><script>alert(1)</script>\"' </svg><b>bold?</b>"

    @classmethod
    def page(cls, path):
        """(status, headers, body) for a path; every page links to the next ones and to /missing."""
        v = cls.version
        if path == "/redirect":
            return 301, {"Location": "/p1"}, b""
        if path == "/missing" or (v == 2 and path == "/p4"):
            return 404, {}, b"<title>Not found</title>"
        if path == "/hostile":
            # Escaped here, so that the page's title (what greencrawl stores) is the hostile text itself.
            title = html.escape(cls.hostile)
            return 200, {}, ("<html><head><title>%s</title></head><body>x</body></html>" % title).encode()
        if path == "/big":
            return 200, {}, b"<title>Big</title>" + b"x" * (200_000 if v == 1 else 260_000)
        m = re.fullmatch(r"/p(\d+)", path)
        if path == "/" or m:
            n = int(m.group(1)) if m else 0
            if n > 12 and not (v == 2 and n == 13):
                return 404, {}, b"<title>Not found</title>"
            if n == 5:
                time.sleep(0.2)
            title = "Page %d" % n if not (v == 2 and n == 3) else "Page three, renamed"
            links = "".join('<a href="/p%d">p%d</a>' % (k, k) for k in range(n + 1, min(n + 4, 14)))
            body = "<html><head><title>%s</title></head><body>%s%s<a href=\"/missing\">gone</a>" \
                   "<a href=\"/hostile\">h</a><a href=\"/big\">b</a><a href=\"/redirect\">r</a></body></html>" % (
                       title, "p" * (n * 300), links)
            return 200, {}, body.encode()
        return 404, {}, b"<title>Not found</title>"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status, headers, body = Site.page(self.path)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def run(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120, **kw)
    if r.returncode != 0:
        sys.stderr.write("%s -> %d\n%s\n" % (" ".join(cmd), r.returncode, r.stderr.decode(errors="replace")[-2000:]))
    return r


# ---- Chromium over --remote-debugging-pipe (fd 3: commands in, fd 4: replies out, NUL-separated) ----

class Browser:
    def __init__(self, exe, profile):
        cmd_r, self.cmd_w = os.pipe()
        self.resp_r, resp_w = os.pipe()

        def fds():  # in the child: the pipe ends at 3 and 4, moved out of the way first in case they are 3 or 4
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(resp_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-dev-shm-usage",
             "--remote-debugging-pipe", "--user-data-dir=" + profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=fds,
            pass_fds=(3, 4))
        os.close(cmd_r)
        os.close(resp_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self.read(deadline)
            if m is None:
                raise TimeoutError(method)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.resp_r], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.resp_r, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def wait_event(self, method, session, timeout=30):
        deadline = time.time() + timeout
        for i, e in enumerate(self.events):
            if e.get("method") == method and e.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            m = self.read(deadline)
            if m is None:
                raise TimeoutError(method)
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)

    def close(self):
        try:
            self.send("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.resp_r)


PROBE = r"""
(() => {
  const out = {headline: {}, charts: [], title: document.title, text: document.body.innerText,
               scripts: [...document.scripts].map(s => s.textContent),
               csp: (document.querySelector('meta[http-equiv="Content-Security-Policy"]') || {}).content || ''};
  for (const c of document.querySelectorAll('[data-key]')) out.headline[c.dataset.key] = c.dataset.value;
  for (const s of document.querySelectorAll('svg')) {
    const r = s.getBoundingClientRect(), vb = s.viewBox.baseVal, g = s.getBBox();
    out.charts.push({id: (s.closest('figure') || {}).id || '', width: r.width, height: r.height,
                     vb_width: vb ? vb.width : 0, vb_height: vb ? vb.height : 0, drawn_width: g.width,
                     drawn_height: g.height, title: (s.querySelector('title') || {}).textContent || ''});
  }
  out.figures = document.querySelectorAll('figure.chart-card').length;
  // Sorting: the slowest table by time, ascending then descending.
  const th = [...document.querySelectorAll('#slowest th')].find(h => h.dataset.type === 'num');
  const column = () => [...document.querySelectorAll('#slowest tbody tr')].map(r => parseFloat(r.cells[3].dataset.sort));
  if (th) { th.click(); out.sorted_up = column(); th.click(); out.sorted_down = column(); }
  return JSON.stringify(out);
})()
"""


def open_page(browser, path, screenshot=None):
    """Loads file://path in a fresh tab; returns (probe result, problems seen while loading)."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    for domain in ("Runtime", "Log", "Network", "Page"):
        browser.send(domain + ".enable", session=session)
    if screenshot:
        browser.send("Emulation.setDeviceMetricsOverride",
                     {"width": 1200, "height": 1000, "deviceScaleFactor": 1, "mobile": False}, session=session)
    browser.events.clear()
    url = "file://" + os.path.abspath(path)
    browser.send("Page.navigate", {"url": url}, session=session)
    browser.wait_event("Page.loadEventFired", session)
    value = browser.send("Runtime.evaluate", {"expression": PROBE, "returnByValue": True}, session=session)
    probe = json.loads(value["result"]["value"])
    if screenshot:
        shot = browser.send("Page.captureScreenshot", {"format": "png"}, session=session)
        with open(screenshot, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
    browser.send("Runtime.evaluate", {"expression": "1", "returnByValue": True}, session=session)  # drain events
    problems = []
    for e in browser.events:
        if e.get("sessionId") != session:
            continue
        m, p = e.get("method"), e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            problems.append("console %s: %s" % (p["type"], [a.get("value") for a in p.get("args", [])]))
        elif m == "Runtime.exceptionThrown":
            problems.append("exception: %s" % p.get("exceptionDetails", {}).get("text"))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            problems.append("log: %s" % p["entry"].get("text"))
        elif m == "Page.javascriptDialogOpening":
            problems.append("dialog: %s" % p.get("message"))
        elif m == "Network.requestWillBeSent" and p.get("request", {}).get("url") != url:
            problems.append("network request: %s" % p["request"]["url"])
    browser.send("Target.closeTarget", {"targetId": target})
    return probe, problems


def check_report(browser, gc, db, run_id, out_dir, expect_charts, screenshot=None):
    page = os.path.join(out_dir, "run-%d.html" % run_id)
    r = run([gc, "report", "--db", db, "--run", str(run_id), "--html", "-o", page])
    check(r.returncode == 0, "report --html run %d: %s" % (run_id, r.stderr.decode()))
    js = json.loads(run([gc, "report", "--db", db, "--run", str(run_id), "--json"]).stdout)
    probe, problems = open_page(browser, page, screenshot)
    name = "run %d" % run_id
    check(not problems, "%s: loading the page: %s" % (name, problems))
    headline = js["headline"]
    check(len(probe["headline"]) == 12, "%s: 12 headline numbers, got %s" % (name, probe["headline"]))
    for key, dom in probe["headline"].items():
        want = headline[key]
        got = None if dom == "null" else float(dom)
        check(got == want, "%s: headline %s is %s in the page, %s in report --json" % (name, key, dom, want))
    for key in ("results", "ok", "errors"):
        check(float(probe["headline"][key]) == js["run"][key], "%s: %s differs from report --json's run" % (name, key))
    check(len(probe["charts"]) == expect_charts, "%s: %d charts, expected %d" % (name, len(probe["charts"]), expect_charts))
    check(probe["figures"] == expect_charts, "%s: every chart figure holds an svg" % name)
    for c in probe["charts"]:
        check(c["width"] > 100 and c["height"] > 30, "%s: chart %s is %sx%s" % (name, c["id"], c["width"], c["height"]))
        # Laid out as drawn: a real viewBox, the box in its proportions, and something drawn inside.
        check(c["vb_width"] > 0 and c["vb_height"] > 0, "%s: chart %s has a viewBox" % (name, c["id"]))
        if c["vb_height"] > 0 and c["height"] > 0:
            ratio = (c["width"] / c["height"]) / (c["vb_width"] / c["vb_height"])
            check(abs(ratio - 1) < 0.02, "%s: chart %s keeps its proportions (%.3f)" % (name, c["id"], ratio))
        check(c["drawn_width"] > 50 and c["drawn_height"] > 10, "%s: chart %s draws %sx%s" % (
            name, c["id"], c["drawn_width"], c["drawn_height"]))
        check(c["title"].strip() != "", "%s: chart %s has no <title>" % (name, c["id"]))
    check(len(probe["scripts"]) == 1, "%s: one script" % name)
    digest = base64.b64encode(hashlib.sha256(probe["scripts"][0].encode()).digest()).decode()
    check("'sha256-%s'" % digest in probe["csp"], "%s: the CSP allows the script by its hash (%s)" % (name, digest))
    check("default-src 'none'" in probe["csp"], "%s: the CSP forbids fetches" % name)
    if probe.get("sorted_up"):
        check(probe["sorted_up"] == sorted(probe["sorted_up"]), "%s: sorted ascending" % name)
        check(probe["sorted_down"] == sorted(probe["sorted_down"], reverse=True), "%s: sorted descending" % name)
    return probe, js


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("greencrawl")
    ap.add_argument("--screenshot")
    ap.add_argument("--keep")
    args = ap.parse_args()
    exe = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not exe:
        print("report_html_browser_test: skipped: no chromium on PATH (scripts/bootstrap --test installs it)")
        return SKIP
    gc = os.path.abspath(args.greencrawl)
    work = args.keep or tempfile.mkdtemp(prefix="greencrawl-browser-")
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "site.db")
    for f in (db, db + "-wal", db + "-shm"):
        if os.path.exists(f):
            os.remove(f)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = "http://127.0.0.1:%d" % server.server_address[1]
        lists = {"site.txt": "%s/\n%s/p5\n%s/redirect\n" % (base, base, base),
                 "dead.txt": "http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b\nnot a url\n",
                 "empty.txt": "# nothing\n"}
        for name, text in lists.items():
            with open(os.path.join(work, name), "w") as f:
                f.write(text)
        # Retries on: a loaded machine can reset a connection to the little Python server, and a transient
        # failure must not become a "status change" between the two runs.
        plain = [gc, "crawl", "--db", db, "--quiet", "--retries", "3", "--timeout", "30"]
        crawl = plain + ["--depth", "3"]
        check(run(crawl + [os.path.join(work, "site.txt")]).returncode == 0, "crawl 1")
        Site.version = 2
        check(run(crawl + [os.path.join(work, "site.txt")]).returncode == 0, "crawl 2")
        check(run(plain + [os.path.join(work, "dead.txt")]).returncode == 0, "crawl 3 (all fail)")
        check(run(crawl + [os.path.join(work, "empty.txt")]).returncode == 0, "crawl 4 (empty)")
        server.shutdown()
        server.server_close()  # nothing listens any more: a request from a page could only fail

        profile = tempfile.mkdtemp(prefix="greencrawl-chromium-")
        try:
            browser = Browser(exe, profile)
            browser.send("Browser.getVersion", timeout=60)
        except Exception as e:  # noqa: BLE001 - any failure to start means "cannot run here"
            err = browser.proc.stderr.read(4000).decode(errors="replace") if "browser" in locals() else ""
            print("report_html_browser_test: skipped: chromium cannot run here: %r %s" % (e, err))
            return SKIP
        try:
            p2, js2 = check_report(browser, gc, db, 2, work, 5, args.screenshot)
            check(js2["headline"]["previous_run"] == 1, "run 2 compares with run 1")
            check("Page three, renamed" in p2["text"], "run 2: the changed title is listed")
            check(Site.hostile in p2["text"], "run 2: the hostile title is shown as text")
            # p4 became 404, p13 appeared: the chips count what `greencrawl diff 1 2` lists.
            changes = re.search(r"status\s+(\d+)\b", p2["text"])
            if not check(changes is not None and changes.group(1) == "2", "run 2: two status changes"):
                # Say which, so that a failure on a loaded CI machine can be told from a flaky server.
                print("  the report says: %s" % (changes.group(0) if changes else "no status chip"), file=sys.stderr)
                print(run([gc, "diff", "--db", db, "1", "2"]).stdout.decode(errors="replace")[-3000:], file=sys.stderr)
            p1, _ = check_report(browser, gc, db, 1, work, 5)
            check("No earlier completed run" in p1["text"], "run 1: no previous run")
            check_report(browser, gc, db, 3, work, 3)  # outcomes, time, throughput: nothing has a size
            p4, js4 = check_report(browser, gc, db, 4, work, 0)
            check(js4["headline"]["results"] == 0, "run 4 is empty")
            check("nothing to chart" in p4["text"], "run 4: says there is nothing to chart")
        finally:
            browser.close()
            shutil.rmtree(profile, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("report_html_browser_test: %d failure(s)" % len(failures))
        return 1
    print("report_html_browser_test: 4 reports rendered in %s, all checks passed" % exe)
    return 0


if __name__ == "__main__":
    sys.exit(main())
