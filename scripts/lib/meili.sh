# Sourced by scripts/test: finds a Meilisearch for the search contract
# suite, like scripts/lib/pg.sh does PostgreSQL.
#
#   MEILI_URL given      that server is used as it is (MEILI_API_KEY too);
#   else                 a `meilisearch` on PATH, or the test server at
#                        ../shared/bin/meilisearch, is started on a free
#                        loopback port with a fresh data folder and a random
#                        master key, and stopped and removed when the calling
#                        script exits.
#
# find_meili exports MEILI_URL and MEILI_API_KEY when it has a server and
# returns 0; with none it prints a loud banner and returns 1 (a user's
# machine may have no Meilisearch: the tests then run on the embedded
# engine alone).

source "$(dirname "${BASH_SOURCE[0]}")/exit.sh"

meili_dir=""
meili_pid=""

stop_throwaway_meili() {
  if [[ -n "$meili_pid" ]]; then
    kill "$meili_pid" 2>/dev/null || true
    wait "$meili_pid" 2>/dev/null || true
    meili_pid=""
  fi
  if [[ -n "$meili_dir" ]]; then
    rm -rf "$meili_dir"
    meili_dir=""
  fi
}

meili_skipped_banner() {
  cat >&2 <<'EOF'

************************************************************************
***  SKIPPED: the Meilisearch contract suite. No Meilisearch found:
***  set MEILI_URL (and MEILI_API_KEY) to a server, or put `meilisearch`
***  on PATH or at ../shared/bin/meilisearch. Search was tested on the
***  embedded engine only.
************************************************************************

EOF
}

# The meilisearch binary to start, or nothing.
meili_binary() {
  if command -v meilisearch >/dev/null 2>&1; then
    command -v meilisearch
  elif [[ -x ../shared/bin/meilisearch ]]; then
    (cd ../shared/bin && echo "$PWD/meilisearch")
  fi
}

start_throwaway_meili() {
  local bin="$1" port key
  meili_dir="$(mktemp -d /tmp/zhunong-meili.XXXXXX)"
  at_exit stop_throwaway_meili
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  key="$(python3 -c 'import secrets; print(secrets.token_hex(24))')"
  printf '\n==> starting a throwaway Meilisearch (%s) on port %s\n' "$("$bin" --version)" "$port"
  # Started inside its own folder: Meilisearch reads ./config.toml when
  # there is one, and its dump and snapshot folders default to ./.
  (cd "$meili_dir" && exec "$bin" --db-path "$meili_dir/data.ms" --dump-dir "$meili_dir/dumps" \
    --snapshot-dir "$meili_dir/snapshots" --http-addr "127.0.0.1:$port" --master-key "$key" \
    --no-analytics --log-level WARN >"$meili_dir/log" 2>&1) &
  meili_pid=$!
  local i
  for i in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then
      export MEILI_URL="http://127.0.0.1:$port" MEILI_API_KEY="$key"
      return 0
    fi
    if ! kill -0 "$meili_pid" 2>/dev/null; then
      cat "$meili_dir/log" >&2
      echo "error: Meilisearch ($bin) stopped while starting" >&2
      exit 1
    fi
    sleep 0.1
  done
  cat "$meili_dir/log" >&2
  echo "error: Meilisearch ($bin) did not answer /health within 30 s" >&2
  exit 1
}

find_meili() {
  if [[ -n "${MEILI_URL:-}" ]]; then
    printf '\n==> using Meilisearch at MEILI_URL (%s)\n' "$MEILI_URL"
    export MEILI_URL
    [[ -n "${MEILI_API_KEY:-}" ]] && export MEILI_API_KEY
    return 0
  fi
  local bin
  bin="$(meili_binary)"
  if [[ -z "$bin" ]]; then
    meili_skipped_banner
    return 1
  fi
  start_throwaway_meili "$bin"
}
