"""Print how long the book build took to execute each notebook (jupyter-cache's record).

    .venv/bin/python book/tools/execution_times.py

The budgets: each notebook at most 120 s and the whole book at most 9 minutes, at
book scale on a 2-core CPU. Overruns are marked, not failed: timing depends on the
machine, and no test asserts it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "book" / "tools"))
import nbtools  # noqa: E402

NOTEBOOK_BUDGET_S = 120.0
BOOK_BUDGET_S = 9 * 60.0


def main() -> int:
    cache_dir = ROOT / "_build" / ".jupyter_cache"
    if not cache_dir.is_dir():
        print(f"no execution cache at {cache_dir}: build the book first")
        return 1
    cache = get_cache(cache_dir)
    total = 0.0
    print("execution time per notebook (book build):")
    for path in nbtools.toc_notebooks():
        name = str(path.relative_to(ROOT))
        try:  # the execution of the notebook's current code cells
            t = float(cache.match_cache_file(path).data["execution_seconds"])
        except (KeyError, TypeError):
            print(f"  {name:<50s}     not in the cache")
            continue
        total += t
        flag = "  OVER the 120 s budget" if t > NOTEBOOK_BUDGET_S else ""
        print(f"  {name:<50s} {t:7.1f} s{flag}")
    flag = "  OVER the 9-minute budget" if total > BOOK_BUDGET_S else ""
    print(f"  {'all notebooks':<50s} {total:7.1f} s{flag}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
