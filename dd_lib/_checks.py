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
            f"{name} must hold real numbers (integer or float dtype), "
            f"got dtype {arr.dtype}"
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


def check_size(size: Any, name: str, ndim: int) -> tuple[int, ...]:
    """Return ``size`` (an int, or a sequence of ``ndim`` ints, each ``>= 1``) as a
    tuple of ``ndim`` ints.

    The shared parser of the generators' ``out_size``; each generator then checks the
    divisibility its upsampling needs.
    """
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        sides: tuple[Any, ...] = (size,) * ndim
    else:
        try:
            sides = tuple(size)
        except TypeError:
            sides = ()
    if len(sides) != ndim or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
        for s in sides
    ):
        raise ValueError(
            f"{name} must be a positive int or a tuple of {ndim} positive ints, "
            f"got {size!r}"
        )
    return tuple(int(s) for s in sides)


def check_positive(x: Any, name: str) -> float:
    """Return ``x`` as a finite float ``> 0``, or raise ``ValueError``."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a positive real number, got {x!r}")
    xf = float(x)
    if not np.isfinite(xf) or xf <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {x}")
    return xf


def check_nonnegative(x: Any, name: str) -> float:
    """Return ``x`` as a finite float ``>= 0``, or raise ``ValueError``."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number >= 0, got {x!r}")
    xf = float(x)
    if not np.isfinite(xf) or xf < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {x}")
    return xf


def check_spectrum(
    sigma: Any,
    W: Any | None = None,
    *,
    what: str = "singular values / dual-kernel weights",
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Validate non-negative weights ``sigma`` (1-D) and, if given, an orthonormal
    ``n x n`` basis ``W``."""
    sigma = as_real_array(sigma, "sigma", ndim=1)
    if np.any(sigma < 0):
        raise ValueError(f"sigma must be non-negative ({what})")
    n = sigma.shape[0]
    if W is None:
        return sigma, None
    W = as_real_array(W, "W", ndim=2)
    if W.shape != (n, n):
        raise ValueError(
            f"W must be a square n x n matrix with n = len(sigma) = {n}, "
            f"got shape {W.shape}"
        )
    if not np.allclose(W.T @ W, np.eye(n), atol=1e-8):
        raise ValueError(
            "W must have orthonormal columns (W.T @ W = I), e.g. dd.trig_basis(n)"
        )
    return sigma, W


def check_step_size(eta: Any, eta_unit: float, label: str) -> float:
    """Return ``eta`` if ``0 < eta < 2 * eta_unit``, the stability limit of gradient
    descent.

    ``eta_unit = 1 / L**2`` is the papers' step size for a linear map of
    spectral norm ``L`` (``inf`` when ``L = 0``: no upper limit); ``label``
    names ``L`` in the message, e.g. ``"||J||"``.
    """
    eta = check_positive(eta, "eta")
    if eta >= 2.0 * eta_unit:
        raise ValueError(
            f"eta = {eta:.6g} is at or above the stability limit "
            f"2/{label}^2 = {2 * eta_unit:.6g}: "
            f"gradient descent would not converge; use 0 < eta < 2/{label}^2 "
            f"(the papers take eta <= 1/{label}^2 = {eta_unit:.6g})"
        )
    return eta
