# test_token_exposure.sh: issue 15 #11. An http:// base URL to a host that is
# not loopback is refused before anything is sent (a listener on this host's
# own non-loopback address sees no connection), with a clear message and no
# token in any output; NVAULT_ALLOW_INSECURE_HTTP=1 allows it (and then the
# listener does see the connection, so the check above can fail). A process
# holding the token writes no core dump (RLIMIT_CORE 0), whether it came
# from NOTION_API_KEY or a database's tokenEnv variable.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sync_lib.sh"

default_config
ADDR=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$' | grep -v '^127\.' | head -1)
[ -n "$ADDR" ] || { echo "this host has no non-loopback IPv4 address for the listener" >&2; exit 1; }
python3 - "$T/listen.port" "$T/listen.log" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("0.0.0.0", 0)); s.listen(5)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    data = c.recv(65536)
    with open(sys.argv[2], "ab") as f:
        f.write(b"CONNECTION\n" + data + b"\n")
    c.close()
PY
LISTENER=$!
trap 'kill $LISTENER 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 100); do [ -s "$T/listen.port" ] && break; sleep 0.05; done
PORT=$(cat "$T/listen.port")

export NOTION_API_BASE_URL="http://$ADDR:$PORT"
rc=0; nv sync >"$T/out" 2>"$T/err" || rc=$?
check_eq "http:// to $ADDR is refused as a configuration error" 2 "$rc"
check "the message says why and how to allow it" \
  grep -q "refusing to send the Notion token in clear text.*NVAULT_ALLOW_INSECURE_HTTP=1" "$T/err"
check "no token in the output" bash -c "! grep -q '$NOTION_API_KEY' '$T/out' '$T/err'"
check "nothing reached the listener" test ! -s "$T/listen.log"
for url in "http://user@$ADDR:$PORT" "http://127.0.0.1.$ADDR:$PORT" "http://localhost.example:$PORT"; do
  rc=0; NOTION_API_BASE_URL=$url nv sync >/dev/null 2>"$T/err" || rc=$?
  check_eq "refused: $url" 2 "$rc"
done
check "still nothing reached the listener" test ! -s "$T/listen.log"

NVAULT_ALLOW_INSECURE_HTTP=1 nv sync >"$T/out" 2>"$T/err"
for _ in $(seq 1 100); do [ -s "$T/listen.log" ] && break; sleep 0.05; done
check "with NVAULT_ALLOW_INSECURE_HTTP=1 the request is sent" grep -q "CONNECTION" "$T/listen.log"

# ---- core dumps: a sync holding the token has RLIMIT_CORE 0 ----------------------------
fake_start --rows 20 --seed 2
ctl POST /_control/faults "{\"count\": 1, \"kind\": \"stall\", \"stall_ms\": 20000, \"match\": \"/v1/data_sources\"}" >/dev/null
(ulimit -c unlimited; exec "$NVAULT" sync) >/dev/null 2>&1 &
BG=$!
for _ in $(seq 1 200); do
  ctl GET /_control/log | grep -q "/v1/data_sources" && break
  sleep 0.05
done
check_eq "a syncing process may not dump core" "0 0" \
  "$(awk '/Max core file size/ {print $5, $6}' "/proc/$BG/limits")"
kill -TERM $BG; wait $BG

# the same with the token in a database's tokenEnv variable and NOTION_API_KEY unset
python3 - "$AGENT_MEMORY_NOTION_SYNC_CONFIG_PATH" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["databases"][0]["tokenEnv"] = "NV_TEST_OTHER_TOKEN"
json.dump(c, open(sys.argv[1], "w"))
PY
ctl POST /_control/faults "{\"count\": 1, \"kind\": \"stall\", \"stall_ms\": 20000, \"match\": \"/v1/data_sources\"}" >/dev/null
LOGGED=$(ctl GET /_control/log | grep -o "/v1/data_sources" | wc -l)
(unset NOTION_API_KEY; export NV_TEST_OTHER_TOKEN=ntn_other_token_0123456789; ulimit -c unlimited
 exec "$NVAULT" sync) >/dev/null 2>"$T/tokenenv.err" &
BG=$!
for _ in $(seq 1 200); do
  [ "$(ctl GET /_control/log | grep -o "/v1/data_sources" | wc -l)" -gt "$LOGGED" ] && break
  sleep 0.05
done
check_eq "a process holding only a tokenEnv token may not dump core either" "0 0" \
  "$(awk '/Max core file size/ {print $5, $6}' "/proc/$BG/limits")"
kill -TERM $BG; wait $BG
finish
