"""The step-time tool (book/tools/step_times.py), exercised at book scale."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "tools"))
import step_times  # noqa: E402


def test_every_fit_chapter_has_its_fits_timed():
    table = step_times.fits("book")
    for chapter in ("ch6", "ch7", "ch8", "ch9"):
        assert any(name.startswith(chapter + " ") for name in table), chapter
    assert {unit for _, _, unit in table.values()} == {"step", "initialisation"}


def test_book_scale_run_writes_times_with_provenance(tmp_path):
    out = tmp_path / "times.json"
    argv = ["--scale", "book", "--steps", "1", "3", "--only", "ch8", "--out", str(out)]
    assert step_times.main(argv) == 0
    record = json.loads(out.read_text())
    assert record["scale"] == "book"
    assert [row["fit"] for row in record["rows"]] == ["ch8 DD", "ch8 DIP"]
    for row in record["rows"]:
        assert row["counts"] == [1, 3]
        assert row["unit"] == "step"
        assert all(t > 0 for t in row["seconds"])
    for key in ("commit", "device", "torch", "date_utc"):
        assert key in record["provenance"]
