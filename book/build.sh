#!/usr/bin/env bash
# Build the rendered book into _build/html, executing every chapter (jupyter-cache in
# _build/.jupyter_cache re-uses results while the code cells are unchanged).
# Sphinx warnings are errors; a failing cell fails the build.
#   bash book/build.sh            set up (book/setup.sh), then build
#   SKIP_SETUP=1 bash book/build.sh   build only (tests/run_all.sh has already set up)
#   FRESH=1 bash book/build.sh    delete _build/ (and with it the execution cache) first
# Extra arguments go to `jupyter-book build`.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
if [ "${SKIP_SETUP:-0}" != 1 ]; then
  bash book/setup.sh
fi
if [ "${FRESH:-0}" = 1 ]; then
  rm -rf _build
fi
# The notebooks' kernels inherit this environment. ipykernel installs matplotlib's inline
# backend only when MPLBACKEND is unset; with MPLBACKEND=Agg every figure (and with it the
# label of every numbered figure) would silently disappear from the book.
unset MPLBACKEND
"$VENV/bin/jupyter-book" build . --nitpick --warningiserror --keep-going "$@"
echo "Book built: $(pwd)/_build/html/index.html"
