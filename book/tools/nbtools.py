#!/usr/bin/env python3
"""Notebook housekeeping for the course: LaTeX macro cell, output stripping, checks.

Usage (from the repository root, with the course's virtual environment)::

    # insert/update the macro cell
    .venv/bin/python book/tools/nbtools.py macros [NB ...]
    # drop outputs nbval does not check
    .venv/bin/python book/tools/nbtools.py strip  [NB ...]
    # list violations, exit 1 if any
    .venv/bin/python book/tools/nbtools.py check  [NB ...]

Without notebook arguments every notebook in ``_toc.yml`` is processed.

``macros``
    The single source of truth for the course's LaTeX macros is ``_config.yml``
    (``sphinx.config.mathjax3_config.tex.macros``), which the rendered book uses.  A
    notebook opened in Jupyter, Colab or Binder does not read ``_config.yml``, so every
    notebook carries, as its FIRST cell, a markdown cell that defines the same macros
    with ``\\newcommand`` (one inline ``$...$`` per macro).  The cell is tagged
    ``remove-cell`` (myst-nb drops it before parsing, so it never reaches the book) and
    marked with cell metadata ``"dd": {"macros": true}`` so this tool finds it again.
``strip``
    Committed notebooks keep outputs only in code cells tagged ``nbval-check-output``,
    and there only text (``stream`` outputs and the ``text/plain`` part of results);
    images, HTML and widget views are dropped, as are execution counts of all other
    cells, nbclient's per-cell ``execution`` timestamps and the notebook-level widget
    state.  The file is written with nbformat (indent 1, sorted keys).  Running it twice
    changes nothing.
``check``
    Reports: macro cell missing, not first, not tagged ``remove-cell`` or out of date;
    outputs or execution counts in cells that are not output-checked; non-text outputs
    in checked cells; notebook-level widget state; files of 400 KB or more.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHECK_TAG = "nbval-check-output"
MACRO_CELL_ID = "dd-macros"
MAX_BYTES = 400 * 1024
HEADER = (
    "<!-- LaTeX macros of the course for Jupyter/Colab/Binder. Generated from "
    "_config.yml by `python book/tools/nbtools.py macros`; do not edit by hand. "
    "Hidden in the book (tag remove-cell). -->"
)


# --------------------------------------------------------------------------------------
# configuration


def config_macros(root: Path = ROOT) -> dict[str, Any]:
    """The macros of ``_config.yml``, in order.

    They live under ``sphinx.config.mathjax3_config.tex.macros``.
    """
    cfg = yaml.safe_load((root / "_config.yml").read_text())
    try:
        return dict(cfg["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"])
    except (KeyError, TypeError) as exc:
        raise SystemExit(
            f"_config.yml has no sphinx.config.mathjax3_config.tex.macros ({exc})"
        ) from None


def newcommand(name: str, spec: Any) -> str:
    r"""One ``\newcommand`` for a MathJax 3 macro spec.

    The spec is a string, or ``[body, nargs]`` or ``[body, nargs, default]``.
    """
    if isinstance(spec, str):
        return rf"\newcommand{{\{name}}}{{{spec}}}"
    if isinstance(spec, (list, tuple)) and len(spec) in (2, 3):
        body, nargs = spec[0], int(spec[1])
        default = f"[{spec[2]}]" if len(spec) == 3 else ""
        return rf"\newcommand{{\{name}}}[{nargs}]{default}{{{body}}}"
    raise SystemExit(
        f"macro {name!r}: unsupported spec {spec!r} "
        "(string or [body, nargs(, default)])"
    )


def macro_cell_source(root: Path = ROOT) -> str:
    """The exact text of the macro cell that ``_config.yml`` generates."""
    lines = [HEADER] + [f"${newcommand(n, s)}$" for n, s in config_macros(root).items()]
    return "\n".join(lines)


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """Every notebook listed in ``_toc.yml``, in order.

    That is the root page and the chapters (with their sections) of all parts.
    """
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for e in entries or []:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections", []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    walk(toc.get("chapters", []))
    out = []
    for f in files:
        p = root / f
        p = p if p.suffix else p.with_suffix(".ipynb")
        if p.suffix == ".ipynb" and p.exists():
            out.append(p)
    return out


# --------------------------------------------------------------------------------------
# cells


def src(cell: Any) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def tags(cell: Any) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_macro_cell(cell: Any) -> bool:
    return bool(cell.get("metadata", {}).get("dd", {}).get("macros"))


def is_checked(cell: Any) -> bool:
    return CHECK_TAG in tags(cell)


def text_only(outputs: list) -> list:
    """Keep stream outputs and the text/plain part of results; drop everything else.

    Widgets (a tqdm progress bar in Jupyter, a live slider) are dropped whole: their
    text/plain is a snapshot of the widget ("0%|...") that nbval would compare.
    """
    kept = []
    for o in outputs:
        kind = o.get("output_type")
        if kind == "stream":
            kept.append(o)
        elif kind in ("display_data", "execute_result"):
            data = o.get("data", {})
            text = data.get("text/plain")
            if text is None or "application/vnd.jupyter.widget-view+json" in data:
                continue
            o = copy.deepcopy(o)
            o["data"] = {"text/plain": text}
            o["metadata"] = {}
            kept.append(o)
        # errors are never committed
    return kept


def _is_text(o: Any) -> bool:
    if o.get("output_type") == "stream":
        return True
    if o.get("output_type") in ("display_data", "execute_result"):
        return set(o.get("data", {})) <= {"text/plain"}
    return False


# --------------------------------------------------------------------------------------
# commands


def read(path: Path) -> Any:
    return nbformat.read(str(path), as_version=4)


def write(nb: Any, path: Path) -> bool:
    """Write stable JSON; return True when the file changed."""
    text = nbformat.writes(nb, version=4)
    if not text.endswith("\n"):
        text += "\n"
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if text == old:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def apply_macros(nb: Any, root: Path = ROOT) -> Any:
    text = macro_cell_source(root)
    old = [c for c in nb.cells if is_macro_cell(c)]
    cell = old[0] if old else nbformat.v4.new_markdown_cell()
    nb.cells = [c for c in nb.cells if not is_macro_cell(c)]
    cell["cell_type"] = "markdown"
    cell["source"] = text
    md = cell.setdefault("metadata", {})
    md["tags"] = ["remove-cell"] + [t for t in md.get("tags", []) if t != "remove-cell"]
    md["dd"] = {"macros": True}
    for k in ("outputs", "execution_count"):
        cell.pop(k, None)
    if nb.get("nbformat_minor", 0) >= 5 or any("id" in c for c in nb.cells):
        if not any(c.get("id") == MACRO_CELL_ID for c in nb.cells):
            cell["id"] = MACRO_CELL_ID
    else:
        cell.pop("id", None)
    nb.cells.insert(0, cell)
    return nb


def apply_strip(nb: Any) -> Any:
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.get("cell_type") != "code":
            continue
        if is_checked(cell):
            cell["outputs"] = text_only(cell.get("outputs", []))
        else:
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.metadata.pop("widgets", None)
    return nb


def violations(path: Path, root: Path = ROOT) -> list[str]:
    """Human-readable problems of one notebook (empty list: fine)."""
    out: list[str] = []
    rel = path.relative_to(root) if path.is_relative_to(root) else path
    size = path.stat().st_size
    if size >= MAX_BYTES:
        out.append(
            f"{rel}: {size / 1024:.0f} KB >= 400 KB (run: nbtools.py strip {rel})"
        )
    nb = read(path)
    want = macro_cell_source(root)
    macro_idx = [i for i, c in enumerate(nb.cells) if is_macro_cell(c)]
    if not macro_idx:
        out.append(f"{rel}: no macro cell (run: nbtools.py macros {rel})")
    else:
        i = macro_idx[0]
        c = nb.cells[i]
        if i != 0 or len(macro_idx) > 1:
            out.append(
                f"{rel}: macro cell is cell {i}, must be the only one and first "
                f"(run: nbtools.py macros {rel})"
            )
        if src(c) != want:
            out.append(
                f"{rel}: macro cell differs from _config.yml "
                f"(run: nbtools.py macros {rel})"
            )
        if "remove-cell" not in tags(c) or c.get("cell_type") != "markdown":
            out.append(
                f"{rel}: macro cell must be a markdown cell tagged remove-cell "
                f"(run: nbtools.py macros {rel})"
            )
    with_outputs, with_counts = [], []
    for i, c in enumerate(nb.cells):
        if c.get("cell_type") != "code":
            continue
        outs = c.get("outputs", [])
        first = src(c).strip().splitlines()[0][:60] if src(c).strip() else ""
        if not is_checked(c):
            if outs:
                with_outputs.append(i)
            elif c.get("execution_count") is not None:
                with_counts.append(i)
        else:
            bad = [
                o.get("output_type") + ":" + ",".join(o.get("data", {}))
                for o in outs
                if not _is_text(o)
            ]
            if bad:
                out.append(
                    f"{rel}: checked cell {i} ({first!r}) stores non-text outputs "
                    f"{bad} (run: nbtools.py strip {rel})"
                )
    if with_outputs:
        out.append(
            f"{rel}: cells {with_outputs} store outputs but are not tagged "
            f"{CHECK_TAG} (run: nbtools.py strip {rel})"
        )
    if with_counts:
        out.append(
            f"{rel}: cells {with_counts} store execution counts "
            f"(run: nbtools.py strip {rel})"
        )
    if "widgets" in nb.metadata:
        out.append(
            f"{rel}: notebook metadata stores widget state "
            f"(run: nbtools.py strip {rel})"
        )
    return out


def _paths(args: list[str]) -> list[Path]:
    if not args:
        return toc_notebooks()
    paths = [Path(a).resolve() for a in args]
    for p in paths:
        if not p.exists() or p.suffix != ".ipynb":
            raise SystemExit(f"not a notebook: {p}")
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name, help_ in (
        (
            "macros",
            "insert or update the LaTeX macro cell (first cell, tagged remove-cell)",
        ),
        ("strip", "remove outputs except text in cells tagged nbval-check-output"),
        ("check", "list violations; exit status 1 if there are any"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument(
            "notebooks", nargs="*", help="default: every notebook in _toc.yml"
        )
    ns = ap.parse_args(argv)
    paths = _paths(ns.notebooks)
    if ns.cmd == "check":
        problems = [v for p in paths for v in violations(p)]
        for v in problems:
            print(v)
        print(
            f"nbtools check: {len(paths)} notebook(s), {len(problems)} violation(s)",
            file=sys.stderr,
        )
        return 1 if problems else 0
    for p in paths:
        nb = read(p)
        nb = apply_macros(nb) if ns.cmd == "macros" else apply_strip(nb)
        changed = write(nb, p)
        shown = p.relative_to(ROOT) if p.is_relative_to(ROOT) else p
        print(f"{ns.cmd}: {shown}: {'updated' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
