"""Gradient descent on linear least squares and its spectral filter (chapter 1).

Gradient descent on ``1/2 ||y - J c||^2`` from ``c_0 = 0`` leaves, after
``tau`` steps, the fraction ``(1 - eta sigma_i^2)^tau`` of the component of
``y`` along the ``i``-th left singular vector of ``J`` (Proposition 1 of the
denoising paper).  :func:`gd_residual_factor` is that filter, the one place
in the library where it is written; :func:`gd_residual_closed_form` and
:func:`dd_lib.linear_residuals` apply it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import as_real_array, check_int, check_spectrum, check_step_size

Array = NDArray[np.float64]


def gd_residual_factor(sigma: Any, eta: float, tau: Any) -> Array:
    """The gradient-descent filter ``(1 - eta * sigma**2) ** tau``.

    The fraction of the component along a singular vector with singular value
    ``sigma`` that gradient descent with step ``eta`` has *not* fitted after
    ``tau`` steps (Proposition 1 of the denoising paper).

    Taught in chapter 1; used in chapter 4.

    Parameters
    ----------
    sigma : array_like
        Non-negative singular values (or dual-kernel weights), any shape.
    eta : float
        Step size, ``0 < eta < 2 / max(sigma)**2`` (the stability limit).
    tau : int or array_like
        Iteration(s), ``>= 0``; non-integers are allowed when
        ``eta * max(sigma)**2 <= 1`` (then every base is in ``[0, 1]``).

    Returns
    -------
    ndarray, shape ``np.shape(tau) + np.shape(sigma)``
        Entry ``[t..., i...]`` is ``(1 - eta * sigma[i...]**2) ** tau[t...]``.

    Raises
    ------
    ValueError
        If ``sigma`` is negative or not finite, ``eta`` is not in
        ``(0, 2 / max(sigma)**2)``, ``tau`` is negative, or ``tau`` is not an
        integer where a base ``1 - eta sigma**2`` is negative.

    Examples
    --------
    >>> print(np.round(gd_residual_factor([1.0, 0.5], 0.5, 2), 4))
    [0.25   0.7656]
    >>> gd_residual_factor([1.0, 0.5, 0.1], 0.5, np.arange(4)).shape
    (4, 3)
    """
    sigma = as_real_array(sigma, "sigma")
    if np.any(sigma < 0):
        raise ValueError(
            "sigma must be non-negative (singular values / dual-kernel weights)"
        )
    smax2 = float(np.max(sigma)) ** 2
    eta = check_step_size(eta, 1.0 / smax2 if smax2 > 0 else np.inf, "max(sigma)")
    tau = as_real_array(tau, "tau")
    if np.any(tau < 0):
        raise ValueError(f"tau must be >= 0 (iterations), got minimum {tau.min()}")
    base = 1.0 - eta * sigma**2
    if np.any(base < 0) and np.any(tau != np.round(tau)):
        raise ValueError(
            "tau must be integers when eta * max(sigma)^2 > 1 "
            "(the base 1 - eta sigma^2 is negative); "
            "use eta <= 1/max(sigma)^2 for non-integer tau"
        )
    return np.power(base, tau.reshape(tau.shape + (1,) * base.ndim))


def spectral_residuals(sigma: Any, W: Any, r0: Any, eta: float, taus: Any) -> Array:
    """Residuals ``W diag(gd_residual_factor(sigma, eta, tau)) W^T r0`` for each ``tau``
    in ``taus``.

    The single implementation behind :func:`gd_residual_closed_form` and
    :func:`dd_lib.linear_residuals` (which validate their own integer
    arguments); returns shape ``(len(taus), n)``.
    """
    sigma, W = check_spectrum(sigma, W)
    n = sigma.shape[0]
    r0 = as_real_array(r0, "r0", ndim=1)
    if r0.shape[0] != n:
        raise ValueError(f"r0 must have length n = {n}, got {r0.shape[0]}")
    factors = gd_residual_factor(sigma, eta, taus)
    return (factors * (W.T @ r0)[None, :]) @ W.T


def _check_system(J: Any, y: Any) -> tuple[Array, Array]:
    J = as_real_array(J, "J", ndim=2)
    y = as_real_array(y, "y", ndim=1)
    if y.shape[0] != J.shape[0]:
        raise ValueError(
            f"y must have length J.shape[0] = {J.shape[0]}, got length {y.shape[0]}"
        )
    return J, y


def gd_least_squares(
    J: Any, y: Any, eta: float, steps: int, return_coefficients: bool = False
) -> Array | tuple[Array, Array]:
    """Run gradient descent on ``L(c) = 1/2 ||y - J c||^2`` from ``c_0 = 0``.

    The update is ``c_{t+1} = c_t - eta * J.T @ (J c_t - y)``.

    Taught in chapter 1; used in chapter 5.

    Parameters
    ----------
    J : array_like, shape (n, m)
        Real finite matrix.
    y : array_like, shape (n,)
        Observation.
    eta : float
        Step size, ``0 < eta < 2 / ||J||_2**2`` (the stability limit).
    steps : int
        Number of gradient steps, ``>= 0``.
    return_coefficients : bool, default False
        Also return the iterates ``c_t``.

    Returns
    -------
    residuals : ndarray, shape (steps + 1, n)
        Row ``t`` is ``r_t = y - J c_t``.
    coefficients : ndarray, shape (steps + 1, m)
        Row ``t`` is ``c_t`` (only if ``return_coefficients``).

    Examples
    --------
    With ``J = diag(1, 0.5)`` and ``eta = 0.5`` the two components shrink by
    ``1/2`` and ``7/8`` per step:

    >>> r = gd_least_squares(np.diag([1.0, 0.5]), [1.0, 1.0], 0.5, 2)
    >>> print(np.round(r, 4))
    [[1.     1.    ]
     [0.5    0.875 ]
     [0.25   0.7656]]
    """
    J, y = _check_system(J, y)
    steps = check_int(steps, "steps", 0)
    smax = float(np.linalg.norm(J, 2))
    eta = check_step_size(eta, 1.0 / smax**2 if smax > 0 else np.inf, "||J||")
    n, m = J.shape
    residuals = np.empty((steps + 1, n))
    coefs = np.empty((steps + 1, m)) if return_coefficients else None
    c = np.zeros(m)
    r = y.copy()
    for t in range(steps + 1):
        residuals[t] = r
        if coefs is not None:
            coefs[t] = c
        c = c + eta * (J.T @ r)
        r = y - J @ c
    if coefs is not None:
        return residuals, coefs
    return residuals


def gd_residual_closed_form(J: Any, y: Any, eta: float, steps: int) -> Array:
    """Proposition 1: residuals of gradient descent in closed form.

    .. math::

        r_t = \\sum_{i=1}^n w_i \\langle w_i, y\\rangle (1 - \\eta\\sigma_i^2)^t,

    with ``w_i`` the left singular vectors of ``J`` and ``sigma_i`` its singular
    values (``sigma_i = 0`` for ``i > rank``).  Computes the SVD of ``J`` and
    applies :func:`gd_residual_factor` (the same code as
    :func:`dd_lib.linear_residuals`).

    Taught in chapter 1.

    Parameters
    ----------
    J, y, eta, steps
        As in :func:`gd_least_squares`; ``eta < 2 / max(sigma)**2`` with
        ``max(sigma) = ||J||_2``.

    Returns
    -------
    ndarray, shape (steps + 1, n)
        Row ``t`` is the predicted residual ``r_t``; it agrees with
        :func:`gd_least_squares` to rounding error (about 1e-12).

    Examples
    --------
    >>> J = np.array([[1.0, 0.2], [0.0, 0.5]])
    >>> r_cf = gd_residual_closed_form(J, [1.0, -1.0], 0.5, 20)
    >>> r_gd = gd_least_squares(J, [1.0, -1.0], 0.5, 20)
    >>> bool(np.allclose(r_cf, r_gd, atol=1e-12))
    True
    """
    J, y = _check_system(J, y)
    steps = check_int(steps, "steps", 0)
    n = J.shape[0]
    W, s, _ = np.linalg.svd(J, full_matrices=True)
    sigma = np.zeros(n)
    sigma[: s.shape[0]] = s
    return spectral_residuals(sigma, W, y, eta, np.arange(steps + 1))
