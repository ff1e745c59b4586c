#!/usr/bin/env bash
# The PostgreSQL test harness (tests/pg/pg_cluster.sh, lib.sh pg_start) does
# what the PostgreSQL tests rely on: a real server on a Unix socket only,
# the roles they use, a restart that keeps the data, and no server left
# behind — after a normal end, after a failing test, and after a test killed
# with SIGKILL (the next start reaps it).
source "$(dirname "$0")/lib.sh"
PGC="$NV_SRC_DIR/tests/pg/pg_cluster.sh"

pg_start
check "the server answers on its socket in $PG_DIR" test "$(pgq 'select 1')" = 1
check_eq "it listens on no TCP address" "" "$(pgq 'show listen_addresses')"
check_eq "role nvault owns database nvault" "nvault nvault" \
  "$(pgq "select current_user, pg_get_userbyid(datdba) from pg_database where datname = current_database()" | tr '|' ' ')"
check_eq "role nvault is no superuser" f "$(pgq 'select rolsuper from pg_roles where rolname = current_user')"

pw_url="postgresql:///nvault?host=$PG_DIR&user=nvault_pw"
check "role nvault_pw is refused without its password" \
  bash -c '! psql -X -w -d "$1" -c "select 1" >/dev/null 2>&1' _ "$pw_url"
check_eq "role nvault_pw logs in with PGPASSWORD" nvault_pw \
  "$(PGPASSWORD=pw-secret-42 pgq 'select current_user' "$pw_url")"

url2=$(pg_newdb second_db)
check_eq "newdb: a second database, its locator printed" \
  "postgresql:///second_db?host=$PG_DIR&user=nvault" "$url2"
check_eq "newdb: it is empty" 0 "$(pgq "select count(*) from pg_tables where schemaname = 'public'" "$url2")"

pgq 'create table kept (x int); insert into kept values (42)' >/dev/null
check "restart (fast)" pg_restart fast
check_eq "the data survives a restart" 42 "$(pgq 'select x from kept')"
check "restart (immediate: a crash)" pg_restart immediate
check_eq "the data survives an immediate stop" 42 "$(pgq 'select x from kept')"

# a test that fails half-way stops its server in its cleanup
cat >"$T/failing.sh" <<EOF
source "$NV_SRC_DIR/tests/integration/lib.sh"
pg_start
echo "\$PG_DIR" >"$T/failing.dir"
pgq 'select 1' >/dev/null
false || exit 1
EOF
bash "$T/failing.sh" >/dev/null 2>&1
dir=$(cat "$T/failing.dir" 2>/dev/null)
check "a failing test had a server" test -n "$dir"
check "a failing test's server is gone with its directory" test ! -e "$dir"

# a test killed with SIGKILL leaves its server; the next start stops it
cat >"$T/killed.sh" <<EOF
source "$NV_SRC_DIR/tests/integration/lib.sh"
pg_start
echo "\$PG_DIR" >"$T/killed.dir"
exec sleep 1000000
EOF
bash "$T/killed.sh" >/dev/null 2>&1 &
killed_pid=$!
while [ ! -s "$T/killed.dir" ] && kill -0 $killed_pid 2>/dev/null; do sleep 0.1; done
dir=$(cat "$T/killed.dir" 2>/dev/null)
check "the killed test had a server" test -n "$dir" -a -f "$dir/data/postmaster.pid"
postmaster=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null)
kill -9 $killed_pid
wait $killed_pid 2>/dev/null
check "its server outlives a SIGKILL" kill -0 "$postmaster"
bash "$PGC" reap
check "reap removes the directory of a server whose owner is gone" test ! -e "$dir"
gone() { ! kill -0 "$1" 2>/dev/null || [ "$(ps -o stat= -p "$1" | cut -c1)" = Z ]; }
check "reap stops that server" gone "$postmaster"
check "reap leaves a live owner's server alone" test "$(pgq 'select 1')" = 1

# the unit tests' side (tests/unit/pg_harness.h) runs the same script with
# the test program as owner; a start without an owner is refused
check "start without --owner is refused" bash -c '! bash "$1" start >/dev/null 2>&1' _ "$PGC"

finish
