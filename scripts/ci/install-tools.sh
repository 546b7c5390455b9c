#!/usr/bin/env bash
# Installs the tools that testgate's own tests run for real, when they are missing.
# Idempotent: a second run does nothing. Called by `make test` (target `tools`).
set -euo pipefail
cd "$(dirname "$0")/../.."

need_apt=()
# Sections are added by the features that need them (templates, monitor, HTML report).

# --- GitLab templates: gitlab-ci-local runs gitlab/example.gitlab-ci.yml (shell executor).
# 4.73.0 is the newest release that still runs on Node 20; it copies the project with rsync.
GITLAB_CI_LOCAL_VERSION=4.73.0
if ! [ -x .tools/node_modules/.bin/gitlab-ci-local ] \
  || [ "$(.tools/node_modules/.bin/gitlab-ci-local --version 2>/dev/null)" != "$GITLAB_CI_LOCAL_VERSION" ]; then
  echo "installing gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION into .tools"
  npm install --prefix .tools --no-audit --no-fund --silent "gitlab-ci-local@$GITLAB_CI_LOCAL_VERSION" >/dev/null
fi
command -v rsync >/dev/null || need_apt+=(rsync)

# --- Monitor: the integration tests push metrics to a real Pushgateway on 127.0.0.1
# (started by the test fixture on a free port, never the system service).
command -v prometheus-pushgateway >/dev/null || need_apt+=(prometheus-pushgateway)

# --- Jenkins library: Debian's groovy (2.4, the Groovy line Jenkins runs pipelines with) drives
# jenkins/test/harness.groovy; npm-groovy-lint 16.2.0 (the newest for Node 20) lints jenkins/
# with the CodeNarc and Groovy jars it ships, on the machine's Java (groovy pulls one in).
command -v groovy >/dev/null || need_apt+=(groovy)
NPM_GROOVY_LINT_VERSION=16.2.0
if [ "$(node -p "require('./.tools/node_modules/npm-groovy-lint/package.json').version" 2>/dev/null)" \
  != "$NPM_GROOVY_LINT_VERSION" ]; then
  echo "installing npm-groovy-lint@$NPM_GROOVY_LINT_VERSION into .tools"
  npm install --prefix .tools --no-audit --no-fund --silent "npm-groovy-lint@$NPM_GROOVY_LINT_VERSION" >/dev/null
fi

# --- History: the HTML page is checked in a real headless Chromium (Debian package). TestRail
# uploads go through TestRail's own CLI, trcli, kept in its own venv because it needs
# junitparser<4 while testgate pins junitparser 5 (tests find .tools/trcli-venv/bin/trcli).
# testgate installs it at the version it pins (scripts/testgate/testrail.py), once.
command -v chromium >/dev/null || need_apt+=(chromium)
TESTGATE_BIN=.venv/bin/testgate
[ -x "$TESTGATE_BIN" ] || TESTGATE_BIN=testgate
"$TESTGATE_BIN" testrail install --platform local --trcli-venv .tools/trcli-venv >/dev/null

# --- JavaScript consumer: examples/js-consumer's pact-js (its Rust core ships inside the npm
# package) from the example's lock file, so its node --test suite runs offline at test time. The
# version is declared once, in examples/js-consumer/package.json.
JS_CONSUMER=examples/js-consumer
PACT_JS_VERSION="$(node -p "require('./$JS_CONSUMER/package.json').devDependencies['@pact-foundation/pact']")"
if [ "$(node -p "require('./$JS_CONSUMER/node_modules/@pact-foundation/pact/package.json').version" 2>/dev/null)" \
  != "$PACT_JS_VERSION" ]; then
  echo "installing $JS_CONSUMER/node_modules (@pact-foundation/pact@$PACT_JS_VERSION, npm ci)"
  SCARF_ANALYTICS=false npm ci --prefix "$JS_CONSUMER" --no-audit --no-fund --silent >/dev/null
fi

if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  echo "installing Debian packages: ${need_apt[*]}"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi
