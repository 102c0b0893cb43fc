"""Input validation shared by every public function of :mod:`dd_lib`.

Each helper raises :class:`ValueError` with a message that names the argument,
says what was received and what is allowed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def as_real_array(x: Any, name: str, ndim: int | None = None) -> NDArray[np.float64]:
    """Return ``x`` as a finite float64 array, or raise ``ValueError``.

    Parameters
    ----------
    x : array_like
        Input; must be real (integer or floating point), finite.
    name : str
        Argument name used in the error message.
    ndim : int, optional
        Required number of dimensions.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy rarely fails here
        raise ValueError(f"{name} must be array-like, got {type(x).__name__}") from exc
    if arr.dtype.kind not in "iuf":
        raise ValueError(
            f"{name} must hold real numbers (integer or float dtype), got dtype {arr.dtype}"
        )
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(
            f"{name} must be {ndim}-dimensional, got shape {arr.shape} ({arr.ndim}-D)"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (no NaN or inf)")
    return arr


def check_int(x: Any, name: str, minimum: int) -> int:
    """Return ``x`` as an int ``>= minimum``, or raise ``ValueError``."""
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {x!r}")
    if x < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {x}")
    return int(x)


def check_positive(x: Any, name: str) -> float:
    """Return ``x`` as a finite float ``> 0``, or raise ``ValueError``."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive real number, got {x!r}")
    xf = float(x)
    if not np.isfinite(xf) or xf <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {x}")
    return xf
