"""The real trigonometric basis and circulant matrices (chapter 2).

A circulant matrix is diagonalised by the DFT; for a real kernel its singular
vectors can be taken from the real orthonormal trigonometric basis of
Definition 1 of the denoising paper, and its singular values are ``|DFT(u)|``.

Conventions
-----------
* Indices start at 0, as in Definition 1 of the denoising paper: column ``i``
  of :func:`trig_basis` is the function :math:`w_i`, ``i = 0, ..., n-1``.
* A kernel ``u`` of length ``<= n`` is zero-padded to length ``n`` and read
  *circularly*, with its centre at index 0: the kernel value at offset
  :math:`-m` is stored at index :math:`n - m`.  :func:`dd_lib.triangular_kernel`
  and :func:`dd_lib.gaussian_kernel` build kernels in this layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._checks import as_real_array, check_int

Array = NDArray[np.float64]


def trig_frequencies(n: int) -> NDArray[np.int64]:
    """Frequency (number of periods over ``n`` samples) of each basis function.

    Taught in chapter 2; used in chapter 3.

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

    Examples
    --------
    >>> trig_frequencies(6).tolist()
    [0, 1, 2, 3, 2, 1]
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

    Taught in chapter 2; used in chapters 3, 4 and 5.

    Parameters
    ----------
    n : int
        Signal length, ``n >= 1``.

    Returns
    -------
    ndarray of int, shape (n,)
        A permutation of ``0, ..., n-1``.

    Examples
    --------
    >>> frequency_order(6).tolist()
    [0, 1, 5, 2, 4, 3]
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

    Taught in chapter 2; used in chapters 3, 4 and 5.

    Parameters
    ----------
    n : int
        Signal length, ``n >= 1``.

    Returns
    -------
    ndarray, shape (n, n)
        Orthonormal matrix ``W`` (``W.T @ W = I``).

    Examples
    --------
    >>> W = trig_basis(4)
    >>> print(np.round(W * 2, 3) + 0.0)  # columns: constant, cosine, alternating, sine
    [[ 1.     1.414  1.     0.   ]
     [ 1.     0.    -1.    -1.414]
     [ 1.    -1.414  1.     0.   ]
     [ 1.     0.    -1.     1.414]]
    >>> bool(np.allclose(W.T @ W, np.eye(4)))
    True
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


def pad_kernel(u: Any, n: int) -> tuple[Array, int]:
    """Validate a kernel and zero-pad it to length ``n`` (private helper of the kernel
    routines)."""
    n = check_int(n, "n", 1)
    u = as_real_array(u, "u", ndim=1)
    if u.shape[0] > n:
        raise ValueError(
            f"kernel u has length {u.shape[0]} but must be no longer than n = {n}"
        )
    out = np.zeros(n)
    out[: u.shape[0]] = u
    return out, n


def circulant(u: Any, n: int) -> Array:
    """The ``n x n`` circulant matrix of the kernel ``u``:
    ``U[i, j] = u[(i - j) mod n]``.

    ``U @ c`` is the circular convolution ``u * c``.  Its first column is ``u``
    zero-padded to length ``n``.

    Taught in chapter 2; used in chapters 3 and 4.

    Parameters
    ----------
    u : array_like, shape (L,)
        Real finite kernel, ``1 <= L <= n``, centred at index 0 (wrapped).
    n : int
        Size of the matrix.

    Returns
    -------
    ndarray, shape (n, n)

    Examples
    --------
    >>> print(circulant([1.0, 2.0], 3))
    [[1. 0. 2.]
     [2. 1. 0.]
     [0. 2. 1.]]
    """
    col, n = pad_kernel(u, n)
    idx = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
    return col[idx]
