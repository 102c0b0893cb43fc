"""Small Sphinx extension of the course: HTML fixes the configuration cannot express.

* sphinx-thebe (which Jupyter Book always loads) registers its inline configuration
  script once per reading pass; when Sphinx reads twice, every page declares
  ``const THEBE_JS_URL`` twice and the browser reports a SyntaxError.  We drop
  inline scripts whose body repeats an earlier one on the same page.
* ``static/course.css``: code cells hold 88 columns (the course's line length) without a
  sideways scroll bar.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

STATIC = Path(__file__).resolve().parent / "static"


def _dedupe_inline_scripts(
    app: Any, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[str] = set()
    kept = []
    for js in scripts:
        body = (
            getattr(js, "attributes", {}).get("body")
            if not isinstance(js, str)
            else None
        )
        if body:
            if body in seen:
                continue
            seen.add(body)
        kept.append(js)
    context["script_files"] = kept


def _add_static_path(app: Any) -> None:
    app.config.html_static_path.append(str(STATIC))


def setup(app: Any) -> dict:
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    app.connect("builder-inited", _add_static_path)
    app.add_css_file("course.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
