"""Linear algebra of the two papers: the trigonometric basis, circulant
matrices, the expected Jacobian Gram matrix, the dual kernel, and gradient
descent on linear least squares.

All functions take and return NumPy arrays in float64.

Conventions
-----------
* Indices start at 0, as in Definition 1 of the denoising paper: column ``i``
  of :func:`trig_basis` is the function :math:`w_i`, ``i = 0, ..., n-1``.
* A kernel ``u`` of length ``<= n`` is zero-padded to length ``n`` and read
  *circularly*, with its centre at index 0: the kernel value at offset
  :math:`-m` is stored at index :math:`n - m`.  :func:`triangular_kernel` and
  :func:`gaussian_kernel` build kernels in this layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import as_real_array, check_int, check_positive

Array = NDArray[np.float64]


# --------------------------------------------------------------------------
# Trigonometric basis and circulant matrices
# --------------------------------------------------------------------------
def trig_frequencies(n: int) -> NDArray[np.int64]:
    """Frequency (number of periods over ``n`` samples) of each basis function.

    Parameters
    ----------
    n : int
        Signal length, ``n >= 1``.

    Returns
    -------
    ndarray of int, shape (n,)
        Entry ``i`` is ``min(i, n - i)``: the frequency of :math:`w_i` in
        :func:`trig_basis`.  The cosines ``i < n/2`` and the sines
        ``i > n/2`` of the same frequency share eigenvalues of every symmetric
        circulant matrix.
    """
    n = check_int(n, "n", 1)
    i = np.arange(n)
    return np.minimum(i, n - i)


def frequency_order(n: int) -> NDArray[np.int64]:
    """Column indices of :func:`trig_basis` sorted from low to high frequency.

    For even ``n`` this is ``0, 1, n-1, 2, n-2, ..., n/2``: the constant, then
    for each frequency its cosine followed by its sine.  "The first ``p``
    trigonometric functions" of the papers' theorems are the columns
    ``frequency_order(n)[:p]``.

    Parameters
    ----------
    n : int
        Signal length, ``n >= 1``.

    Returns
    -------
    ndarray of int, shape (n,)
        A permutation of ``0, ..., n-1``.
    """
    return np.argsort(trig_frequencies(n), kind="stable")


def trig_basis(n: int) -> Array:
    """The real orthonormal trigonometric basis of Definition 1.

    Column ``i`` is

    .. math::

        [w_i]_j = \\frac{1}{\\sqrt n}\\begin{cases}
          1 & i = 0\\\\
          \\sqrt2\\cos(2\\pi j i/n) & 1 \\le i < n/2\\\\
          (-1)^j & i = n/2\\ (n \\text{ even})\\\\
          \\sqrt2\\sin(2\\pi j i/n) & n/2 < i \\le n-1
        \\end{cases}

    for ``j = 0, ..., n-1``.  For odd ``n`` there is no alternating column.

    Parameters
    ----------
    n : int
        Signal length, ``n >= 1``.

    Returns
    -------
    ndarray, shape (n, n)
        Orthonormal matrix ``W`` (``W.T @ W = I``).
    """
    n = check_int(n, "n", 1)
    j = np.arange(n)[:, None].astype(np.float64)
    i = np.arange(n)[None, :]
    angle = 2 * np.pi * j * i / n
    W = np.where(2 * i < n, np.sqrt(2) * np.cos(angle), np.sqrt(2) * np.sin(angle))
    W[:, 0] = 1.0
    if n % 2 == 0:
        W[:, n // 2] = (-1.0) ** np.arange(n)
    return W / np.sqrt(n)


def _pad_kernel(u: Any, n: int) -> tuple[Array, int]:
    n = check_int(n, "n", 1)
    u = as_real_array(u, "u", ndim=1)
    if u.shape[0] > n:
        raise ValueError(f"kernel u has length {u.shape[0]} but must be no longer than n = {n}")
    out = np.zeros(n)
    out[: u.shape[0]] = u
    return out, n


def circulant(u: Any, n: int) -> Array:
    """The ``n x n`` circulant matrix of the kernel ``u``: ``U[i, j] = u[(i - j) mod n]``.

    ``U @ c`` is the circular convolution ``u * c``.  Its first column is ``u``
    zero-padded to length ``n``.

    Parameters
    ----------
    u : array_like, shape (L,)
        Real finite kernel, ``1 <= L <= n``, centred at index 0 (wrapped).
    n : int
        Size of the matrix.

    Returns
    -------
    ndarray, shape (n, n)
    """
    col, n = _pad_kernel(u, n)
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    return col[idx]


def _centred_offsets(n: int) -> Array:
    i = np.arange(n)
    return np.minimum(i, n - i).astype(np.float64)


def triangular_kernel(half_width: float, n: int) -> Array:
    """Unit-norm triangular kernel ``max(0, 1 - |m| / half_width)``, centred at 0.

    ``half_width = 2`` gives (up to normalisation) ``[1/2, 1, 1/2]``, the kernel
    of linear 2x upsampling.

    Parameters
    ----------
    half_width : float
        Offset at which the triangle reaches zero, ``0 < half_width``; the
        support ``2 * half_width - 1`` samples must fit in ``n``.
    n : int
        Length of the returned kernel.

    Returns
    -------
    ndarray, shape (n,)
        Kernel in the wrapped layout of :func:`circulant`, with unit l2 norm.
    """
    half_width = check_positive(half_width, "half_width")
    n = check_int(n, "n", 1)
    if half_width > n / 2:
        raise ValueError(f"half_width must be at most n/2 = {n / 2}, got {half_width}")
    u = np.maximum(0.0, 1.0 - _centred_offsets(n) / half_width)
    return u / np.linalg.norm(u)


def gaussian_kernel(std: float, n: int) -> Array:
    """Unit-norm Gaussian kernel ``exp(-m**2 / (2 std**2))``, centred at 0.

    Parameters
    ----------
    std : float
        Standard deviation in samples, ``0 < std <= n / 4`` (so the wrapped
        kernel is a proper bump).
    n : int
        Length of the returned kernel.

    Returns
    -------
    ndarray, shape (n,)
        Kernel in the wrapped layout of :func:`circulant`, with unit l2 norm.
    """
    std = check_positive(std, "std")
    n = check_int(n, "n", 1)
    if std > n / 4:
        raise ValueError(f"std must be at most n/4 = {n / 4}, got {std}")
    u = np.exp(-_centred_offsets(n) ** 2 / (2 * std**2))
    return u / np.linalg.norm(u)


# --------------------------------------------------------------------------
# Expected Jacobian and dual kernel
# --------------------------------------------------------------------------
def relu_gram_factor(rho: Any) -> Array:
    """The function ``g(t) = t (1 - arccos(t) / pi) / 2`` of Definition 2.

    ``g(rho) * ||u||**2`` is the expected Gram entry of two ReLU-derivative
    masks times ``<u_i, u_j>`` (the arc-cosine kernel of order 0, times the
    inner product).

    Parameters
    ----------
    rho : array_like
        Cosine similarities in ``[-1, 1]`` (values within 1e-12 outside are clipped).

    Returns
    -------
    ndarray
        ``g`` applied entrywise.
    """
    rho = as_real_array(rho, "rho")
    if np.any(np.abs(rho) > 1 + 1e-12):
        raise ValueError("rho must lie in [-1, 1] (cosine similarities)")
    rho = np.clip(rho, -1.0, 1.0)
    return 0.5 * rho * (1.0 - np.arccos(rho) / np.pi)


def expected_jacobian_gram(U: Any) -> Array:
    """Closed form of ``Sigma(U) = E[J(C) J(C)^T]`` (denoising paper, eq. 13).

    For ``G(C) = ReLU(U C) v`` with ``||v||_2 = 1`` and ``C`` with i.i.d.
    centred Gaussian entries,

    .. math::

        \\Sigma_{ij} = \\tfrac12\\Big(1 - \\tfrac1\\pi\\arccos\\rho_{ij}\\Big)
        \\langle u_i, u_j\\rangle,\\qquad
        \\rho_{ij} = \\frac{\\langle u_i, u_j\\rangle}{\\|u_i\\|\\|u_j\\|},

    where ``u_i`` are the rows of ``U``.  ``U`` need not be square or circulant.

    Parameters
    ----------
    U : array_like, shape (n, q)
        Real finite matrix with no zero row.

    Returns
    -------
    ndarray, shape (n, n)
        The symmetric positive semi-definite matrix ``Sigma(U)``.
    """
    U = as_real_array(U, "U", ndim=2)
    norms = np.linalg.norm(U, axis=1)
    if np.any(norms == 0):
        raise ValueError(
            f"U must have no zero row (row {int(np.argmin(norms))} is zero): "
            "the cosine similarity of a zero row is undefined"
        )
    G = U @ U.T
    rho = np.clip(G / np.outer(norms, norms), -1.0, 1.0)
    # arccos has infinite slope at 1: a rounding error of 1e-16 in rho_ii = 1
    # would become an error of 1e-8 in Sigma_ii.  The diagonal is exactly 1.
    np.fill_diagonal(rho, 1.0)
    return 0.5 * (1.0 - np.arccos(rho) / np.pi) * G


def dual_kernel(u: Any, n: int) -> Array:
    """The dual kernel ``sigma`` of Definition 2, computed with the FFT.

    .. math::

        \\sigma = \\|u\\|\\sqrt{\\Big|F\\, g\\Big(\\frac{u \\star u}{\\|u\\|^2}\\Big)\\Big|},
        \\qquad g(t) = \\tfrac t2\\Big(1 - \\tfrac{\\arccos t}{\\pi}\\Big),

    where ``(u ⋆ u)[s] = sum_m u[m] u[(m + s) mod n]`` is the circular
    **autocorrelation** of ``u`` (the convolution of ``u`` with its reversal;
    for a symmetric kernel it equals the convolution ``u * u``).  It is
    computed as ``ifft(|fft(u)|**2)`` in ``O(n log n)``.

    The entries are indexed like the columns of :func:`trig_basis`, so that for
    **every** real kernel

    ``trig_basis(n).T @ expected_jacobian_gram(circulant(u, n)) @ trig_basis(n)
    == diag(dual_kernel(u, n) ** 2)``.

    Parameters
    ----------
    u : array_like, shape (L,)
        Real finite non-zero kernel, ``L <= n``, in the wrapped layout of
        :func:`circulant`.
    n : int
        Signal length.

    Returns
    -------
    ndarray, shape (n,)
        Non-negative weights; ``sigma[i] == sigma[n - i]``.
    """
    col, n = _pad_kernel(u, n)
    norm2 = float(col @ col)
    if norm2 == 0:
        raise ValueError("kernel u must not be all zeros")
    autocorr = np.fft.irfft(np.abs(np.fft.rfft(col)) ** 2, n)
    rho = np.clip(autocorr / norm2, -1.0, 1.0)
    rho[0] = 1.0  # exact: avoids the sqrt(eps) error of arccos near 1
    first_column = norm2 * 0.5 * rho * (1.0 - np.arccos(rho) / np.pi)
    # Sigma(U) is symmetric circulant, so its eigenvalues are the (real) DFT of
    # its first column; they are >= 0 up to rounding.
    eig = np.fft.fft(first_column).real
    return np.sqrt(np.maximum(eig, 0.0))


# --------------------------------------------------------------------------
# Gradient descent on linear least squares (denoising paper, Section 3)
# --------------------------------------------------------------------------
def _check_least_squares(J: Any, y: Any, eta: Any, steps: Any) -> tuple[Array, Array, float, int]:
    J = as_real_array(J, "J", ndim=2)
    y = as_real_array(y, "y", ndim=1)
    if y.shape[0] != J.shape[0]:
        raise ValueError(
            f"y must have length J.shape[0] = {J.shape[0]}, got length {y.shape[0]}"
        )
    eta = check_positive(eta, "eta")
    steps = check_int(steps, "steps", 0)
    smax = float(np.linalg.norm(J, 2))
    if smax > 0 and eta >= 2.0 / smax**2:
        raise ValueError(
            f"eta = {eta:.6g} is at or above the stability limit 2/||J||^2 = {2 / smax**2:.6g}: "
            f"gradient descent would not converge; use 0 < eta < 2/||J||^2 "
            f"(the papers take eta <= 1/||J||^2 = {1 / smax**2:.6g})"
        )
    return J, y, eta, steps


def gd_least_squares(
    J: Any, y: Any, eta: float, steps: int, return_coefficients: bool = False
) -> Array | tuple[Array, Array]:
    """Run gradient descent on ``L(c) = 1/2 ||y - J c||^2`` from ``c_0 = 0``.

    The update is ``c_{t+1} = c_t - eta * J.T @ (J c_t - y)``.

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
    """
    J, y, eta, steps = _check_least_squares(J, y, eta, steps)
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
    values (``sigma_i = 0`` for ``i > rank``).

    Parameters
    ----------
    J, y, eta, steps
        As in :func:`gd_least_squares`.

    Returns
    -------
    ndarray, shape (steps + 1, n)
        Row ``t`` is the predicted residual ``r_t``; it agrees with
        :func:`gd_least_squares` to rounding error (about 1e-12).
    """
    J, y, eta, steps = _check_least_squares(J, y, eta, steps)
    n, m = J.shape
    W, s, _ = np.linalg.svd(J, full_matrices=True)
    sigma = np.zeros(n)
    sigma[: s.shape[0]] = s
    coeff = W.T @ y  # <w_i, y>
    factors = (1.0 - eta * sigma**2)[None, :] ** np.arange(steps + 1)[:, None]
    return (factors * coeff[None, :]) @ W.T
