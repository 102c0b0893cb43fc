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
            f"A must have as many columns as J has rows: A is {A.shape}, J is {J.shape} "
            "(A is m x n, J is n x N)"
        )
    if y.shape[0] != A.shape[0]:
        raise ValueError(f"y must have length m = A.shape[0] = {A.shape[0]}, got {y.shape[0]}")
    c_hat, *_ = np.linalg.lstsq(A @ J, y, rcond=None)
    return c_hat


def theorem1_bound(sigma: Any, W: Any, x: Any, m: int, *, return_terms: bool = False) -> Any:
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
    if np.isinf(signal_term):
        bound = float("inf")  # x is not in the range of J: the bound says nothing
    else:
        bound = signal_term * tail_term
    if return_terms:
        return bound, signal_term, tail_term
    return bound


def geometric_example_bound(gamma: float, m: int, signal_norm: float = 1.0) -> float:
    """Right-hand side of eq. (8) of the CS paper, without ``C``: ``gamma**(m/3) / (1 - gamma) * ||x||**2``.

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
