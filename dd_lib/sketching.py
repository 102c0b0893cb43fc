"""Sketched least squares: Theorem 1 of the compressive-sensing paper.

An over-parameterised linear generator ``x = J c`` (``J`` is ``n x N``,
``N >= n``, full rank) is fitted to ``m`` random measurements ``y = A x*`` by
gradient descent from ``c = 0``; the limit is the minimum-norm solution

.. math::

    \\hat c = \\arg\\min_c \\|c\\|_2 \\ \\text{subject to}\\ A J c = y
          = (A J)^\\dagger y ,

and the estimate is ``x_hat = J c_hat``.  Theorem 1 of the paper bounds

.. math::

    \\|\\hat x - x^*\\|_2^2 \\le C
    \\Big(\\sum_{i=1}^n \\frac{\\langle w_i, x^*\\rangle^2}{\\sigma_i^2}\\Big)
    \\sum_{i > 2m/3} \\sigma_i^2 ,

with ``w_i, sigma_i`` the left singular vectors and singular values of ``J``
(1-based, decreasing).  :func:`theorem1_bound` returns the right-hand side
without the constant ``C``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import as_real_array, check_int, check_positive, check_spectrum

Array = NDArray[np.float64]


def min_norm_solution(A: Any, J: Any, y: Any) -> Array:
    """Minimum-norm solution of ``A J c = y`` (CS paper, eq. 5), ``c_hat = (A J)^+ y``.

    Computed with an SVD-based least-squares solver (``numpy.linalg.lstsq``),
    which returns the minimum-norm minimiser of ``||A J c - y||_2``; when
    ``A J`` has full row rank this is the minimum-norm solution of the
    equations, and the point gradient descent from ``c = 0`` converges to.

    Parameters
    ----------
    A : array_like, shape (m, n)
        Measurement matrix.
    J : array_like, shape (n, N)
        Generator matrix.
    y : array_like, shape (m,)
        Measurements.

    Returns
    -------
    ndarray, shape (N,)
        ``c_hat``; the signal estimate is ``J @ c_hat``.

    Raises
    ------
    ValueError
        If the arrays are not real, finite, 2-D/2-D/1-D, or their shapes do not chain.

    Taught in chapter 5.

    Examples
    --------
    One measurement of the first coordinate: the smallest solution puts
    nothing on the unmeasured one.

    >>> print(min_norm_solution([[1.0, 0.0]], np.eye(2), [3.0]))
    [3. 0.]
    """
    A = as_real_array(A, "A", ndim=2)
    J = as_real_array(J, "J", ndim=2)
    y = as_real_array(y, "y", ndim=1)
    if A.shape[1] != J.shape[0]:
        raise ValueError(
            "A must have as many columns as J has rows: "
            f"A is {A.shape}, J is {J.shape} "
            "(A is m x n, J is n x N)"
        )
    if y.shape[0] != A.shape[0]:
        raise ValueError(
            f"y must have length m = A.shape[0] = {A.shape[0]}, got {y.shape[0]}"
        )
    c_hat, *_ = np.linalg.lstsq(A @ J, y, rcond=None)
    return c_hat


def theorem1_bound(
    sigma: Any, W: Any, x: Any, m: int, *, return_terms: bool = False
) -> Any:
    """Right-hand side of Theorem 1 of the CS paper (eq. 7), without the constant ``C``.

    .. math::

        \\Big(\\sum_{i=1}^n \\frac{\\langle w_i, x\\rangle^2}{\\sigma_i^2}\\Big)
        \\cdot \\sum_{i > 2m/3} \\sigma_i^2 ,

    with ``sigma`` sorted decreasingly (1-based ``i``): the tail sum skips the
    ``floor(2m/3)`` largest ``sigma_i^2``.  The first factor is
    ``||J^+ x||_2^2``, the squared norm of the smallest coefficient vector that
    represents ``x``; it is ``inf`` if ``x`` has a component along a ``w_i``
    with ``sigma_i = 0`` (relative size above ``1e-12``).

    Parameters
    ----------
    sigma : array_like, shape (n,)
        Non-negative singular values of ``J``, in the order of the columns of ``W``
        (any order; they are sorted internally together with ``W``).
    W : array_like, shape (n, n)
        Left singular vectors of ``J`` as orthonormal columns.
    x : array_like, shape (n,)
        The signal ``x*``.
    m : int
        Number of measurements, ``1 <= m <= n`` (the theorem itself needs ``m >= 12``).
    return_terms : bool, default False
        Also return the two factors.

    Returns
    -------
    float
        The bound without ``C``; with ``return_terms`` a tuple
        ``(bound, signal_term, tail_term)``.

    Raises
    ------
    ValueError
        On negative or non-finite ``sigma``, a ``W`` that is not ``n x n`` with
        orthonormal columns, ``x`` of the wrong length, or ``m`` outside ``[1, n]``.

    Taught in chapter 5.

    Examples
    --------
    ``x = w_1`` costs ``1 / sigma_1^2 = 1``; with ``m = 3`` the tail skips the
    two largest ``sigma_i^2``:

    >>> theorem1_bound([1.0, 0.5, 0.25], np.eye(3), [1.0, 0.0, 0.0], 3)
    0.0625
    """
    sigma, W = check_spectrum(sigma, W, what="singular values of J")
    n = sigma.shape[0]
    x = as_real_array(x, "x", ndim=1)
    if x.shape[0] != n:
        raise ValueError(f"x must have length n = {n}, got {x.shape[0]}")
    m = check_int(m, "m", 1)
    if m > n:
        raise ValueError(f"m must satisfy 1 <= m <= n = {n} (A is m x n), got {m}")
    order = np.argsort(-sigma, kind="stable")
    s2 = sigma[order] ** 2
    coef2 = (W[:, order].T @ x) ** 2
    zero = s2 == 0
    if np.any(coef2[zero] > (1e-12 * max(float(x @ x), 1e-300))):
        signal_term = float("inf")
    else:
        signal_term = float(np.sum(coef2[~zero] / s2[~zero]))
    tail_term = float(np.sum(s2[(2 * m) // 3 :]))
    # an infinite signal term: x is not in the range of J, the bound says nothing
    # (and inf * 0 would be nan)
    bound = float("inf") if np.isinf(signal_term) else signal_term * tail_term
    if return_terms:
        return bound, signal_term, tail_term
    return bound


def geometric_example_bound(gamma: float, m: int, signal_norm: float = 1.0) -> float:
    """Right-hand side of eq. (8) of the CS paper, without ``C``:
    ``gamma**(m/3) / (1 - gamma) * ||x||**2``.

    It bounds :func:`theorem1_bound` when ``sigma_i**2 = gamma**i`` (``i = 1, ..., n``)
    and ``x`` lies in the span of the ``floor(m/3)`` leading singular vectors.

    Parameters
    ----------
    gamma : float
        Decay rate, ``0 < gamma < 1``.
    m : int
        Number of measurements, ``>= 1``.
    signal_norm : float, default 1.0
        ``||x||_2 > 0``.

    Returns
    -------
    float

    Taught in chapter 5.

    Examples
    --------
    >>> geometric_example_bound(0.5, 6)
    0.5
    """
    gamma = check_positive(gamma, "gamma")
    if gamma >= 1:
        raise ValueError(f"gamma must lie in (0, 1), got {gamma}")
    m = check_int(m, "m", 1)
    signal_norm = check_positive(signal_norm, "signal_norm")
    return float(gamma ** (m / 3) / (1 - gamma) * signal_norm**2)


def sketching_trials(
    sigma: Any,
    W: Any,
    signal: Any,
    ms: Sequence[int],
    draws: int,
    *,
    seed: int = 0,
    family: str = "",
    label: str = "",
) -> dict[str, np.ndarray]:
    """Measure Theorem 1 of the CS paper over random Gaussian matrices (one table row
    per draw).

    For each ``m`` in ``ms`` and each of ``draws`` draws: a fresh ``A`` with
    i.i.d. ``N(0, 1/m)`` entries and a fresh signal, the squared error of the
    minimum-norm estimate with the square generator ``J = W diag(sigma)``, the
    right-hand side of the theorem without ``C`` with its two factors, and the
    random factor of the proof, ``||(I - P) Sigma||^2`` with ``P`` the
    projection onto the range of ``(A J)^T``.

    Taught in chapter 5.

    Parameters
    ----------
    sigma : array_like, shape (n,)
        Positive singular values, in the order of the columns of ``W``.
    W : array_like, shape (n, n)
        Orthonormal left singular vectors.
    signal : array_like of shape (n,), or callable
        A fixed signal, or ``signal(m, rng) -> x`` drawing one (``rng`` is the
        function's ``numpy.random.Generator``).
    ms : sequence of int
        Numbers of measurements, ``1 <= m <= n``.
    draws : int
        Draws per ``m``, ``>= 1``.
    seed : int, default 0
        Seed of the generator used for ``A`` and the signals.
    family, label : str, default ""
        Stored in the columns ``family`` and ``label`` (for stacking tables
        with :func:`stack_tables`).

    Returns
    -------
    dict of ndarray
        Columns ``family``, ``label``, ``m``, ``err2`` (``||x_hat - x*||^2``),
        ``bound`` (right-hand side without ``C``), ``first``
        (``sum <w_i, x*>^2 / sigma_i^2``), ``tail`` (``sum_{i > 2m/3} sigma_i^2``)
        and ``range_err2`` (``||(I - P) Sigma||^2``).

    Raises
    ------
    ValueError
        If ``ms`` is empty or holds a value outside ``[1, n]``, ``draws < 1``,
        or ``sigma``, ``W`` or a signal is invalid.

    Examples
    --------
    >>> n = 32
    >>> W = trig_basis(n)[:, frequency_order(n)]
    >>> s = np.sqrt(0.8 ** np.arange(1, n + 1))
    >>> tab = sketching_trials(s, W, W[:, 0], [12, 24], 3, seed=0)
    >>> tab["m"].tolist()
    [12, 12, 12, 24, 24, 24]
    >>> bool(np.all(tab["err2"] <= tab["first"] * tab["range_err2"] * (1 + 1e-9)))
    True
    """
    sigma, W = check_spectrum(sigma, W)
    n = sigma.shape[0]
    if np.any(sigma <= 0):
        raise ValueError(
            "sigma must be positive (J = W diag(sigma) must have full rank)"
        )
    ms = [check_int(m, "m", 1) for m in ms]
    if not ms or max(ms) > n:
        raise ValueError(
            f"ms must be a non-empty sequence of integers in [1, n = {n}], got {ms}"
        )
    draws = check_int(draws, "draws", 1)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    J = W * sigma
    rows: dict[str, list[Any]] = {
        key: []
        for key in (
            "family",
            "label",
            "m",
            "err2",
            "bound",
            "first",
            "tail",
            "range_err2",
        )
    }
    for m in ms:
        for _ in range(draws):
            x = signal(m, rng) if callable(signal) else signal
            x = as_real_array(x, "signal", ndim=1)
            if x.shape[0] != n:
                raise ValueError(
                    f"the signal must have length n = {n}, got {x.shape[0]}"
                )
            A = rng.standard_normal((m, n)) / np.sqrt(m)
            x_hat = J @ min_norm_solution(A, J, A @ x)
            bound, first, tail = theorem1_bound(sigma, W, x, m, return_terms=True)
            Q, _ = np.linalg.qr(
                (A @ J).T
            )  # orthonormal basis of range((A J)^T) = range(Sigma W^T A^T)
            R = np.diag(sigma) - Q @ (Q.T * sigma[None, :])  # (I - P) Sigma
            for key, val in (
                ("family", family),
                ("label", label),
                ("m", m),
                ("err2", float(np.sum((x_hat - x) ** 2))),
                ("bound", bound),
                ("first", first),
                ("tail", tail),
                ("range_err2", float(np.linalg.eigvalsh(R.T @ R)[-1])),
            ):
                rows[key].append(val)
    return {key: np.array(val) for key, val in rows.items()}


def stack_tables(*tables: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Concatenate tables (dicts of equal-length arrays) with the same columns.

    Taught in chapter 5 (used in chapters 4 and 5).

    Parameters
    ----------
    *tables : mapping of str to ndarray
        At least one table; all with the same column names.

    Returns
    -------
    dict of ndarray

    Raises
    ------
    ValueError
        If no table is given or the columns differ.

    Examples
    --------
    >>> stack_tables({"m": np.array([1])}, {"m": np.array([2, 3])})["m"].tolist()
    [1, 2, 3]
    """
    if not tables:
        raise ValueError("stack_tables needs at least one table")
    keys = list(tables[0])
    for t in tables[1:]:
        if list(t) != keys:
            raise ValueError(
                f"all tables must have the same columns {keys}, got {list(t)}"
            )
    return {key: np.concatenate([np.asarray(t[key]) for t in tables]) for key in keys}
