#!/usr/bin/env sh
# What `npm test` needs beyond npm, from Debian's packages when missing (as root, as on CI):
# Chromium, which the browser tests (test/browser) drive with playwright-core, and
# promtool (the `prometheus` package), which checks and unit-tests the alert rules in
# ops/prometheus. npm registries cannot ship either.
set -eu
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
if [ -z "$missing" ]; then exit 0; fi
if [ "$(id -u)" != "0" ]; then
  echo "Missing for the tests:$missing. Install Debian's packages: sudo apt-get install$missing" >&2
  exit 1
fi
echo "Installing Debian's$missing for the tests…"
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
