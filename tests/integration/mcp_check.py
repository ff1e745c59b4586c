#!/usr/bin/env python3
"""mcp_check.py: runs one MCP scenario file against the real `nvault mcp`.

Usage: mcp_check.py NVAULT SCENARIO.jsonl WORKDIR

A scenario is JSON Lines; each line is one step:
  {"send": MSG}            write MSG (a JSON-RPC message) as one line
  {"raw": "TEXT"}          write TEXT plus a newline as is (bad JSON, ...)
  {"big": N}               write a syntactically valid line of N bytes
  {"expect": PARTIAL,      read the next non-notification message; it must
   "assert": [EXPR...],     contain PARTIAL (recursive subset match; the
   "save": {NAME: EXPR}}    string "$any" matches anything) and every
                           python EXPR over r (the message), v (saved
                           values), notes (notifications so far) must hold.
  {"notes": [EXPR...]}     assertions over the notifications received
  {"config": OBJ}          write OBJ as the sync config file (before "start")
  {"fake": [ARGS...]}      start fake-notion with ARGS (before "start")
  {"control": [METHOD, PATH, BODY]}  call the fake's control endpoint
  {"start": [ARGS...]}     start `nvault mcp ARGS` (implicit before the first send)
  {"wait_note": EXPR}      read until a notification n satisfies EXPR
                           (replies read meanwhile are kept for "expect")
  {"peer": MSG, "expect": PARTIAL}  run a second `nvault mcp` process on
                           the same store, send it initialize and MSG (MSG
                           alone with "bare": true), match its reply
  {"poll": MSG, "until": EXPR}  send MSG (its id made unique) every 0.1 s
                           until EXPR holds for the reply r (TIMEOUT)
  {"pages": MSG, "each": [EXPR...], "assert": [EXPR...], "save": {...}}
                           a tools/call sent again with arguments.cursor =
                           the reply's nextCursor until it is null; "each"
                           holds for every reply r (rs: the pages before),
                           "assert" and "save" over all of them (rs)
  {"env": {NAME: VALUE}}   set environment variables for the server (before "start")
  {"sleep": SECONDS}
Strings in sent messages may contain ${NAME} for saved values; a string
that is just "${NAME}" of a saved number or list becomes that value. At the end
stdin is closed; the server must exit 0 without writing anything more, and
the token must appear in no output. Exit status 0 = every step passed.
"""
import ctypes
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request

NVAULT, SCENARIO, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
TOKEN = os.environ.get("NOTION_API_KEY", "")
TIMEOUT = float(os.environ.get("MCP_CHECK_TIMEOUT", "30"))

saved = {}
notes = []
proc = None
fake = None
fake_url = None
out_q = queue.Queue()
all_out = []
pending = []


