"""The reproduction report (book/reproduction.ipynb): every row pastes a number from
its chapter, names a verdict from the legend, and the rows cover every result of both
papers."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "book" / "reproduction.ipynb"
REF = re.compile(r"\{glue:text\}`\.\./chapters/([^:`]+)\.ipynb::([^`:]+):s`")
VERDICTS = {
    "reproduced",
    "reproduced qualitatively",
    "not reproduced at book scale",
    "the paper and the authors' code differ",
}
REQUIRED = [f"DN Fig. {i}" for i in range(1, 13)]
REQUIRED += ["DN Table 1", "DN Prop. 1", "DN Thm. 1"]
REQUIRED += [f"CS Fig. {i}" for i in range(1, 6)]
REQUIRED += ["CS Thm. 1", "CS eq. (8)", "CS Thm. 2"]


def _text() -> str:
    nb = nbformat.read(REPORT, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _rows(heading: str) -> list[list[str]]:
    block = _text().split(heading, 1)[1].split("\n## ", 1)[0]
    lines = [ln for ln in block.splitlines() if ln.startswith("| ")][1:]
    return [[c.strip() for c in ln.strip().strip("|").split(" | ")] for ln in lines]


LINK = re.compile(r"\{doc\}`(.+?) <\.\./chapters/([^>]+)>`")


def _name(row: list[str]) -> str:
    """The result's name: the first cell is a link to its chapter."""
    found = LINK.fullmatch(row[0])
    assert found, f"the first cell must link the chapter: {row[0][:60]!r}"
    return found.group(1)


MAIN = _rows("## Results of both papers")
DISCREPANCIES = _rows("## Where the papers' text and the authors' code differ")


def _verdict(cell: str) -> str:
    found = re.match(r"\*\*(.+?)\*\*", cell)
    assert found, f"verdict cell does not start with a bold verdict: {cell[:60]!r}"
    return found.group(1)


def test_every_result_of_both_papers_has_a_row():
    names = [_name(row) for row in MAIN]
    assert sorted(names) == sorted(REQUIRED), (
        f"missing: {sorted(set(REQUIRED) - set(names))}, "
        f"extra: {sorted(set(names) - set(REQUIRED))}"
    )


@pytest.mark.parametrize("row", MAIN, ids=[_name(row) for row in MAIN])
def test_row_pastes_a_number_from_its_chapter(row):
    assert len(row) == 6, f"{row[0]}: expected 6 columns, got {len(row)}"
    refs = REF.findall(row[2])
    assert refs, f"{row[0]}: the book-scale cell names no glued number from a chapter"
    for chapter, key in refs:
        path = ROOT / "chapters" / f"{chapter}.ipynb"
        assert path.is_file(), f"{row[0]}: no chapter {chapter}"
        assert f'\\"{key}\\"' in path.read_text(), (
            f"{row[0]}: {chapter} never glues the key {key!r}"
        )
        assert LINK.fullmatch(row[0]).group(2) == chapter, (
            f"{row[0]}: the result does not link {chapter}, whose number it shows"
        )
    # the paper-scale column pastes the same quantity from the results files
    ps = re.fullmatch(r"\{glue:text\}`ps_([^`]+)`", row[3])
    assert ps, f"{row[0]}: the paper-scale cell must paste ps_<key>"
    assert ps.group(1) in {key for _, key in refs}, (
        f"{row[0]}: the paper-scale cell pastes a key the row does not show"
    )
    assert _verdict(row[5]) in VERDICTS - {"the paper and the authors' code differ"}
    assert "not run" not in row[3], "the paper-scale column is filled by code"


def test_discrepancy_rows_name_their_chapter_and_verdict():
    assert len(DISCREPANCIES) >= 5
    for row in DISCREPANCIES:
        _name(row)
        assert _verdict(row[4]) == "the paper and the authors' code differ", row[0]
