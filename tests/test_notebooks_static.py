"""Static checks of the course notebooks (no kernel): the structure the course promises.

Every notebook in ``_toc.yml`` (the chapters and ``book/intro.ipynb``) must

* start with the LaTeX macro cell that ``book/tools/nbtools.py macros`` generates from
  ``_config.yml`` (so the notebook renders in Jupyter/Colab/Binder), hidden in the book;
* keep outputs only in cells tagged ``nbval-check-output``, and only text there
  (``book/tools/nbtools.py strip``), and stay under 400 KB;
* hide plotting and slider code behind a toggle (``hide-input``), and keep live widgets
  out of the book (``remove-output``);
* carry no typed chapter number in its title (the TOC numbers chapters);
* gate solutions that contain code (``solution-start`` / code cells / ``solution-end``);
* have a label for every ``{eq}`` and ``{numref}`` reference;
* fit in float32 (the default of ``dd.fit``): no ``precision="auto"``/``"bfloat16"``, no
  ``bf16_supported`` or ``autocast``, so no chapter's code path depends on the CPU kind.

Failure messages name the notebook, the cell index (0-based, as in the JSON file,
counting the macro cell) and what to do.  CONTRIBUTING.md explains the rules for
people.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "tools"))
import nbtools  # noqa: E402

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
NOTEBOOKS = nbtools.toc_notebooks(ROOT)
CHECK_TAG = nbtools.CHECK_TAG
HIDDEN_INPUT = {"hide-input", "remove-input", "remove-cell"}
PLOTTING = re.compile(
    r"(?<![\w.])(plt|fig)\.|\.subplots\(|precomputed_slider|live_slider"
)
CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*(python|py|ipython3?|pycon)\b", re.M)


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


def _load(path):
    nb = json.loads(path.read_text())
    src = nbtools.src
    md = "\n".join(src(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    code_cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    return nb, md, code_cells, src


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _head(cell) -> str:
    text = nbtools.src(cell).strip()
    return repr(text.splitlines()[0][:60]) if text else "''"


def _report(path: Path, problems: list[str]) -> None:
    if problems:
        pytest.fail(f"{_rel(path)}:\n  - " + "\n  - ".join(problems), pytrace=False)


# --------------------------------------------------------------------------------------
# existing structure checks


def test_every_chapter_is_in_the_toc_and_every_toc_file_exists():
    files = _toc_files()
    for f in files:
        assert (ROOT / f"{f}.ipynb").exists() or (ROOT / f"{f}.md").exists(), (
            f"TOC lists missing {f}"
        )
    for ch in CHAPTERS:
        assert f"chapters/{ch.stem}" in files, f"{ch.name} is not in _toc.yml"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_the_required_parts(path):
    nb, md, code_cells, src = _load(path)
    code = "\n".join(src(c) for c in code_cells)
    assert re.search(r"^#\s+\S", md, re.M), "title '# Title' missing"
    assert re.search(r"learning goals", md, re.I), "learning goals missing"
    assert re.search(r"\{prf:(theorem|proposition|definition|lemma)\}", md), (
        "no theorem/definition block"
    )
    assert "{exercise}" in md, "exercises missing"
    assert re.search(r"\{solution(-start)?\}", md), "solutions missing"
    assert "{cite" in md, "no citations"
    assert re.search(r"^##\s+Summary", md, re.M | re.I), "summary missing"
    assert re.search(r"^\s*assert\b", code, re.M), "no asserts tying theory to numbers"
    checked = [c for c in code_cells if CHECK_TAG in _tags(c)]
    assert checked, f"no cell tagged {CHECK_TAG}"
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] == "code" and CHECK_TAG in _tags(c):
            assert c.get("outputs"), (
                f"{_rel(path)} cell {i} ({_head(c)}) is tagged {CHECK_TAG} but has "
                "no stored output: execute the notebook, then run "
                "book/tools/nbtools.py strip on it"
            )
            assert c.get("execution_count") is not None, (
                f"{_rel(path)} cell {i}: checked cell stored unexecuted"
            )
    assert "dd.seed_everything(" in code
    assert "dd.scale()" in code


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_are_clean(path):
    nb, *_ = _load(path)
    problems = []
    for i, c in enumerate(nb["cells"]):
        for o in c.get("outputs", []):
            if o["output_type"] == "error":
                problems.append(
                    f"cell {i} ({_head(c)}): stored error output {o.get('ename')}"
                )
            text = "".join(o.get("text", [])) + "".join(
                o.get("data", {}).get("text/plain", [])
            )
            if re.search(r"\btensor\(|grad_fn=|object at 0x", text):
                problems.append(
                    f"cell {i} ({_head(c)}): raw tensor/object repr in output; "
                    "print rounded numbers"
                )
    _report(path, problems)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_live_sliders_are_hidden_from_the_book_and_have_a_static_twin(path):
    _nb, _md, code_cells, src = _load(path)
    live = [c for c in code_cells if "live_slider(" in src(c)]
    static = [c for c in code_cells if "precomputed_slider(" in src(c)]
    assert len(static) >= len(live), "a live slider lacks a kernel-free version"


# --------------------------------------------------------------------------------------
# issue 7: notebooks that stand on their own, stripped, with the lesson on the page


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_macro_cell_is_first_and_matches_config(path):
    nb, *_ = _load(path)
    fix = f"run: .venv/bin/python book/tools/nbtools.py macros {_rel(path)}"
    want = nbtools.macro_cell_source(ROOT)
    marked = [i for i, c in enumerate(nb["cells"]) if nbtools.is_macro_cell(c)]
    problems = []
    if not marked:
        problems.append(f"no macro cell (markdown cell with metadata dd.macros); {fix}")
    else:
        first = nb["cells"][marked[0]]
        if marked != [0]:
            problems.append(
                f"macro cell(s) at {marked}: there must be exactly one, cell 0; {fix}"
            )
        if first["cell_type"] != "markdown" or "remove-cell" not in _tags(first):
            problems.append(
                f"cell {marked[0]}: the macro cell must be markdown tagged "
                f"remove-cell; {fix}"
            )
        if nbtools.src(first) != want:
            problems.append(
                f"cell {marked[0]}: macro cell differs from _config.yml's macros; {fix}"
            )
    _report(path, problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_macros_used_in_markdown_are_defined_by_the_notebook(path):
    """The notebook renders outside the book: every course macro its markdown uses is
    defined by its own macro cell (parsed, not compared with the config)."""
    nb, *_ = _load(path)
    course = set(nbtools.config_macros(ROOT))
    defined = set()
    for c in nb["cells"]:
        if nbtools.is_macro_cell(c):
            defined |= set(re.findall(r"\\newcommand\{\\([A-Za-z]+)\}", nbtools.src(c)))
    if not defined:
        pytest.fail(
            f"{_rel(path)}: no macro cell, so its formulas do not render outside "
            "the book; run "
            f".venv/bin/python book/tools/nbtools.py macros {_rel(path)}",
            pytrace=False,
        )
    problems = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "markdown" or nbtools.is_macro_cell(c):
            continue
        used = set(re.findall(r"\\([A-Za-z]+)", nbtools.src(c))) & course
        missing = sorted(used - defined)
        if missing:
            problems.append(
                f"cell {i} ({_head(c)}) uses "
                + ", ".join("\\" + m for m in missing)
                + " which the notebook's macro cell does not define; run "
                f"book/tools/nbtools.py macros {_rel(path)}"
            )
    _report(path, problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_only_in_checked_cells_and_only_text(path):
    nb, *_ = _load(path)
    fix = f"run: .venv/bin/python book/tools/nbtools.py strip {_rel(path)}"
    problems = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code":
            continue
        outs = c.get("outputs", [])
        if CHECK_TAG not in _tags(c):
            if outs:
                kinds = sorted({o["output_type"] for o in outs})
                problems.append(
                    f"cell {i} ({_head(c)}) stores outputs {kinds} but is not "
                    f"tagged {CHECK_TAG}; {fix}"
                )
        else:
            for o in outs:
                kinds = set(o.get("data", {})) - {"text/plain"}
                if (
                    o["output_type"] not in ("stream", "display_data", "execute_result")
                    or kinds
                ):
                    problems.append(
                        f"cell {i} ({_head(c)}) is checked but stores non-text output "
                        f"{o['output_type']} {sorted(kinds)}; print rounded numbers "
                        f"only; {fix}"
                    )
    if "widgets" in nb.get("metadata", {}):
        problems.append(f"notebook metadata stores ipywidgets state; {fix}")
    _report(path, problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_small(path):
    size = path.stat().st_size
    assert size < nbtools.MAX_BYTES, (
        f"{_rel(path)} is {size / 1024:.0f} KB (limit 400 KB): run "
        f".venv/bin/python book/tools/nbtools.py strip {_rel(path)}; "
        "figures come from the build"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_plotting_and_slider_code_is_hidden(path):
    nb, *_ = _load(path)
    problems = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code":
            continue
        text, tags = nbtools.src(c), _tags(c)
        m = PLOTTING.search(text)
        if m and not tags & HIDDEN_INPUT:
            problems.append(
                f"cell {i} ({_head(c)}) plots or builds a slider ({m.group(0)!r}) "
                "but is not tagged hide-input: tag it hide-input (split a cell that "
                "also computes into a visible compute cell and a hidden plot cell)"
            )
        if "live_slider(" in text and not tags & {"remove-output", "remove-cell"}:
            problems.append(
                f"cell {i} ({_head(c)}) shows a live ipywidgets slider: tag it "
                "hide-input and remove-output (the book shows the precomputed twin)"
            )
    _report(path, problems)


# A precision chosen by the machine: precision="auto" is bfloat16 only where the CPU
# (AVX512-BF16, AMX) or GPU runs it natively, and bfloat16 rounding changes a fit's
# numbers. Matches keyword arguments and dict entries (precision="auto",
# dict(precision='bfloat16'), {"precision": "auto"}).
CPU_DEPENDENT_PRECISION = re.compile(
    r"""["']?\bprecision["']?\s*[=:]\s*["'](auto|bfloat16)["']"""
    r"|\bbf16_supported\s*\("
    r"|\bautocast\s*\("
)


