#!/usr/bin/env bash
# pg_cluster.sh: a throwaway PostgreSQL server for the tests (Debian package
# `postgresql`). It listens on a Unix socket in its own directory only (no
# TCP port), trusts local connections, and is removed by `stop`.
#
#   pg_cluster.sh start --owner PID   start a cluster; prints shell assignments:
#                                       NV_PG_DIR=/tmp/nvault-pg.XXXXXX
#                                       NV_PG_URL='postgresql:///nvault?host=...&user=nvault'
#   pg_cluster.sh stop DIR            stop it (immediately) and remove DIR
#   pg_cluster.sh restart DIR [fast|immediate]   stop and start again, same data
#   pg_cluster.sh newdb DIR NAME      a new empty database NAME owned by role
#                                     nvault; prints its locator
#   pg_cluster.sh psql DIR [ARGS...]  psql as the cluster's superuser
#   pg_cluster.sh reap                stop the clusters whose owner is gone
#
# Roles: `postgres` (superuser), `nvault` (owns database `nvault`, logs in
# without a password) and `nvault_pw` (must give the password `pw-secret-42`,
# scram-sha-256), for the tests of password sources.
#
# The owner is the process the cluster belongs to (the test's shell, or the
# unit test program): `start` first stops every cluster whose owner no longer
# runs, so a test killed before its cleanup leaves nothing running for long.
#
# PostgreSQL refuses to run as root: as root, initdb and the server run as
# the `postgres` user (runuser), in a directory it owns under /tmp (a short
# path: a socket path has at most 107 bytes). With NV_BUILD_DIR set, the
# first initdb is kept as a template there and later clusters are copies of
# it (a copy costs a sixth of initdb's CPU).
#
# Exit status: 0, or 1 with the reason on stderr (what is missing, the
# server's log) — a caller that cannot get a server fails, it never skips.
set -euo pipefail

PG_ROOT=${NV_PG_TMP:-/tmp}
PW_ROLE=nvault_pw
PW_SECRET=pw-secret-42

die() {
	echo "pg_cluster: $*" >&2
	exit 1
}

# The server's binaries: $PG_BINDIR, else the newest Debian
# /usr/lib/postgresql/N/bin, else initdb on PATH.
find_bindir() {
	if [ -n "${PG_BINDIR:-}" ]; then
		[ -x "$PG_BINDIR/initdb" ] || die "PG_BINDIR=$PG_BINDIR holds no initdb"
		echo "$PG_BINDIR"
		return
	fi
	local d best=""
	# the newest major version: 15 sorts after 9.6
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best=$d
	done
	if [ -z "$best" ] && command -v initdb >/dev/null; then
		best=$(dirname "$(readlink -f "$(command -v initdb)")")
	fi
	[ -n "$best" ] || die "PostgreSQL server not found: no /usr/lib/postgresql/*/bin/initdb" \
		"and no initdb on PATH (install the Debian package postgresql; make deps does)"
	echo "$best"
}
BIN=$(find_bindir)
command -v psql >/dev/null || die "psql not found (Debian package postgresql-client; postgresql pulls it in)"

# as_pg CMD...: runs CMD as the user that owns the clusters.
if [ "$(id -u)" -eq 0 ]; then
	getent passwd postgres >/dev/null ||
		die "running as root, but there is no user postgres to run the server as" \
			"(the Debian package postgresql creates it)"
	as_pg() { runuser -u postgres -- "$@"; }
	PG_USER=postgres
else
	as_pg() { "$@"; }
	PG_USER=$(id -un)
fi

url_of() { echo "postgresql:///$2?host=$1&user=${3:-nvault}"; }

# The server is started with its settings on the command line: Unix socket
# in DIR only, small, no fsync (tests kill clients, never the machine).
server_start() {
	local dir=$1
	if ! as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 600 -s \
		-o "-c listen_addresses='' -c unix_socket_directories='$dir' -c port=5432 \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
-c shared_buffers=16MB -c max_connections=60 -c max_wal_size=256MB \
-c log_min_messages=warning -c logging_collector=off" start >/dev/null 2>"$dir/pg_ctl.err"; then
		echo "pg_cluster: the PostgreSQL server did not start in $dir:" >&2
		cat "$dir/pg_ctl.err" "$dir/server.log" >&2 2>/dev/null || true
		return 1
	fi
}

server_stop() {
	local dir=$1 mode=${2:-immediate} pid
	[ -f "$dir/data/postmaster.pid" ] || return 0
	as_pg "$BIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 600 -s stop >/dev/null 2>&1 && return 0
	# pg_ctl could not: the postmaster (and its children) by pid
	pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
	if [[ $pid =~ ^[0-9]+$ ]]; then
		kill -9 "$pid" 2>/dev/null || true # its backends exit when it is gone
	fi
}

# psql_super DIR [DB] ARGS...: psql as the superuser, stopping at the first error.
psql_super() {
	local dir=$1 db=$2
	shift 2
	psql -X -q -v ON_ERROR_STOP=1 -h "$dir" -p 5432 -U "$PG_USER" -d "$db" "$@"
}

