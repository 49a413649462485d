#!/usr/bin/env bash
# Browser accessibility tests: the entry point CI calls.
#
#   e2e/run.sh [path-to-yijianshi-binary]
#
# Starts `yijianshi serve` on a free 127.0.0.1 port with a temporary data
# dir, waits for GET /healthz == 200, runs a11y.mjs and keyboard.mjs against
# it, and always stops the server and removes the data dir.
# The binary defaults to ${CARGO_TARGET_DIR:-target}/debug/yijianshi (relative
# to the repository root). With BASE_URL set, no server is started: the tests
# run against that already-running server.
# Env: CHROMIUM (browser path), PAGES_JSON (other page list), HEALTH_TIMEOUT (s, default 60).
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$E2E_DIR/.." && pwd)"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-60}"

log() { printf 'e2e: %s\n' "$*"; }
die() { printf 'e2e: error: %s\n' "$*" >&2; exit 2; }

# Binary path: resolve now, relative to the caller's directory (argument) or
# to the repository root (default), before we cd anywhere.
if [[ -z "${BASE_URL:-}" ]]; then
  if [[ $# -ge 1 ]]; then
    BIN="$1"
  else
    target="${CARGO_TARGET_DIR:-target}"
    [[ "$target" = /* ]] || target="$REPO_DIR/$target"
    BIN="$target/debug/yijianshi"
  fi
  [[ "$BIN" = /* ]] || BIN="$PWD/$BIN"
fi

# ---- Chromium (Debian's; never a downloaded browser) and CJK fonts
need_pkgs=()
if [[ -z "${CHROMIUM:-}" ]]; then
  CHROMIUM="$(command -v chromium || true)"
  [[ -n "$CHROMIUM" ]] || need_pkgs+=(chromium)
fi
if command -v fc-list >/dev/null 2>&1 && [[ -z "$(fc-list :lang=zh family 2>/dev/null)" ]]; then
  need_pkgs+=(fonts-noto-cjk)
elif ! command -v fc-list >/dev/null 2>&1 && [[ ${#need_pkgs[@]} -gt 0 ]]; then
  need_pkgs+=(fonts-noto-cjk)
fi
if [[ ${#need_pkgs[@]} -gt 0 ]]; then
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need_pkgs[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
    CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
  else
    die "missing ${need_pkgs[*]}: run 'sudo apt-get install chromium fonts-noto-cjk' (or set CHROMIUM=/path/to/chromium). Never download a browser."
  fi
fi
[[ -x "$CHROMIUM" ]] || die "CHROMIUM=$CHROMIUM is not executable"
export CHROMIUM

# ---- Node packages from the committed lockfile
command -v node >/dev/null 2>&1 || die "node not found (Node.js >= 20 is required)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" -ge 20 ]] || die "Node.js >= 20 is required, found $(node --version)"
lock_sum="$(sha256sum "$E2E_DIR/package-lock.json" | cut -d' ' -f1)"
stamp="$E2E_DIR/node_modules/.package-lock.sha256"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" ]]; then
  log "npm ci (package-lock.json changed or node_modules missing)"
  (cd "$E2E_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$lock_sum" >"$stamp"
fi

# ---- Server
SERVER_PID=""
NODE_PID=""
DATA_DIR=""
SERVER_LOG=""
cleanup() {
  local rc=$?
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill "$NODE_PID" 2>/dev/null || true   # Playwright closes its Chromium on SIGTERM
    wait "$NODE_PID" 2>/dev/null || true
  fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -n "$SERVER_LOG" && -s "$SERVER_LOG" ]]; then
    log "last lines of the server log:"
    tail -n 40 "$SERVER_LOG" | sed 's/^/  | /'
  fi
  [[ -n "$DATA_DIR" ]] && rm -rf "$DATA_DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n "${BASE_URL:-}" ]]; then
  BASE_URL="${BASE_URL%/}"
  log "BASE_URL=$BASE_URL is set: using the server already running there"
else
  [[ -x "$BIN" ]] || die "server binary not found at $BIN (run 'cargo build' first, or pass its path)"
  PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
    || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
  DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/yijianshi-e2e.XXXXXX")"
  SERVER_LOG="$DATA_DIR/server.log"
  BASE_URL="http://127.0.0.1:$PORT"
  log "starting $BIN serve --listen 127.0.0.1:$PORT --data-dir $DATA_DIR"
  "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$DATA_DIR" >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
fi
export BASE_URL

# Wait (bounded) for GET /healthz == 200.
deadline=$((SECONDS + HEALTH_TIMEOUT))
until node -e 'fetch(process.argv[1], {signal: AbortSignal.timeout(2000)}).then(r => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' "$BASE_URL/healthz"; do
  if [[ -n "$SERVER_PID" ]] && ! kill -0 "$SERVER_PID" 2>/dev/null; then
    wait "$SERVER_PID" && code=0 || code=$?
    SERVER_PID=""
    printf 'e2e: error: the server exited (code %s) before /healthz answered\n' "$code" >&2
    exit 2
  fi
  if [[ $SECONDS -ge $deadline ]]; then
    printf 'e2e: error: GET %s/healthz did not return 200 within %ss\n' "$BASE_URL" "$HEALTH_TIMEOUT" >&2
    exit 2
  fi
  sleep 0.5
done
log "$BASE_URL/healthz is up"

# ---- Tests (run both, fail if either failed)
# node runs in the background + wait, so that a signal reaches the traps at
# once instead of after the current script finishes.
run_node() {
  node "$@" &
  NODE_PID=$!
  local rc=0
  wait "$NODE_PID" || rc=$?
  NODE_PID=""
  return "$rc"
}
cd "$E2E_DIR"
a11y_rc=0; kb_rc=0
run_node a11y.mjs || a11y_rc=$?
echo
run_node keyboard.mjs || kb_rc=$?
echo
if [[ $a11y_rc -eq 0 && $kb_rc -eq 0 ]]; then
  log "all browser checks passed"
  exit 0
fi
log "browser checks FAILED (a11y.mjs exit $a11y_rc, keyboard.mjs exit $kb_rc); see e2e/report.json and e2e/shots/"
exit 1
