# Sourced by the other helpers: `at_exit CMD` runs CMD when the calling
# script exits, after the commands registered before it, so a script that
# starts both a PostgreSQL and a Meilisearch stops both (a plain `trap …
# EXIT` in each would keep only the last).

if [[ -z "${zhunong_exit_sh:-}" ]]; then
  zhunong_exit_sh=1
  at_exit_cmds=()
  run_at_exit() {
    local cmd
    for cmd in "${at_exit_cmds[@]}"; do $cmd || true; done
  }
  at_exit() {
    at_exit_cmds+=("$1")
    trap run_at_exit EXIT
  }
fi
