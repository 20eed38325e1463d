# Where cargo puts its builds: CARGO_TARGET_DIR, a target-dir in cargo's
# configuration, or ./target — cargo's own answer, so a script starts the
# binary it has just built wherever that is. Sets TARGET_DIR.
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
export TARGET_DIR
