"""The expected Jacobian Gram matrix and the dual kernel (chapter 3).

For the two-layer generator ``G(C) = ReLU(U C) v`` with Gaussian weights
``C``, the expected Gram matrix of the Jacobian, ``Sigma(U) = E[J J^T]``, has
a closed form (the arc-cosine kernel of order 0 times ``U U^T``); when ``U`` is
circulant it is circulant too, and its eigenvalues are the squared *dual
kernel* of Definition 2 of the denoising paper.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import as_real_array
from .trig import pad_kernel

Array = NDArray[np.float64]


def _g(rho: Array) -> Array:
    """``g(t) = t (1 - arccos(t) / pi) / 2`` on values already in ``[-1, 1]``."""
    return 0.5 * rho * (1.0 - np.arccos(rho) / np.pi)


def relu_gram_factor(rho: Any) -> Array:
    """The function ``g(t) = t (1 - arccos(t) / pi) / 2`` of Definition 2.

    ``g(rho) * ||u||**2`` is the expected Gram entry of two ReLU-derivative
    masks times ``<u_i, u_j>`` (the arc-cosine kernel of order 0, times the
    inner product).

    Taught in chapter 3.

    Parameters
    ----------
    rho : array_like
        Cosine similarities in ``[-1, 1]`` (values within 1e-12 outside are clipped).

    Returns
    -------
    ndarray
        ``g`` applied entrywise.

    Examples
    --------
    >>> print(np.round(relu_gram_factor([-1.0, 0.0, 0.5, 1.0]), 4) + 0.0)
    [0.     0.     0.1667 0.5   ]
    """
    rho = as_real_array(rho, "rho")
    if np.any(np.abs(rho) > 1 + 1e-12):
        raise ValueError("rho must lie in [-1, 1] (cosine similarities)")
    return _g(np.clip(rho, -1.0, 1.0))


def expected_jacobian_gram(U: Any) -> Array:
    """Closed form of ``Sigma(U) = E[J(C) J(C)^T]`` (denoising paper, eq. 13).

    For ``G(C) = ReLU(U C) v`` with ``||v||_2 = 1`` and ``C`` with i.i.d.
    centred Gaussian entries,

    .. math::

        \\Sigma_{ij} = \\tfrac12\\Big(1 - \\tfrac1\\pi\\arccos\\rho_{ij}\\Big)
        \\langle u_i, u_j\\rangle,\\qquad
        \\rho_{ij} = \\frac{\\langle u_i, u_j\\rangle}{\\|u_i\\|\\|u_j\\|},

    where ``u_i`` are the rows of ``U``, that is
    ``Sigma_ij = g(rho_ij) ||u_i|| ||u_j||`` with ``g`` of
    :func:`relu_gram_factor`.  ``U`` need not be square or circulant.

    Taught in chapter 3.

    Parameters
    ----------
    U : array_like, shape (n, q)
        Real finite matrix with no zero row.

    Returns
    -------
    ndarray, shape (n, n)
        The symmetric positive semi-definite matrix ``Sigma(U)``.

    Examples
    --------
    Orthogonal rows are uncorrelated; the diagonal is ``||u_i||^2 / 2``:

    >>> print(np.round(expected_jacobian_gram([[1.0, 0.0], [0.0, 2.0]]), 3))
    [[0.5 0. ]
     [0.  2. ]]
    >>> print(np.round(expected_jacobian_gram([[1.0, 0.0], [1.0, 1.0]]), 4))
    [[0.5   0.375]
     [0.375 1.   ]]
    """
    U = as_real_array(U, "U", ndim=2)
    norms = np.linalg.norm(U, axis=1)
    if np.any(norms == 0):
        raise ValueError(
            f"U must have no zero row (row {int(np.argmin(norms))} is zero): "
            "the cosine similarity of a zero row is undefined"
        )
    outer = np.outer(norms, norms)
    rho = np.clip((U @ U.T) / outer, -1.0, 1.0)
    # arccos has infinite slope at 1: a rounding error of 1e-16 in rho_ii = 1
    # would become an error of 1e-8 in Sigma_ii.  The diagonal is exactly 1.
    np.fill_diagonal(rho, 1.0)
    return _g(rho) * outer


def dual_kernel(u: Any, n: int) -> Array:
    """The dual kernel ``sigma`` of Definition 2, computed with the FFT.

    .. math::

        \\sigma = \\|u\\|
        \\sqrt{\\Big|F\\, g\\Big(\\frac{u \\star u}{\\|u\\|^2}\\Big)\\Big|},
        \\qquad g(t) = \\tfrac t2\\Big(1 - \\tfrac{\\arccos t}{\\pi}\\Big),

    where ``(u ⋆ u)[s] = sum_m u[m] u[(m + s) mod n]`` is the circular
    **autocorrelation** of ``u`` (the convolution of ``u`` with its reversal;
    for a symmetric kernel it equals the convolution ``u * u``).  It is
    computed as ``ifft(|fft(u)|**2)`` in ``O(n log n)``.

    The entries are indexed like the columns of :func:`dd_lib.trig_basis`, so
    that for **every** real kernel

    ``trig_basis(n).T @ expected_jacobian_gram(circulant(u, n)) @ trig_basis(n)
    == diag(dual_kernel(u, n) ** 2)``.

    Taught in chapter 3; used in chapters 4 and 5.

    Parameters
    ----------
    u : array_like, shape (L,)
        Real finite non-zero kernel, ``L <= n``, in the wrapped layout of
        :func:`dd_lib.circulant`.
    n : int
        Signal length.

    Returns
    -------
    ndarray, shape (n,)
        Non-negative weights; ``sigma[i] == sigma[n - i]``.

    Examples
    --------
    The identity kernel gives a flat dual kernel ``1/sqrt(2)``; a wider kernel
    decays with frequency:

    >>> print(np.round(dual_kernel([1.0], 4), 4))
    [0.7071 0.7071 0.7071 0.7071]
    >>> print(np.round(dual_kernel([1.0, 1.0], 6), 3))
    [1.291 1.155 0.816 0.577 0.816 1.155]
    """
    col, n = pad_kernel(u, n)
    norm2 = float(col @ col)
    if norm2 == 0:
        raise ValueError("kernel u must not be all zeros")
    autocorr = np.fft.irfft(np.abs(np.fft.rfft(col)) ** 2, n)
    rho = np.clip(autocorr / norm2, -1.0, 1.0)
    rho[0] = 1.0  # exact: avoids the sqrt(eps) error of arccos near 1
    first_column = norm2 * _g(rho)
    # Sigma(U) is symmetric circulant, so its eigenvalues are the (real) DFT of
    # its first column; they are >= 0 up to rounding.
    eig = np.fft.fft(first_column).real
    return np.sqrt(np.maximum(eig, 0.0))
