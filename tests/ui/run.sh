#!/usr/bin/env bash
# Browser test of the web UI in headless Chromium (Debian's chromium and chromium-driver).
#   tests/ui/run.sh [BIN]       test against `BIN serve` (default: the built quarry binary)
#   tests/ui/run.sh --mock      test against tests/ui/mock_server.py
# Installs chromium and chromium-driver with apt-get when missing; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "installing chromium and chromium-driver (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
fi

if [ "${1:-}" = "--mock" ]; then
  exec python3 tests/ui/ui_test.py --mock
fi
bin=${1:-${CARGO_TARGET_DIR:-target}/release/quarry}
if [ ! -x "$bin" ]; then
  echo "no quarry binary at $bin: build it (cargo build --release -p quarry-cli) or pass its path" >&2
  exit 2
fi
exec python3 tests/ui/ui_test.py --quarry "$bin"
