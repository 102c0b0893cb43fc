"""Checks of the rendered book in headless Chromium.

The book must work from its own files: no request leaves the local server, MathJax
(shipped with the book) typesets the mathematics, no dead ipywidget appears, and every
kernel-free slider changes its figure when moved.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "tests" / "_artifacts"


def _pages():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [
        c["file"] for part in toc.get("parts", []) for c in part["chapters"]
    ]
    return files


PAGES = _pages()
CHAPTERS = [p for p in PAGES if p.startswith("chapters/")]


@pytest.mark.parametrize("doc", PAGES)
def test_page_is_self_contained_and_typeset(page, site, doc):
    assert (HTML / f"{doc}.html").exists(), f"{doc}.html was not built"
    page.goto(f"{site}/{doc}.html", wait_until="load")
    # MathJax is loaded from _static and finishes typesetting
    source = (HTML / f"{doc}.html").read_text()
    has_math = 'class="math' in source
    if has_math:
        assert "_static/mathjax/tex-chtml.js" in source, (
            "MathJax must be loaded from the book's _static"
        )
        try:
            page.wait_for_function(
                "() => !!(window.MathJax && window.MathJax.startup)", timeout=20_000
            )
        except Exception:
            pytest.fail("MathJax did not load (it must come from _static/mathjax)")
        page.evaluate("() => window.MathJax.startup.promise")
    page.wait_for_timeout(300)
    assert page.external_requests == [], (
        f"page tried to fetch from outside the book: {page.external_requests[:5]}"
    )
    assert page.page_errors == [], f"JavaScript errors: {page.page_errors[:3]}"
    html = page.content()
    # no raw TeX left over, no MathJax error boxes
    assert page.locator("mjx-merror").count() == 0, "MathJax reported a TeX error"
    if has_math:
        assert page.locator("mjx-container").count() > 0, "mathematics was not typeset"
    # no dead ipywidgets in the static book
    assert "application/vnd.jupyter.widget-view+json" not in html
    assert page.locator(".jupyter-widgets, .widget-slider").count() == 0
    # every output figure has alt text
    for img in page.locator(".cell_output img").all():
        assert (img.get_attribute("alt") or "").strip(), (
            f"an output image on {doc} has no alt text"
        )


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_renders_theorems_exercises_and_citations(page, site, doc):
    page.goto(f"{site}/{doc}.html", wait_until="load")
    assert (
        page.locator(
            "div.proof, div.admonition.proposition, "
            "div.admonition.theorem, div.admonition.definition"
        ).count()
        > 0
    )
    assert page.locator("div.exercise").count() >= 2, "fewer than 2 exercises"
    assert page.locator("div.solution").count() >= 2, "solutions missing"
    # sphinxcontrib-bibtex renders citations as links into the bibliography page
    assert page.locator("main a[href*='bibliography.html#']").count() > 0, (
        "no rendered citations"
    )
    text = page.inner_text("main")
    assert "Traceback (most recent call last)" not in text
    # launch and download buttons
    html = page.content()
    assert "colab.research.google.com" in html, "launch buttons missing (Colab)"
    assert "mybinder.org" in html, "launch buttons missing (Binder)"
    assert (
        page.locator(
            "[title='Download this page'], .btn-download-notebook-button, "
            "a[href$='.ipynb']"
        ).count()
        > 0
    )


@pytest.mark.parametrize("doc", CHAPTERS)
def test_static_sliders_change_the_figure(page, site, doc):
    page.goto(f"{site}/{doc}.html", wait_until="load")
    sliders = page.locator(".dd-static-slider")
    count = sliders.count()
    if doc.startswith("chapters/01"):
        assert count >= 1, "chapter 1 must have a kernel-free slider"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for s in range(count):
        slider = sliders.nth(s)
        img = slider.locator("img.dds-frame")
        for inp in slider.locator("input[type=range]").all():
            before_src, before_alt = img.get_attribute("src"), img.get_attribute("alt")
            label_before = inp.evaluate("e => e.nextElementSibling.textContent")
            target = inp.evaluate("e => (+e.value === +e.max ? +e.min : +e.max)")
            inp.evaluate(
                f"e => {{ e.value = {target}; e.dispatchEvent(new Event('input')); }}"
            )
            assert img.get_attribute("src") != before_src, (
                "moving a slider did not change the frame"
            )
            assert img.get_attribute("alt") != before_alt, (
                "alt text did not follow the frame"
            )
            assert inp.evaluate("e => e.nextElementSibling.textContent") != label_before
        slider.screenshot(path=str(ARTIFACTS / f"{Path(doc).name}_slider{s}.png"))


# ---- issue 7: the page shows the lesson, not the plumbing

NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / f"{p}.ipynb").exists()]
PLUMBING = re.compile(r"(?<![\w.])plt\.|precomputed_slider|live_slider")


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_plotting_and_slider_code_is_behind_a_toggle(page, site, doc):
    """No code cell that plots or builds a slider is visible before the reader opens
    its toggle (sphinx-book-theme renders hide-input as
    <details class="hide above-input">)."""
    page.goto(f"{site}/{doc}.html", wait_until="load")
    inputs = page.locator("main div.cell_input")
    opened = False
    for k in range(inputs.count()):
        cell = inputs.nth(k)
        code = cell.text_content() or ""
        m = PLUMBING.search(code)
        if not m:
            continue
        first = code.strip().splitlines()[0][:60] if code.strip() else ""
        assert not cell.is_visible(), (
            f"{doc}: code cell {first!r} ({m.group(0)!r}) is visible without "
            "opening a toggle: tag the notebook cell hide-input"
        )
        assert cell.evaluate("e => !!e.closest('details')"), (
            f"{doc}: code cell {first!r} is hidden but has no toggle"
        )
        if not opened:  # the toggle opens
            cell.evaluate("e => e.closest('details').querySelector('summary').click()")
            page.wait_for_timeout(100)
            assert cell.is_visible(), (
                f"{doc}: opening the toggle does not show the code {first!r}"
            )
            opened = True


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_macro_cell_is_not_in_the_book(doc):
    source = (HTML / f"{doc}.html").read_text()
    assert "\\newcommand" not in source, (
        f"{doc}.html contains \\newcommand: the notebook's macro cell must be "
        "tagged remove-cell (book/tools/nbtools.py macros)"
    )


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_figures_are_rendered_and_numbered_figures_have_images(page, site, doc):
    """Figures come from the build: each chapter page shows images, and every numbered
    figure holds one (an Agg backend in the build kernel would leave text-only
    figures)."""
    page.goto(f"{site}/{doc}.html", wait_until="load")
    if doc.startswith("chapters/"):
        assert page.locator("main img").count() > 0, (
            f"{doc}: no image on the page (was MPLBACKEND set for the build?)"
        )
    figures = page.locator("main figure[id]")
    for k in range(figures.count()):
        fig = figures.nth(k)
        fid = fig.get_attribute("id")
        assert fig.locator("img").count() > 0, f"{doc}: figure #{fid} holds no image"


@pytest.mark.parametrize("doc", CHAPTERS)
def test_chapter_number_comes_from_the_toc_once(page, site, doc):
    page.goto(f"{site}/{doc}.html", wait_until="load")
    h1 = page.locator(
        "main h1:has(a.headerlink)"
    ).first  # the article title, not the header copy
    assert h1.locator(".section-number").count() == 1, (
        f"{doc}: title not numbered (numbered: true in _toc.yml)"
    )
    title = h1.inner_text().strip()
    assert not re.match(r"^\d+\.\s*\d+\.", title), (
        f"{doc}: title {title!r} is numbered twice: drop the typed number"
    )


# ---- issue 15: code that fits the page


@pytest.mark.parametrize("doc", NOTEBOOK_PAGES)
def test_code_cells_need_no_sideways_scroll(page, site, doc):
    """At the test's window width (1280 px), every code cell, also those behind a
    toggle, shows its longest line (at most 88 columns, tests/test_notebooks_static.py)
    without a horizontal scroll bar."""
    page.goto(f"{site}/{doc}.html", wait_until="load")
    page.evaluate(
        "() => document.querySelectorAll('main details').forEach(d => d.open = true)"
    )
    page.wait_for_timeout(100)
    overflowing = page.evaluate(
        """() => [...document.querySelectorAll('main div.cell_input pre')]
            .filter(p => p.scrollWidth > p.clientWidth + 1)
            .map(p => [p.scrollWidth, p.clientWidth,
                       Math.max(...p.textContent.split('\\n').map(l => l.length)),
                       p.textContent.trim().split('\\n')[0].slice(0, 50)])"""
    )
    assert overflowing == [], (
        f"{doc}: code cells wider than the page ([scroll width, visible width, longest "
        f"line in columns, first line]): {overflowing[:5]}"
    )
    n_cells = page.locator("main div.cell_input pre").count()
    assert n_cells > 0, f"{doc}: no code cell found (did the page layout change?)"
