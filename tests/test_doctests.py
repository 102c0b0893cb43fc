"""Run the Examples sections of every dd_lib module as doctests.

The examples assume ``import numpy as np`` and the public names of ``dd_lib``
(as a reader who ran ``from dd_lib import *`` would have them).
"""

import doctest
import importlib
import pkgutil
import re

import numpy as np
import pytest

import dd_lib as dd

MODULES = sorted(m.name for m in pkgutil.iter_modules(dd.__path__, prefix="dd_lib."))


def test_every_module_is_collected():
    assert {
        "dd_lib.trig",
        "dd_lib.least_squares",
        "dd_lib.two_layer",
        "dd_lib.config",
    } <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name, monkeypatch):
    monkeypatch.delenv("DD_SCALE", raising=False)
    module = importlib.import_module(name)
    globs = {"np": np, "dd": dd, **{n: getattr(dd, n) for n in dd.__all__}}
    result = doctest.testmod(
        module,
        extraglobs=globs,
        optionflags=doctest.NORMALIZE_WHITESPACE,
        verbose=False,
    )
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} doctest examples failed in {name}"
    )


def _public_objects():
    for name in dd.__all__:
        obj = getattr(dd, name)
        if callable(obj):
            yield name, obj


@pytest.mark.parametrize(("name", "obj"), list(_public_objects()))
def test_public_docstring_names_its_chapter_and_has_examples(name, obj):
    """Convention 9: numpydoc docstring naming the chapter that teaches it, with
    runnable Examples."""
    doc = obj.__doc__ or ""
    assert re.search(
        r"(Taught|Used) in (chapters? \d|every chapter|the introduction)", doc
    ), f"{name}: no 'Taught in chapter N.'"
    assert re.search(r"^\s*Examples\n\s*-{8}", doc, re.M), (
        f"{name}: no Examples section"
    )
    assert ">>> " in doc, f"{name}: Examples without a doctest"
