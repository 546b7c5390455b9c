#!/usr/bin/env bash
# Install testgate from the checkout this action runs from: testgate's repository at the ref
# the workflow pinned (`uses: testgate/testgate/.github/actions/<action>@<ref>`), so the
# version is always that ref's. Only the `testgate` command goes on PATH: the job's own
# `python` stays the one it set up. A second action of the same testgate in the job (setup,
# then report) reuses the installation: same sources, same digest.
set -euo pipefail
root="$(cd "${GITHUB_ACTION_PATH:?}/../../.." && pwd -P)"
python="${TESTGATE_SETUP_PYTHON:?the Python of the setup-python step}"
bin="${RUNNER_TEMP:?}/testgate-bin"
digest="$(cd "$root" && find pyproject.toml scripts/testgate -type f ! -name '*.pyc' -print0 \
  | sort -z | xargs -0 sha256sum | sha256sum | cut -d ' ' -f 1)"
if [ -x "$bin/testgate" ] && [ "$(cat "$bin/.installed" 2>/dev/null)" = "$digest" ]; then
  echo "testgate from ${root} is installed already"
else
  echo "Installing testgate from ${root}"
  # shellcheck disable=SC2086 # pip-install holds several pip arguments on purpose
  "$python" -m pip install --disable-pip-version-check "$root" ${TESTGATE_PIP_INSTALL:-}
  mkdir -p "$bin"
  ln -sf "$(dirname "$python")/testgate" "$bin/testgate"
  printf '%s\n' "$digest" > "$bin/.installed"
  echo "$bin" >> "${GITHUB_PATH:?}"
fi
echo "version=$("$bin/testgate" --version)" >> "${GITHUB_OUTPUT:?}"
"$bin/testgate" --version