# make_template DIR: initdb into DIR/data with the tests' roles and access rules.
make_template() {
	local dir=$1
	if ! as_pg "$BIN/initdb" -D "$dir/data" -A trust -U "$PG_USER" -E UTF8 --locale=C \
		--no-sync >"$dir/initdb.log" 2>&1; then
		echo "pg_cluster: initdb failed:" >&2
		cat "$dir/initdb.log" >&2
		return 1
	fi
	as_pg sh -c "cat >'$dir/data/pg_hba.conf'" <<EOF
# nvault tests: Unix socket only; one role must give a password
local all $PW_ROLE scram-sha-256
local all all trust
EOF
	server_start "$dir" || return 1
	psql_super "$dir" postgres <<SQL || { server_stop "$dir"; return 1; }
SET password_encryption = 'scram-sha-256';
CREATE ROLE nvault LOGIN;
CREATE ROLE $PW_ROLE LOGIN PASSWORD '$PW_SECRET';
CREATE DATABASE nvault OWNER nvault;
GRANT ALL ON DATABASE nvault TO $PW_ROLE;
SQL
	server_stop "$dir" fast
}

# reap: stops and removes the clusters whose owner process is gone.
reap() {
	local d owner
	for d in "$PG_ROOT"/nvault-pg.*; do
		[ -d "$d" ] || continue
		owner=$(cat "$d/owner" 2>/dev/null || true)
		if [[ $owner =~ ^[0-9]+$ ]]; then
			kill -0 "$owner" 2>/dev/null && continue
		elif [ -n "$(find "$d" -maxdepth 0 -mmin -60)" ]; then
			continue # being created right now
		fi
		server_stop "$d" immediate
		rm -rf "$d"
	done
}

cmd_start() {
	local owner=""
	while [ $# -gt 0 ]; do
		case $1 in
		--owner) owner=$2; shift 2 ;;
		*) die "start: unknown argument $1" ;;
		esac
	done
	[[ $owner =~ ^[0-9]+$ ]] || die "start: --owner PID is required (the process the cluster belongs to)"
	reap
	local dir
	dir=$(mktemp -d "$PG_ROOT/nvault-pg.XXXXXX")
	echo "$owner" >"$dir/owner"
	chmod 0755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	local template=""
	# the template only where the server's user can reach it (a build under
	# root's 0700 home is not: then each cluster gets its own initdb)
	if [ -n "${NV_BUILD_DIR:-}" ] && [ -d "$NV_BUILD_DIR" ] && as_pg test -x "$NV_BUILD_DIR"; then
		template="$NV_BUILD_DIR/pg-template-$(basename "$(dirname "$BIN")")"
		(
			flock 9
			if [ ! -f "$template/ready" ]; then
				rm -rf "$template"
				mkdir -p "$template"
				chmod 0755 "$template"
				[ "$(id -u)" -eq 0 ] && chown postgres: "$template"
				make_template "$template" || exit 1
				rm -f "$template"/*.log "$template"/*.err
				touch "$template/ready"
			fi
		) 9>"$template.lock" || { rm -rf "$dir"; die "could not make the template cluster in $template"; }
		cp -a "$template/data" "$dir/data"
		# the server's socket directory moves with each copy; nothing else does
	else
		make_template "$dir" || { rm -rf "$dir"; exit 1; }
	fi
	server_start "$dir" || { server_stop "$dir"; rm -rf "$dir"; exit 1; }
	echo "NV_PG_DIR=$dir"
	echo "NV_PG_URL='$(url_of "$dir" nvault)'"
}

cmd_stop() {
	local dir=${1:?stop DIR}
	[ -f "$dir/owner" ] || die "stop: $dir is not a test cluster"
	server_stop "$dir" immediate
	rm -rf "$dir"
}

cmd_restart() {
	local dir=${1:?restart DIR [fast|immediate]} mode=${2:-fast}
	server_stop "$dir" "$mode"
	server_start "$dir"
}

cmd_newdb() {
	local dir=${1:?newdb DIR NAME} name=${2:?newdb DIR NAME}
	[[ $name =~ ^[a-z_][a-z0-9_]*$ ]] || die "newdb: database name $name: lower-case letters, digits, _"
	psql_super "$dir" postgres -c "CREATE DATABASE $name OWNER nvault" >/dev/null
	psql_super "$dir" postgres -c "GRANT ALL ON DATABASE $name TO $PW_ROLE" >/dev/null
	url_of "$dir" "$name"
}

cmd=${1:-}
shift || true
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
restart) cmd_restart "$@" ;;
newdb) cmd_newdb "$@" ;;
psql)
	dir=${1:?psql DIR [ARGS...]}
	shift
	psql_super "$dir" nvault "$@"
	;;
reap) reap ;;
*) die "usage: pg_cluster.sh start --owner PID | stop DIR | restart DIR [fast|immediate] | newdb DIR NAME | psql DIR [ARGS...] | reap" ;;
esac
