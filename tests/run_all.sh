#!/usr/bin/env bash
# One command: set up everything and run every test of the course.
#   1. unit tests of dd_lib (tests/, except the rendered-book tests)
#   2. nbval over every chapter and the introduction (--nbval-lax: only cells tagged
#      nbval-check-output have their outputs compared)
#   3. the book build with Sphinx warnings as errors, failing on any cell error
#   4. checks of the rendered HTML in headless Chromium (tests/html)
# CI (.ci/run) calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
export MPLBACKEND=Agg
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start )) s] $*"; }

stamp "setup"
bash book/setup.sh
if [ ! -x /usr/bin/chromium ]; then
  stamp "installing Debian's chromium for the rendered-book tests"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

stamp "unit tests"
"$VENV/bin/python" -m pytest -q --ignore=tests/html tests

stamp "notebook validation (nbval)"
"$VENV/bin/python" -m pytest -q --nbval-lax --nbval-current-env chapters book/intro.ipynb

stamp "book build"
rm -rf _build/html
bash book/build.sh

stamp "rendered-book tests"
"$VENV/bin/python" -m pytest -q tests/html

stamp "all tests passed"
