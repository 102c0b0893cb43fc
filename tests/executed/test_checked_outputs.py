"""The checked outputs of the notebooks the book build executed.

The test command executes every notebook once, in the book build (jupyter-cache
keeps the executed notebooks in ``_build/.jupyter_cache``). This module then does what
nbval's ``--nbval-lax`` run did with a second execution: for every notebook in the TOC,
each cell tagged ``nbval-check-output`` must print what its committed output says. The
comparison is nbval's own (``IPyNbCell.compare_outputs`` after ``coalesce_streams``,
with nbval's default keys skipped), so the semantics are those of
``pytest --nbval-lax``, which still works for checking one notebook by hand
(CONTRIBUTING.md).

Run after ``bash book/build.sh`` (``tests/run_all.sh`` does); without a build the
tests fail and say so.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from jupyter_cache import get_cache
from nbval.plugin import IPyNbCell, coalesce_streams, nocolors

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "_build" / ".jupyter_cache"
sys.path.insert(0, str(ROOT / "book" / "tools"))
import nbtools  # noqa: E402

CHECK_TAG = "nbval-check-output"

# nbval's IPyNbFile.skip_compare without --nbdime (nbval 0.11.0): keys never compared
SKIP_COMPARE = (
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
)


class _Comparison:
    """Just enough of an nbval cell item to run its ``compare_outputs``."""

    compare_outputs = IPyNbCell.compare_outputs
    format_output_compare = IPyNbCell.format_output_compare
    sanitize = IPyNbCell.sanitize

    def __init__(self) -> None:
        self.parent = SimpleNamespace(skip_compare=SKIP_COMPARE, sanitize_patterns={})
        self.colors = nocolors
        self.comparison_traceback: list[str] = []
        # no pytest hook here: nbval falls back to printing both outputs in full
        self.config = None
        self.ihook = SimpleNamespace(pytest_assertrepr_compare=lambda **_: [])


def _notebooks() -> list[Path]:
    return nbtools.toc_notebooks()


@pytest.fixture(scope="module")
def cache():
    if not CACHE.is_dir():
        pytest.fail(
            f"no execution cache at {CACHE}: build the book first (bash book/build.sh)"
        )
    return get_cache(CACHE)


@pytest.mark.parametrize("path", _notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_checked_cells_print_their_committed_outputs(cache, path):
    committed = nbformat.read(path, as_version=4)
    try:
        _, executed = cache.merge_match_into_notebook(nbformat.read(path, as_version=4))
    except KeyError:
        pytest.fail(
            f"{path.relative_to(ROOT)}: the build's cache holds no execution of the "
            "notebook's current code cells; rebuild the book"
        )
    checked = 0
    for index, (ref, run) in enumerate(
        zip(committed.cells, executed.cells, strict=True)
    ):
        if ref.cell_type != "code" or CHECK_TAG not in ref.metadata.get("tags", []):
            continue
        checked += 1
        where = (
            f"{path.relative_to(ROOT)} cell {index} ({ref.source.splitlines()[0]!r})"
        )
        assert ref.get("execution_count") is not None, (
            f"{where}: the committed cell was never run (nbval would skip it)"
        )
        comparison = _Comparison()
        same = comparison.compare_outputs(
            coalesce_streams(list(run.outputs)), coalesce_streams(list(ref.outputs))
        )
        assert same, f"{where}: outputs differ\n" + "\n".join(
            comparison.comparison_traceback
        )
    assert checked > 0, f"{path.relative_to(ROOT)} has no checked cell"


def _stream(text: str) -> dict:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_the_comparison_catches_a_changed_and_a_missing_output():
    # the same text, split differently into stream chunks, is equal (nbval coalesces)
    same = _Comparison().compare_outputs(
        coalesce_streams([_stream("claim holds: a\n"), _stream("claim holds: b\n")]),
        coalesce_streams([_stream("claim holds: a\nclaim holds: b\n")]),
    )
    assert same
    changed = _Comparison()
    assert not changed.compare_outputs(
        coalesce_streams([_stream("m* = 30\n")]),
        coalesce_streams([_stream("m* = 28\n")]),
    )
    assert changed.comparison_traceback
    assert not _Comparison().compare_outputs([], coalesce_streams([_stream("x\n")]))
