"""Decay rates of spectra: geometric and power-law fits.

The compressive-sensing paper models the squared singular values of the
generator's Jacobian as geometric, ``sigma_i**2 = gamma**i`` (its eq. 8); the
dual kernel of a convolutional generator has a geometric-looking head and a
power-law tail.  The two fits below put numbers on both descriptions, on a
range of entries the caller states explicitly.

Both fits are ordinary least squares on the logarithm of the values:

* :func:`fit_geometric_decay`: ``log values[i] ~ log A + i log gamma``;
* :func:`fit_power_law_decay`: ``log values[i] ~ log A - alpha log x[i]``.

Each returns the rate, or with ``return_details=True`` a :class:`DecayFit`
that also carries the amplitude, the coefficient of determination ``R^2`` of
the fit in log space and the fitted index range.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ._checks import as_real_array, check_int

Array = NDArray[np.float64]


class DecayFit(NamedTuple):
    """Result of a decay fit.

    Attributes
    ----------
    rate : float
        ``gamma`` of a geometric fit (``values[i] ~ A gamma**i``) or the
        exponent ``alpha`` of a power-law fit (``values[i] ~ A x[i]**-alpha``).
    amplitude : float
        ``A``.
    r_squared : float
        Coefficient of determination of the straight-line fit in log space
        (1 for an exact fit; meaningless if all fitted values are equal).
    start, stop : int
        The fitted entries are ``values[start:stop]``.

    Taught in chapter 3 (returned by the decay fits).

    Examples
    --------
    >>> fit = fit_geometric_decay(2.0 * 0.5 ** np.arange(6), return_details=True)
    >>> round(fit.rate, 6), round(fit.amplitude, 6), (fit.start, fit.stop)
    (0.5, 2.0, (0, 6))
    """

    rate: float
    amplitude: float
    r_squared: float
    start: int
    stop: int


def _fit_range(values: Any, start: int, stop: int | None) -> tuple[Array, int, int]:
    values = as_real_array(values, "values", ndim=1)
    n = values.shape[0]
    start = check_int(start, "start", 0)
    stop = n if stop is None else check_int(stop, "stop", 0)
    if stop > n:
        raise ValueError(f"stop must be at most len(values) = {n}, got {stop}")
    if stop - start < 2:
        raise ValueError(
            f"the fit needs at least 2 entries, got values[{start}:{stop}] "
            f"({max(stop - start, 0)} entries); choose 0 <= start <= stop - 2"
        )
    seg = values[start:stop]
    if np.any(seg <= 0):
        bad = start + int(np.argmax(seg <= 0))
        raise ValueError(
            "values to fit must be > 0 (their logarithm is fitted), "
            f"but values[{bad}] = {values[bad]!r}"
        )
    return values, start, stop


def _line_fit(t: Array, logv: Array) -> tuple[float, float, float]:
    slope, intercept = np.polyfit(t, logv, 1)
    pred = intercept + slope * t
    ss_res = float(np.sum((logv - pred) ** 2))
    ss_tot = float(np.sum((logv - logv.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 1.0
    return float(slope), float(intercept), r2


def fit_geometric_decay(
    values: Any,
    start: int = 0,
    stop: int | None = None,
    *,
    return_details: bool = False,
) -> float | DecayFit:
    """Fit ``values[i] ~ A * gamma**i`` on the entries ``i = start, ..., stop - 1``.

    The index ``i`` is the position in ``values`` as given (no sorting): pass
    the spectrum in the order you mean, e.g. the dual kernel in
    :func:`dd_lib.frequency_order`, or singular values sorted descending.  The
    fit is least squares of ``log values[i]`` on ``i``; ``gamma = exp(slope)``.

    Parameters
    ----------
    values : array_like, shape (N,)
        Real, finite; the fitted entries must be ``> 0``.
    start : int, default 0
        First fitted index.
    stop : int, optional
        One past the last fitted index (default ``N``); ``stop - start >= 2``.
    return_details : bool, default False
        Return a :class:`DecayFit` instead of ``gamma`` alone.

    Returns
    -------
    float or DecayFit
        ``gamma`` (``< 1`` for a decaying sequence), or the full fit.

    Taught in chapter 3; used in chapters 1 and 5.

    Examples
    --------
    >>> round(fit_geometric_decay(0.9 ** np.arange(10)), 6)
    0.9
    """
    values, start, stop = _fit_range(values, start, stop)
    i = np.arange(start, stop, dtype=np.float64)
    slope, intercept, r2 = _line_fit(i, np.log(values[start:stop]))
    fit = DecayFit(float(np.exp(slope)), float(np.exp(intercept)), r2, start, stop)
    return fit if return_details else fit.rate


def fit_power_law_decay(
    values: Any,
    x: Any = None,
    start: int = 0,
    stop: int | None = None,
    *,
    return_details: bool = False,
) -> float | DecayFit:
    """Fit ``values[i] ~ A * x[i]**(-alpha)`` on the entries
    ``i = start, ..., stop - 1``.

    Least squares of ``log values[i]`` on ``log x[i]``; ``alpha = -slope``, so
    a decaying power law has ``alpha > 0`` (a straight line of slope
    ``-alpha`` on log-log axes).

    Parameters
    ----------
    values : array_like, shape (N,)
        Real, finite; the fitted entries must be ``> 0``.
    x : array_like, shape (N,), optional
        Abscissae, ``> 0`` on the fitted entries (e.g. frequencies).  Defaults
        to the 1-based positions ``1, ..., N``.
    start : int, default 0
        First fitted index.
    stop : int, optional
        One past the last fitted index (default ``N``); ``stop - start >= 2``.
    return_details : bool, default False
        Return a :class:`DecayFit` instead of ``alpha`` alone.

    Returns
    -------
    float or DecayFit
        The exponent ``alpha``, or the full fit.

    Taught in chapter 3.

    Examples
    --------
    >>> round(fit_power_law_decay(np.arange(1, 11) ** -2.0), 6)
    2.0
    """
    values, start, stop = _fit_range(values, start, stop)
    if x is None:
        x = np.arange(1, values.shape[0] + 1, dtype=np.float64)
    else:
        x = as_real_array(x, "x", ndim=1)
        if x.shape != values.shape:
            raise ValueError(
                f"x must have the shape of values {values.shape}, got {x.shape}"
            )
    xs = x[start:stop]
    if np.any(xs <= 0):
        bad = start + int(np.argmax(xs <= 0))
        raise ValueError(
            "x must be > 0 on the fitted entries (its logarithm is used), "
            f"but x[{bad}] = {x[bad]!r}"
        )
    if np.ptp(xs) == 0:
        raise ValueError("x must not be constant on the fitted entries")
    slope, intercept, r2 = _line_fit(np.log(xs), np.log(values[start:stop]))
    fit = DecayFit(-slope, float(np.exp(intercept)), r2, start, stop)
    return fit if return_details else fit.rate
