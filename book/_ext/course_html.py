"""Small Sphinx extension of the course: HTML fixes the configuration cannot express.

* sphinx-thebe (which Jupyter Book always loads) registers its inline configuration
  script once per reading pass; when Sphinx reads twice, every page declares
  ``const THEBE_JS_URL`` twice and the browser reports a SyntaxError.  We drop
  inline scripts whose body repeats an earlier one on the same page.
"""

from __future__ import annotations

from typing import Any


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


def setup(app: Any) -> dict:
    app.connect("html-page-context", _dedupe_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
