#!/usr/bin/env bash
# Set up everything the course needs, idempotently: a virtual environment with the
# pinned requirements and dd_lib (editable), and a local copy of MathJax 3 (from the
# npm registry) that the rendered book ships, so pages load nothing from a CDN.
# Used by book/build.sh and tests/run_all.sh; VENV overrides the venv location.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
MATHJAX_VERSION=3.2.2

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -r requirements.txt
"$VENV/bin/python" -m pip install -q --no-deps -e .

if [ ! -f book/_vendor/mathjax/tex-chtml.js ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "mathjax@$MATHJAX_VERSION" >/dev/null && tar xzf "mathjax-$MATHJAX_VERSION.tgz")
  mkdir -p book/_vendor/mathjax
  cp -r "$tmp/package/es5/." book/_vendor/mathjax/
  cp "$tmp/package/LICENSE" book/_vendor/mathjax/LICENSE
  rm -rf "$tmp"
fi
