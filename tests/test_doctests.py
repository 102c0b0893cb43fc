"""Run the Examples sections of every dd_lib module as doctests.

The examples assume ``import numpy as np`` and the public names of ``dd_lib``
(as a reader who ran ``from dd_lib import *`` would have them).
"""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import dd_lib as dd

MODULES = sorted(m.name for m in pkgutil.iter_modules(dd.__path__, prefix="dd_lib."))


def test_every_module_is_collected():
    assert {"dd_lib.trig", "dd_lib.least_squares", "dd_lib.two_layer", "dd_lib.config"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name, monkeypatch):
    monkeypatch.delenv("DD_SCALE", raising=False)
    module = importlib.import_module(name)
    globs = {"np": np, "dd": dd, **{n: getattr(dd, n) for n in dd.__all__}}
    result = doctest.testmod(
        module, extraglobs=globs, optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
