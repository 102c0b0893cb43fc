"""Verdicts of a chapter's claims: the one kind of fit output that nbval compares.

Taught in chapter 6 (used by every chapter with long fits).  A number from a long
Adam or SGD fit depends on the CPU's vector instructions, the thread count and the
device, so a checked cell never prints it (CONTRIBUTING.md, "Checked outputs").  What
it prints instead is the verdict of the claim the number supports, which is the same
on every machine as long as the claim's margin holds:

>>> claim("the image is fitted before the noise", 40 < 300)
claim holds: the image is fitted before the noise

A false claim stops the notebook, so the text cannot outlive the numbers.

One exception, for measuring rather than teaching: with the environment variable
``DD_CLAIMS=record`` a false claim prints ``claim does NOT hold: ...`` and the notebook
goes on.  ``book/tools/paper_scale.py`` sets it, because the chapters' prose is written
for book scale and a paper-scale run is there to record what changes, claims included;
its results file lists the claims that held and those that did not.  The test command
never sets it.
"""

from __future__ import annotations

import os

__all__ = ["claim"]

# values of DD_CLAIMS: "raise" (the default) or "record"
_MODES = ("raise", "record")


def claim(statement: str, holds: bool) -> None:
    """Print the verdict of one claim of a chapter, and fail if it does not hold.

    Taught in chapter 6.  The printed line names the claim but no number, so a cell
    tagged ``nbval-check-output`` that calls only :func:`claim` prints the same text
    on every machine; the numbers behind it are glued into the prose.

    Parameters
    ----------
    statement : str
        The claim, in words, as the chapter's text makes it (non-empty).
    holds : bool
        Whether the measured numbers support it (a Python or NumPy boolean).

    Raises
    ------
    ValueError
        If ``statement`` is not a non-empty string or ``holds`` is not a boolean.
        Also if the environment variable ``DD_CLAIMS`` is set to anything but
        ``"raise"`` or ``"record"``.
    AssertionError
        If ``holds`` is false: the chapter's text would then be wrong.  With
        ``DD_CLAIMS=record`` it prints ``claim does NOT hold: <statement>`` instead.

    Examples
    --------
    >>> claim("two is larger than one", 2 > 1)
    claim holds: two is larger than one
    >>> claim("one is larger than two", 1 > 2)
    Traceback (most recent call last):
    ...
    AssertionError: claim does not hold: one is larger than two
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"statement must be a non-empty string, got {statement!r}")
    if type(holds).__name__ not in ("bool", "bool_"):
        raise ValueError(
            f"holds must be a boolean (the claim's verdict), got {type(holds).__name__}"
        )
    mode = os.environ.get("DD_CLAIMS", "raise").strip().lower() or "raise"
    if mode not in _MODES:
        raise ValueError(f"DD_CLAIMS must be 'raise' or 'record', got {mode!r}")
    if not holds:
        if mode == "record":
            print(f"claim does NOT hold: {statement}")
            return
        raise AssertionError(f"claim does not hold: {statement}")
    print(f"claim holds: {statement}")
