#!/usr/bin/env bash
# Installs the tools that testgate's own tests run for real, when they are missing.
# Idempotent: a second run does nothing. Called by `make test` (target `tools`).
set -euo pipefail
cd "$(dirname "$0")/../.."

need_apt=()
# Sections are added by the features that need them (templates, monitor, HTML report).

if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
