#!/usr/bin/env bash
# The code checks, in a few seconds: formatting (ruff format), lint (ruff check) and
# types (mypy on dd_lib), as configured in pyproject.toml.  tests/run_all.sh runs it
# first; it also works as a git pre-commit hook (CONTRIBUTING.md, "Format and check
# before a commit"):
#   mkdir -p .git/hooks && ln -s ../../book/tools/check_code.sh .git/hooks/pre-commit
# To fix what the formatter reports: .venv/bin/ruff format .
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/../.."
VENV=${VENV:-.venv}
"$VENV/bin/ruff" format --check --quiet . || {
  echo "ruff format: the files above need formatting; run $VENV/bin/ruff format ." >&2
  exit 1
}
"$VENV/bin/ruff" check --quiet .
"$VENV/bin/mypy"
