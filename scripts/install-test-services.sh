#!/usr/bin/env bash
# Installs what the integration tests start: PostgreSQL from Debian's packages, the Neo4j
# artifacts from Maven Central (built into a launcher jar classpath) and Chromium from
# Debian's packages for the workbench's browser tests (Playwright drives it; no browser is
# downloaded). Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "[install] PostgreSQL server from Debian's packages" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

if ! [ -x /usr/lib/chromium/chromium ]; then
  echo "[install] Chromium from Debian's packages (the workbench's browser tests)" >&2
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

bash scripts/neo4j/build.sh
