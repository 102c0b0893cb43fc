#!/usr/bin/env bash
# One command: set up everything and build the rendered book into _build/html,
# executing every chapter (cached by jupyter-cache while code cells are unchanged).
# Sphinx warnings are errors; a failing cell fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
bash book/setup.sh
"$VENV/bin/jupyter-book" build . --nitpick --warningiserror --keep-going "$@"
echo "Book built: $(pwd)/_build/html/index.html"
