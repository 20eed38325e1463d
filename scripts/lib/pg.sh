# Sourced by scripts/test and scripts/bench: starts a throwaway PostgreSQL
# cluster from the installed binaries in a temporary folder, exports its
# URL as PG_URL, and stops and removes it when the calling script exits.
# initdb and postgres refuse to run as root: as root they run as postgres.
# With no PostgreSQL installed, a root user (a fresh Debian machine, CI) gets
# Debian's `postgresql` package installed, as scripts/e2e does Chromium;
# anyone else is told what to install.

source "$(dirname "${BASH_SOURCE[0]}")/exit.sh"

pg_dir=""
pg_ctl_bin=""

run_as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_throwaway_pg() {
  if [[ -n "$pg_dir" ]]; then
    if [[ -n "$pg_ctl_bin" ]]; then
      run_as_pg "$pg_ctl_bin" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$pg_dir"
    pg_dir=""
  fi
}

# The newest installed PostgreSQL's bin folder, or nothing.
pg_bin_dir() {
  local candidate found=""
  for candidate in /usr/lib/postgresql/*/bin; do
    [[ -x "$candidate/initdb" && -x "$candidate/pg_ctl" ]] && found="$candidate"
  done
  echo "$found"
}

start_throwaway_pg() {
  local pg_bin port
  pg_bin="$(pg_bin_dir)"
  if [[ -z "$pg_bin" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "==> installing Debian's postgresql for the PostgreSQL test pass"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    pg_bin="$(pg_bin_dir)"
  fi
  if [[ -z "$pg_bin" ]]; then
    echo "error: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)." >&2
    echo "       Install it (apt-get install -y postgresql) or give a server's URL (see the script's header)." >&2
    exit 1
  fi
  pg_ctl_bin="$pg_bin/pg_ctl"
  pg_dir="$(mktemp -d /tmp/zhunong-pg.XXXXXX)"
  chmod 755 "$pg_dir"
  if [[ "$(id -u)" == 0 ]]; then chown postgres "$pg_dir"; fi
  at_exit stop_throwaway_pg
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  printf '\n==> starting a throwaway PostgreSQL (%s) on port %s\n' "$("$pg_bin/postgres" --version)" "$port"
  run_as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null
  # fsync stays on: the durability promise is tested and measured, not assumed.
  run_as_pg "$pg_ctl_bin" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $pg_dir -c max_connections=300 -c shared_buffers=128MB" start >/dev/null
  export PG_URL="postgres://postgres@127.0.0.1:$port/postgres"
}
