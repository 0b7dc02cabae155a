#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, from Debian's binaries.
#
#   scripts/postgres.sh start [DIR]   # prints postgresql://loanbridge@127.0.0.1:PORT/loanbridge
#   scripts/postgres.sh stop DIR      # stops the cluster and deletes DIR
#
# `start` initialises a cluster in DIR (default: a new temp dir, named on
# stderr), listening on 127.0.0.1 only, on a free port, with trust auth and
# durability off (fsync, synchronous_commit): fast, and never for real data.
# As root it runs the server as the `postgres` user (initdb refuses root).
# PG_BIN overrides the binaries' folder (default: the newest of
# /usr/lib/postgresql/*/bin, 15 on Debian 12).
set -euo pipefail
# runuser is in sbin, which a non-login shell's PATH may lack.
PATH=$PATH:/usr/sbin:/sbin

die() { printf 'postgres.sh: %s\n' "$*" >&2; exit 1; }
usage() { die "usage: $0 start [DIR] | stop DIR"; }

pg_bin() {
  if [[ -n ${PG_BIN:-} ]]; then
    printf '%s\n' "$PG_BIN"
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n $dir ]] || die "no PostgreSQL binaries in /usr/lib/postgresql/*/bin: apt-get install postgresql (scripts/setup.sh does)"
  printf '%s\n' "$dir"
}

# Runs a command as the cluster's owner: `postgres` when we are root, else us.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    id -u postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to run the server as"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  local dir=${1:-}
  local bin
  bin=$(pg_bin)
  [[ -x $bin/initdb && -x $bin/pg_ctl ]] || die "initdb/pg_ctl not found in $bin"
  if [[ -z $dir ]]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/loanbridge-pg.XXXXXX")
    printf 'postgres.sh: cluster in %s (stop with: %s stop %s)\n' "$dir" "$0" "$dir" >&2
  fi
  mkdir -p "$dir"
  [[ -z $(ls -A "$dir") ]] || die "$dir is not empty"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$dir"
    as_owner test -w "$dir" || die "the postgres user cannot write $dir (is a parent folder private?)"
  fi
  chmod 700 "$dir"

  as_owner "$bin/initdb" -D "$dir/data" -U loanbridge --auth=trust -E UTF8 --no-locale --no-sync \
    >"$dir/initdb.log" 2>&1 || die "initdb failed; see $dir/initdb.log"

  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    port_free "$port" || continue
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null; then
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U loanbridge loanbridge ||
        die "createdb failed; see $dir/server.log"
      printf '%s\n' "$port" >"$dir/port"
      printf 'postgresql://loanbridge@127.0.0.1:%s/loanbridge\n' "$port"
      return
    fi
    printf 'postgres.sh: start on port %s failed (attempt %s), retrying\n' "$port" "$attempt" >&2
  done
  die "the server did not start; see $dir/server.log"
}

stop() {
  local dir=${1:-}
  [[ -n $dir ]] || usage
  [[ -d $dir ]] || die "$dir does not exist"
  [[ -f $dir/data/PG_VERSION ]] || die "$dir does not hold a cluster started by this script"
  if [[ -f $dir/data/postmaster.pid ]]; then
    as_owner "$(pg_bin)/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null ||
      die "pg_ctl stop failed for $dir"
  fi
  rm -rf "$dir"
}

case ${1:-} in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  *) usage ;;
esac
