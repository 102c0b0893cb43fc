"""Static checks of the chapter notebooks (no execution): structure the course promises."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def _load(path):
    nb = json.loads(path.read_text())
    src = lambda c: "".join(c["source"]) if isinstance(c["source"], list) else c["source"]  # noqa: E731
    md = "\n".join(src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return nb, md, code_cells, src


def test_every_chapter_is_in_the_toc_and_every_toc_file_exists():
    files = _toc_files()
    for f in files:
        assert (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists(), f"TOC lists missing {f}"
    for ch in CHAPTERS:
        assert f"chapters/{ch.stem}" in files, f"{ch.name} is not in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_the_required_parts(path):
    nb, md, code_cells, src = _load(path)
    code = "\n".join(src(c) for c in code_cells)
    assert re.search(r"^#\s+\d+\.\s", md, re.M), "title '# N. Title' missing"
    assert re.search(r"learning goals", md, re.I), "learning goals missing"
    assert re.search(r"\{prf:(theorem|proposition|definition|lemma)\}", md), "no theorem/definition block"
    assert "{exercise}" in md and "{solution}" in md, "exercises with solutions missing"
    assert "{cite" in md, "no citations"
    assert re.search(r"^##\s+Summary", md, re.M | re.I), "summary missing"
    assert re.search(r"^\s*assert\b", code, re.M), "no asserts tying theory to numbers"
    checked = [c for c in code_cells if "nbval-check-output" in c.get("metadata", {}).get("tags", [])]
    assert checked, "no cell tagged nbval-check-output"
    for c in checked:
        assert c.get("outputs"), "an output-checked cell has no stored output (execute the notebook)"
    assert "dd.seed_everything(" in code and "dd.scale()" in code


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_outputs_are_clean(path):
    nb, md, code_cells, src = _load(path)
    for c in code_cells:
        assert c.get("execution_count") is not None, "notebook is stored unexecuted"
        for o in c.get("outputs", []):
            assert o["output_type"] != "error", f"stored error output: {o.get('ename')}"
            text = "".join(o.get("text", [])) + "".join(o.get("data", {}).get("text/plain", []))
            assert not re.search(r"\btensor\(|grad_fn=|object at 0x", text), "raw tensor/object repr in output"
            if "image/png" in o.get("data", {}):
                alt = c.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt", "")
                assert len(alt) > 20, f"figure without alt text in cell: {src(c)[:60]!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_live_sliders_are_hidden_from_the_book_and_have_a_static_twin(path):
    nb, md, code_cells, src = _load(path)
    live = [c for c in code_cells if "live_slider(" in src(c)]
    static = [c for c in code_cells if "precomputed_slider(" in src(c)]
    for c in live:
        assert "remove-output" in c.get("metadata", {}).get("tags", []) or "remove-cell" in c.get(
            "metadata", {}
        ).get("tags", []), "a live slider's dead widget would appear in the book"
    assert len(static) >= len(live), "a live slider lacks a kernel-free version"
