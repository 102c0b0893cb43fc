"""Verdicts of a chapter's claims: the one kind of fit output that nbval compares.

Taught in chapter 6 (used by every chapter with long fits).  A number from a long
Adam or SGD fit depends on the CPU's vector instructions, the thread count and the
device, so a checked cell never prints it (CONTRIBUTING.md, "Checked outputs").  What
it prints instead is the verdict of the claim the number supports, which is the same
on every machine as long as the claim's margin holds:

>>> claim("the image is fitted before the noise", 40 < 300)
claim holds: the image is fitted before the noise

A false claim stops the notebook, so the text cannot outlive the numbers.
"""

from __future__ import annotations

__all__ = ["claim"]


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
    AssertionError
        If ``holds`` is false: the chapter's text would then be wrong.

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
    if not holds:
        raise AssertionError(f"claim does not hold: {statement}")
    print(f"claim holds: {statement}")
