#!/usr/bin/env bash
# Run the SpiffWorkflow peer benchmark in its own virtualenv.
#
#   bash benches/peers/spiffworkflow/run.sh --cases N --db PATH [--synchronous FULL|NORMAL]
#
# Env:
#   PEER_VENV    venv directory (default: ${CARGO_TARGET_DIR:-<repo>/target}/peers/spiff-venv)
#   PEER_PYTHON  interpreter used to create the venv (default: python3; needs >= 3.10)
#
# The venv is created and the pinned requirements installed only when missing or when
# requirements.txt changed; a second run goes straight to the harness. stdout carries only
# the harness's one line of JSON; everything else goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
req="$here/requirements.txt"

target="${CARGO_TARGET_DIR:-target}"
case "$target" in
  /*) ;;
  *) target="$repo/$target" ;;  # cargo resolves a relative CARGO_TARGET_DIR against the workspace
esac
venv="${PEER_VENV:-$target/peers/spiff-venv}"
case "$venv" in
  /*) ;;
  *) venv="$PWD/$venv" ;;
esac
python="${PEER_PYTHON:-python3}"

# Stamp = requirements content + the interpreter it was installed for.
want_stamp() {
  { cat "$req"; "$venv/bin/python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1
}

# True when every 'name==version' pin in requirements.txt is what the venv has installed.
pins_installed() {
  "$venv/bin/python" - "$req" <<'EOF' 2>/dev/null
import importlib.metadata as md, sys
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, ver = line.partition("==")
    if md.version(name.strip()) != ver.strip():
        sys.exit(1)
EOF
}

ready() {
  [ -x "$venv/bin/python" ] &&
    [ -f "$venv/.peer-stamp" ] &&
    [ "$(cat "$venv/.peer-stamp")" = "$(want_stamp)" ] &&
    pins_installed
}

setup() {
  if [ -e "$venv" ] && [ ! -x "$venv/bin/python" ]; then
    if [ -f "$venv/pyvenv.cfg" ]; then
      echo "run.sh: removing broken venv $venv" >&2
      rm -rf -- "$venv"
    elif [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
      echo "run.sh: $venv exists, is not empty and is not a venv; set PEER_VENV elsewhere" >&2
      exit 2
    fi
  fi
  if [ ! -x "$venv/bin/python" ]; then
    "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' || {
      echo "run.sh: $python is older than 3.10 (SpiffWorkflow 3.x needs >= 3.10); set PEER_PYTHON" >&2
      exit 2
    }
    echo "run.sh: creating venv $venv" >&2
    mkdir -p "$(dirname "$venv")"
    "$python" -m venv "$venv" >&2
  fi
  echo "run.sh: installing $(grep -v '^#' "$req" | tr '\n' ' ')" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
  pins_installed || { echo "run.sh: installed versions do not match $req" >&2; exit 1; }
  want_stamp > "$venv/.peer-stamp"
}

if ! ready; then
  mkdir -p "$(dirname "$venv")"
  if command -v flock >/dev/null 2>&1; then
    # Serialise concurrent first runs; re-check once the lock is held.
    exec 9>"$venv.lock"
    flock 9
    ready || setup
    exec 9>&-
  else
    setup
  fi
fi

exec "$venv/bin/python" "$here/harness.py" "$@"