def _cpu_dependent_precision(source: str) -> list[str]:
    return [m.group(0) for m in CPU_DEPENDENT_PRECISION.finditer(source)]


def test_cpu_dependent_precision_pattern_catches_what_it_should():
    bad = [
        'res = dd.fit(net, y, steps=300, precision="auto")',
        "kw = dict(steps=10, precision = 'bfloat16')",
        'fit_kwargs = {"precision": "auto"}',
        'if dd.bf16_supported("cpu"):',
        'with torch.autocast("cpu", dtype=torch.bfloat16):',
    ]
    good = [
        "res = dd.fit(net, y, steps=300)",
        'res = dd.fit(net, y, precision="float32")',
        "print(res.precision)",
        '# precision="float32" is the default',
    ]
    assert all(_cpu_dependent_precision(s) for s in bad), [
        s for s in bad if not _cpu_dependent_precision(s)
    ]
    assert not any(_cpu_dependent_precision(s) for s in good), [
        s for s in good if _cpu_dependent_precision(s)
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_fits_run_in_float32_on_every_machine(path):
    """No chapter's code path depends on the CPU kind: every fit runs in float32
    (dd.fit's default)."""
    nb, *_ = _load(path)
    problems = [
        f"cell {i} ({_head(c)}) uses {', '.join(found)}: fit in float32 (the "
        "default of dd.fit; drop the precision argument), so that the chapter runs "
        "the same code on every CPU (CONTRIBUTING.md, 'Checked outputs are the same "
        "on every machine')"
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code"
        and (found := _cpu_dependent_precision(nbtools.src(c)))
    ]
    _report(path, problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_title_has_no_typed_number(path):
    nb, *_ = _load(path)
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "markdown" or nbtools.is_macro_cell(c):
            continue
        m = re.search(r"^#\s+(.*)$", nbtools.src(c), re.M)
        if m:
            assert not re.match(r"(\d+|[IVX]+)[.:)]?\s", m.group(1)), (
                f"{_rel(path)} cell {i}: title {m.group(0)!r} carries a typed "
                "number; the TOC numbers chapters (numbered: true): write "
                "'# Title' without the number"
            )
            return
    pytest.fail(f"{_rel(path)}: no '# Title' heading")


def _solution_bodies(text: str) -> list[str]:
    """The bodies of the ``{solution}`` directives in a markdown text (backtick or
    colon fences)."""
    lines, bodies, i = text.splitlines(), [], 0
    while i < len(lines):
        m = re.match(r"^\s*(`{3,}|:{3,})\{solution\}", lines[i])
        i += 1
        if not m:
            continue
        char, n, body = m.group(1)[0], len(m.group(1)), []
        while i < len(lines) and not re.match(
            r"^\s*" + re.escape(char) + "{" + str(n) + r",}\s*$", lines[i]
        ):
            body.append(lines[i])
            i += 1
        bodies.append("\n".join(body))
    return bodies


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_with_code_are_gated(path):
    nb, *_ = _load(path)
    cells = nb["cells"]
    problems = []
    open_at = None
    for i, c in enumerate(cells):
        if c["cell_type"] != "markdown":
            continue
        text = nbtools.src(c)
        if any(CODE_FENCE.search(body) for body in _solution_bodies(text)):
            problems.append(
                f"cell {i} ({_head(c)}): a {{solution}} holds code in a static "
                "fence, so it never runs; gate it: a markdown cell "
                "```{solution-start} <exercise-label>``` (:class: dropdown), real "
                "code cells, then a markdown cell ```{solution-end}```"
            )
        for kind in re.findall(r"\{solution-(start|end)\}", text):
            if kind == "start":
                if open_at is not None:
                    problems.append(
                        f"cell {i}: solution-start while the one of cell {open_at} "
                        "is still open"
                    )
                open_at = i
            else:
                if open_at is None:
                    problems.append(f"cell {i}: solution-end without solution-start")
                elif not any(
                    cells[j]["cell_type"] == "code" for j in range(open_at, i + 1)
                ):
                    problems.append(
                        f"cells {open_at}-{i}: a gated solution without a code cell; "
                        "use a plain {solution}"
                    )
                open_at = None
    if open_at is not None:
        problems.append(
            f"cell {open_at}: solution-start never closed by a solution-end cell"
        )
    _report(path, problems)


# ---- cross-references


def _sources_of_book():
    """(path, markdown text, figure names from cell metadata) for every page of the
    book."""
    out = []
    for f in _toc_files():
        for suffix in (".ipynb", ".md"):
            p = ROOT / f"{f}{suffix}"
            if not p.exists():
                continue
            if suffix == ".md":
                out.append((p, p.read_text(), set()))
            else:
                nb = json.loads(p.read_text())
                md = "\n".join(
                    nbtools.src(c) for c in nb["cells"] if c["cell_type"] == "markdown"
                )
                figs = {
                    str(
                        c.get("metadata", {})
                        .get("mystnb", {})
                        .get("figure", {})
                        .get("name")
                    )
                    for c in nb["cells"]
                    if c.get("metadata", {})
                    .get("mystnb", {})
                    .get("figure", {})
                    .get("name")
                }
                out.append((p, md, figs))
    return out


def _eq_labels(md: str) -> set[str]:
    labels = set(re.findall(r"\$\$\s*\(([^)\s]+)\)", md))
    for block in re.findall(r"\{math\}[^\n]*\n((?:[ \t]*:[\w-]+:[^\n]*\n)+)", md):
        labels |= set(re.findall(r":label:\s*(\S+)", block))
    return labels


def _name_labels(md: str) -> set[str]:
    return set(re.findall(r"^[ \t]*:name:\s*(\S+)", md, re.M)) | set(
        re.findall(r"^\(([^)\s]+)\)=\s*$", md, re.M)
    )


def _refs(md: str, role: str) -> set[str]:
    out = set()
    for body in re.findall(r"\{" + role + r"\}`([^`]+)`", md):
        m = re.search(r"<([^>]+)>\s*$", body)
        out.add((m.group(1) if m else body).strip())
    return out


BOOK = _sources_of_book()
ALL_EQ = set().union(*(_eq_labels(md) for _, md, _ in BOOK)) if BOOK else set()
ALL_NAMES = (
    set().union(*(_name_labels(md) | figs for _, md, figs in BOOK)) if BOOK else set()
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_eq_and_numref_references_have_labels(path):
    nb, *_ = _load(path)
    problems = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "markdown":
            continue
        md = nbtools.src(c)
        for ref in sorted(_refs(md, "eq") - ALL_EQ):
            problems.append(
                f"cell {i}: {{eq}}`{ref}` has no label; label the equation: "
                f"$$ ... $$ ({ref})"
            )
        for ref in sorted(_refs(md, "numref") - ALL_NAMES):
            problems.append(
                f"cell {i}: {{numref}}`{ref}` has no label; give the figure the "
                f"name {ref} (cell metadata mystnb.figure.name, or :name: of a "
                "{glue:figure}; see CONTRIBUTING.md, Figures)"
            )
    _report(path, problems)


# --------------------------------------------------------------------------------------
# code that fits the page

#: The widest code line a chapter may show (pyproject.toml's ruff line-length): the
#: book's code cells hold 88 columns without a sideways scroll bar (tests/html checks
#: the rendered pages).
MAX_CODE_COLUMNS = 88
REMOVED_INPUT = {"remove-input", "remove-cell"}


def _long_code_lines(path: Path) -> list[str]:
    nb, *_ = _load(path)
    problems = []
    for i, c in enumerate(nb["cells"]):
        if c["cell_type"] != "code" or _tags(c) & REMOVED_INPUT:
            continue
        for n, line in enumerate(nbtools.src(c).splitlines(), 1):
            if len(line) > MAX_CODE_COLUMNS:
                problems.append(
                    f"cell {i} ({_head(c)}), line {n}: {len(line)} columns, more "
                    f"than {MAX_CODE_COLUMNS}; run `ruff format` on the notebook, then "
                    "split long strings and comments by hand (CONTRIBUTING.md, 'Format "
                    "and check before a commit')"
                )
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_visible_code_fits_the_page(path):
    """Every code line the book shows (also behind a toggle) is at most 88 columns."""
    _report(path, _long_code_lines(path))


def test_long_code_lines_are_found(tmp_path):
    """The check above reports an 89-column line in a shown cell and ignores a removed
    cell."""
    nb = json.loads(NOTEBOOKS[0].read_text())
    long_line = "x = " + "1" * (MAX_CODE_COLUMNS - 3)
    shown = {"cell_type": "code", "metadata": {}, "source": long_line}
    removed = {"cell_type": "code", "metadata": {"tags": ["remove-cell"]}}
    removed["source"] = long_line
    for cell in (shown, removed):
        cell.update(execution_count=None, outputs=[])
    nb["cells"] += [shown, removed]
    path = tmp_path / "long.ipynb"
    path.write_text(json.dumps(nb))
    problems = _long_code_lines(path)
    assert len(problems) == 1
    assert f"cell {len(nb['cells']) - 2} " in problems[0]
    assert "89 columns" in problems[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_rel)
def test_captions_and_alt_texts_do_not_name_a_scale(path):
    """Captions and alt texts sit in cell metadata, which cannot hold glue: they must
    stay true at paper scale too, so they name no scale (issue 18: at paper scale the
    sizes change and "book scale" would be false). Sizes belong in glued prose."""
    nb, _, _, _ = _load(path)
    problems = []
    for i, cell in enumerate(nb["cells"]):
        meta = cell["metadata"].get("mystnb", {})
        texts = [
            meta.get("figure", {}).get("caption", ""),
            meta.get("image", {}).get("alt", ""),
        ]
        for text in texts:
            if re.search(r"\b(book|paper) scale\b", text):
                problems.append(
                    f"cell {i}: caption or alt text names a scale: {text[:80]!r}; "
                    "word it without the scale or its sizes"
                )
    _report(path, problems)
