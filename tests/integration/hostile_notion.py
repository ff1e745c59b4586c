#!/usr/bin/env python3
"""hostile_notion.py: a small hostile Notion server for issue 15's tests.

It forwards every request to the real fake Notion server (UPSTREAM) and
poisons the successful answers of data source / database queries the way
the issue's audit saw real and hostile servers do. What it does is read
from MODE_FILE on every request (so a test changes it between runs):

    <mode> [<page id>]

Row modes poison the row with that page id wherever it appears:
  nul        its title text contains \\u0000
  surrogate  its title ends in a lone UTF-16 surrogate (\\ud83d)
  badutf8    its title contains a raw 0xff byte
  bignum     it carries a number beyond 1e308
  bigint     it carries an integer beyond 2^63
  deep       it carries an array nested 3,000 deep (unreadable JSON)
  future     its last_edited_time is ten years ahead
Listing modes poison every query answer:
  nohasmore  has_more removed
  strhasmore has_more is the string "true"
  cursorlie  has_more false with a next_cursor
  noresults  the results member is missing
  none       pass everything through

Usage: hostile_notion.py UPSTREAM MODE_FILE PORT_FILE
"""
import http.server
import json
import re
import sys
import urllib.error
import urllib.request

UPSTREAM, MODE_FILE, PORT_FILE = sys.argv[1:4]
MARK = "@@POISON@@"


def mode():
    try:
        parts = open(MODE_FILE).read().split()
    except OSError:
        return "none", None
    return (parts[0] if parts else "none"), (parts[1] if len(parts) > 1 else None)


def title_key(props):
    for k, v in props.items():
        if isinstance(v, dict) and v.get("type") == "title":
            return k
    return None


def poison(body, m, target):
    doc = json.loads(body)
    raw = None
    if m in ("nohasmore", "strhasmore", "cursorlie", "noresults"):
        if m == "nohasmore":
            doc.pop("has_more", None)
        elif m == "strhasmore":
            doc["has_more"] = "true" if doc.get("has_more") else "false"
        elif m == "cursorlie":
            doc["has_more"] = False
            doc["next_cursor"] = doc.get("next_cursor") or "ffffffff-0000-4000-8000-000000000000"
        else:
            doc.pop("results", None)
        return json.dumps(doc).encode()
    for row in doc.get("results", []):
        if row.get("id") != target:
            continue
        if m == "future":
            row["last_edited_time"] = "2036-01-01T00:00:00.000Z"
            continue
        props = row.get("properties", {})
        tk = title_key(props)
        if m in ("nul", "surrogate", "badutf8") and tk and props[tk].get("title"):
            props[tk]["title"][0]["plain_text"] = MARK
            props[tk]["title"][0].get("text", {})["content"] = MARK
            raw = {"nul": b'"poisoned \\u0000 title"', "surrogate": b'"cut emoji \\ud83d"',
                   "badutf8": b'"bad \xff byte"'}[m]
        elif m in ("bignum", "bigint", "deep"):
            row["nvault_test_value"] = MARK
            raw = {"bignum": b"1e400", "bigint": b"123456789012345678901234567890",
                   "deep": b"[" * 3000 + b"]" * 3000}[m]
    out = json.dumps(doc, ensure_ascii=False).encode()
    if raw is not None:
        out = out.replace(('"%s"' % MARK).encode(), raw)
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def forward(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n) if n else None
        req = urllib.request.Request(UPSTREAM + self.path, data=data, method=self.command)
        for k in ("Authorization", "Notion-Version", "Content-Type", "Accept"):
            if self.headers.get(k):
                req.add_header(k, self.headers[k])
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, body, ctype = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read(), e.headers.get("Content-Type")
        m, target = mode()
        if status == 200 and re.search(r"/query", self.path) and m != "none":
            body = poison(body, m, target)
        self.send_response(status)
        self.send_header("Content-Type", ctype or "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = forward
    do_POST = forward
    do_PATCH = forward
    do_DELETE = forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
