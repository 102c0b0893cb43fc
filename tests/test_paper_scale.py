"""The paper-scale command (book/tools/paper_scale.py), exercised at book scale."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "tools"))
import paper_scale  # noqa: E402


def test_notebook_for_finds_chapters_and_rejects_unknown_names():
    assert paper_scale.notebook_for("ch1").name.startswith("01_")
    assert paper_scale.notebook_for("9").name.startswith("09_")
    with pytest.raises(SystemExit, match="unknown chapter"):
        paper_scale.notebook_for("chapter-six")
    with pytest.raises(SystemExit, match="no chapter notebook"):
        paper_scale.notebook_for("ch99")


def test_glued_values_reads_what_the_page_shows():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue(...)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={paper_scale.RECORD_MIME: "'42.4'"},
            metadata={"scrapbook": {"name": "ch8_psnr", "mime_prefix": ""}},
        ),
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": "3"},
            metadata={"scrapbook": {"name": "ch8_count", "mime_prefix": ""}},
        ),
        nbformat.v4.new_output("stream", name="stdout", text="not glued\n"),
    ]
    nb.cells = [cell]
    assert paper_scale.glued_values(nb) == {"ch8_psnr": "42.4", "ch8_count": "3"}


def test_claim_verdicts_reads_what_dd_claim_printed():
    cell = nbformat.v4.new_code_cell("dd.claim(...)")
    text = "claim holds: a\nsome output\nclaim does NOT hold: b\nclaim holds: c\n"
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=text),
        nbformat.v4.new_output("stream", name="stderr", text="claim holds: noise\n"),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert paper_scale.claim_verdicts(nb) == {"held": ["a", "c"], "not_held": ["b"]}


def test_book_scale_run_writes_results_with_provenance(tmp_path, monkeypatch):
    monkeypatch.delenv("DD_CLAIMS", raising=False)
    # the one short chapter CI executes through the command (about 15 s)
    results, executed = tmp_path / "results", tmp_path / "executed"
    argv = ["--scale", "book", "ch1", "--results", str(results)]
    assert paper_scale.main([*argv, "--executed", str(executed)]) == 0
    (out,) = results.glob("*.json")
    record = json.loads(out.read_text())
    assert record["notebook"].startswith("chapters/01_")
    assert record["glue"], "the chapter glues its numbers"
    assert record["claims"] == {"held": [], "not_held": []}  # chapter 1 has none
    assert "DD_CLAIMS" not in os.environ, "the caller's environment is restored"
    nb = nbformat.read(executed / "01_gradient_descent_least_squares.ipynb", 4)
    html = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    ]
    assert any("DD_LIVE_WIDGETS=0" in o["data"]["text/html"] for o in html)
    prov = record["provenance"]
    assert prov["scale"] == "book"
    assert prov["wall_time_s"] > 0
    assert len(prov["commit"]) == 40 or prov["commit"] == "unknown"
    for key in ("device", "torch", "cuda", "python", "date_utc"):
        assert key in prov
    assert (executed / "01_gradient_descent_least_squares.ipynb").is_file()


def test_book_scale_needs_an_explicit_results_folder():
    with pytest.raises(SystemExit):
        paper_scale.main(["--scale", "book", "ch1"])