def die_with_parent():
    """Children get SIGTERM if this checker dies (e.g. killed by a ctest timeout)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def fail(lineno, msg):
    print(f"{os.path.basename(SCENARIO)}:{lineno}: {msg}", file=sys.stderr)
    shutdown()
    sys.exit(1)


def subst(x):
    if isinstance(x, str) and re.fullmatch(r"\$\{(\w+)\}", x) and not isinstance(saved[x[2:-1]], str):
        return saved[x[2:-1]]  # "${n}" alone keeps the saved value's type (a number)
    if isinstance(x, str):
        return re.sub(r"\$\{(\w+)\}", lambda m: str(saved[m.group(1)]), x)
    if isinstance(x, list):
        return [subst(i) for i in x]
    if isinstance(x, dict):
        return {k: subst(v) for k, v in x.items()}
    return x


def matches(partial, actual):
    if partial == "$any":
        return actual is not None
    if isinstance(partial, dict):
        return isinstance(actual, dict) and all(
            k in actual and matches(v, actual[k]) for k, v in partial.items())
    if isinstance(partial, list):
        return isinstance(actual, list) and len(partial) == len(actual) and all(
            matches(p, a) for p, a in zip(partial, actual))
    if isinstance(partial, str) and partial.startswith("$contains:"):
        return isinstance(actual, str) and partial[10:] in actual
    return partial == actual and type(partial) == type(actual)


def reader(stream):
    for line in stream:
        all_out.append(line)
        out_q.put(line)
    out_q.put(None)


def start(args):
    global proc
    env = dict(os.environ)
    if fake_url:
        env["NOTION_API_BASE_URL"] = fake_url
    proc = subprocess.Popen([NVAULT, "mcp"] + args, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=open(os.path.join(WORK, "mcp.stderr"), "ab"),
                            env=env, text=True, bufsize=1, preexec_fn=die_with_parent)
    threading.Thread(target=reader, args=(proc.stdout,), daemon=True).start()


def next_message(lineno, want_note=None):
    if want_note is None and pending:
        return pending.pop(0)
    deadline = time.time() + TIMEOUT
    while True:
        left = deadline - time.time()
        if left <= 0:
            fail(lineno, "timed out waiting for a reply")
        try:
            line = out_q.get(timeout=left)
        except queue.Empty:
            fail(lineno, "timed out waiting for a reply")
        if line is None:
            fail(lineno, "server closed its output (exit %s)" % proc.poll())
        try:
            msg = json.loads(line)
        except ValueError:
            fail(lineno, "server wrote a line that is not JSON: %r" % line[:200])
        if isinstance(msg, dict) and "method" in msg and "id" not in msg:
            notes.append(msg)
            if want_note is not None and want_note(msg):
                return msg
            continue
        if want_note is not None:
            pending.append(msg)
            continue
        return msg


def control(method, path, body):
    req = urllib.request.Request(fake_url + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read() or b"null")


def shutdown():
    if proc and proc.poll() is None:
        proc.kill()
        proc.wait()
    if fake and fake.poll() is None:
        fake.terminate()
        fake.wait()


def run():
    global fake, fake_url
    with open(SCENARIO) as f:
        steps = [(i + 1, l) for i, l in enumerate(f) if l.strip() and not l.startswith("#")]
    for lineno, line in steps:
        try:
            step = json.loads(line)
        except ValueError as e:
            fail(lineno, "scenario line is not JSON: %s" % e)
        if proc is None and any(k in step for k in ("send", "raw", "big", "expect")):
            start([])
        if "config" in step:
            with open(os.environ["AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH"], "w") as cf:
                json.dump(step["config"], cf)
        elif "fake" in step:
            port_file = os.path.join(WORK, "fake.port")
            if os.path.exists(port_file):
                os.unlink(port_file)
            fake = subprocess.Popen([os.environ["FAKE_NOTION"], "--port", "0", "--port-file", port_file]
                                    + step["fake"], stdout=subprocess.DEVNULL,
                                    stderr=open(os.path.join(WORK, "fake.log"), "ab"),
                                    preexec_fn=die_with_parent)
            for _ in range(200):
                if os.path.exists(port_file) and os.path.getsize(port_file):
                    break
                time.sleep(0.05)
            else:
                fail(lineno, "fake-notion did not start")
            time.sleep(0.05)
            fake_url = "http://127.0.0.1:%s" % open(port_file).read().strip()
        elif "control" in step:
            m, p, b = step["control"]
            saved["control"] = control(m, subst(p), subst(b))
        elif "start" in step:
            start(step["start"])
        elif "send" in step:
            proc.stdin.write(json.dumps(subst(step["send"])) + "\n")
            proc.stdin.flush()
        elif "raw" in step:
            proc.stdin.write(subst(step["raw"]) + "\n")
            proc.stdin.flush()
        elif "big" in step:
            n = step["big"]
            proc.stdin.write('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + "x" * (n - 60) + '"}}\n')
            proc.stdin.flush()
        elif "peer" in step:
            env = dict(os.environ)
            if fake_url:
                env["NOTION_API_BASE_URL"] = fake_url
            msg = subst(step["peer"])
            lines = json.dumps(msg) + "\n"
            if not step.get("bare") and msg.get("method") != "initialize":
                # a session starts with initialize; "bare" sends the message alone
                lines = json.dumps({"jsonrpc": "2.0", "id": "peer-init", "method": "initialize",
                                    "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                               "clientInfo": {"name": "peer", "version": "1"}}}) + "\n" + lines
            res = subprocess.run([NVAULT, "mcp"], input=lines,
                                 capture_output=True, text=True, timeout=TIMEOUT, env=env)
            replies = [json.loads(l) for l in res.stdout.splitlines() if l.strip()]
            replies = [m for m in replies if "id" in m and m["id"] != "peer-init"]
            if res.returncode != 0 or len(replies) != 1 or not matches(subst(step["expect"]), replies[0]):
                fail(lineno, "peer reply does not match (exit %d)\n  expected: %s\n  got: %s" %
                     (res.returncode, json.dumps(step["expect"]), res.stdout[:3000]))
            if TOKEN and (TOKEN in res.stdout or TOKEN in res.stderr):
                fail(lineno, "the Notion token appeared in the peer's output")
        elif "expect" in step:
            r = next_message(lineno)
            if not matches(subst(step["expect"]), r):
                fail(lineno, "reply does not match\n  expected: %s\n  got:      %s" %
                     (json.dumps(step["expect"]), json.dumps(r)[:3000]))
            env = {"r": r, "v": saved, "notes": notes, "json": json}
            for expr in step.get("assert", []):
                try:
                    ok = eval(expr, env)
                except Exception as e:  # noqa: BLE001 - report any failure of the expression
                    ok = False
                    expr += " (raised %r)" % e
                if not ok:
                    fail(lineno, "assertion failed: %s\n  reply: %s" % (expr, json.dumps(r)[:3000]))
            for name, expr in step.get("save", {}).items():
                saved[name] = eval(expr, env)
        elif "notes" in step:
            env = {"v": saved, "notes": notes, "json": json}
            for expr in step["notes"]:
                if not eval(expr, env):
                    fail(lineno, "assertion failed: %s\n  notifications: %s" % (expr, json.dumps(notes)[:3000]))
        elif "poll" in step:
            deadline = time.time() + TIMEOUT
            n = 0
            while True:
                n += 1
                msg = subst(step["poll"])
                msg["id"] = "poll-%d-%d" % (lineno, n)
                proc.stdin.write(json.dumps(msg) + "\n")
                proc.stdin.flush()
                r = next_message(lineno)
                if r.get("id") != msg["id"]:
                    fail(lineno, "unexpected reply while polling: %s" % json.dumps(r)[:2000])
                if eval(step["until"], {"r": r, "v": saved, "json": json}):
                    break
                if time.time() > deadline:
                    fail(lineno, "condition never held: %s\n  last reply: %s" % (step["until"], json.dumps(r)[:2000]))
                time.sleep(0.1)
        elif "pages" in step:
            # a paged call: sends it again with cursor = the last nextCursor until that is null
            replies, cursor = [], None
            while True:
                msg = subst(step["pages"])
                msg["id"] = "pages-%d-%d" % (lineno, len(replies))
                if cursor:
                    msg["params"]["arguments"]["cursor"] = cursor
                proc.stdin.write(json.dumps(msg) + "\n")
                proc.stdin.flush()
                r = next_message(lineno)
                if r.get("id") != msg["id"] or r.get("result", {}).get("isError"):
                    fail(lineno, "page %d failed: %s" % (len(replies) + 1, json.dumps(r)[:3000]))
                env = {"r": r, "rs": replies, "v": saved, "json": json}
                for expr in step.get("each", []):
                    if not eval(expr, env):
                        fail(lineno, "page %d: assertion failed: %s\n  reply: %s" %
                             (len(replies) + 1, expr, json.dumps(r)[:3000]))
                replies.append(r)
                cursor = r["result"]["structuredContent"].get("nextCursor")
                if not cursor:
                    break
                if len(replies) >= 100:
                    fail(lineno, "more than 100 pages")
            env = {"rs": replies, "v": saved, "json": json}
            for expr in step.get("assert", []):
                if not eval(expr, env):
                    fail(lineno, "assertion failed over %d pages: %s" % (len(replies), expr))
            for name, expr in step.get("save", {}).items():
                saved[name] = eval(expr, env)
        elif "wait_note" in step:
            expr = step["wait_note"]
            next_message(lineno, lambda n: eval(expr, {"n": n, "v": saved, "json": json}))
        elif "env" in step:
            os.environ.update({k: str(val) for k, val in step["env"].items()})
        elif "sleep" in step:
            time.sleep(step["sleep"])
        else:
            fail(lineno, "unknown step %s" % list(step))
    if proc is None:
        start([])
    proc.stdin.close()
    try:
        rc = proc.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        fail(len(steps), "server did not exit after its input closed")
    time.sleep(0.05)
    extra = [json.dumps(p) + "\n" for p in pending]
    while True:
        try:
            line = out_q.get_nowait()
        except queue.Empty:
            break
        if line is None:
            break
        msg = json.loads(line)
        if "method" in msg and "id" not in msg:
            continue
        extra.append(line)
    if extra:
        fail(len(steps), "unexpected extra output: %s" % "".join(extra)[:2000])
    if rc != 0:
        fail(len(steps), "server exited with %d" % rc)
    if TOKEN and (any(TOKEN in l for l in all_out) or
                  TOKEN in open(os.path.join(WORK, "mcp.stderr"), errors="replace").read()):
        fail(len(steps), "the Notion token appeared in the output")
    shutdown()


try:
    run()
finally:
    shutdown()
print("ok %s" % os.path.basename(SCENARIO))
