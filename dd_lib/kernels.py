"""Convolution kernels of the papers' figures: triangular and Gaussian (chapters 2-5).

Both are returned with unit l2 norm in the wrapped layout of
:func:`dd_lib.circulant` (centre at index 0, negative offsets at the end).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._checks import check_int, check_positive

Array = NDArray[np.float64]


def _centred_offsets(n: int) -> Array:
    i = np.arange(n)
    return np.minimum(i, n - i).astype(np.float64)


def triangular_kernel(half_width: float, n: int) -> Array:
    """Unit-norm triangular kernel ``max(0, 1 - |m| / half_width)``, centred at 0.

    ``half_width = 2`` gives (up to normalisation) ``[1/2, 1, 1/2]``, the kernel
    of linear 2x upsampling.

    Taught in chapter 2; used in chapters 3, 4 and 5.

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
        Kernel in the wrapped layout of :func:`dd_lib.circulant`, with unit l2 norm.

    Examples
    --------
    >>> u = triangular_kernel(2, 8)
    >>> print(np.round(u / u[0], 3))
    [1.  0.5 0.  0.  0.  0.  0.  0.5]
    >>> round(float(np.linalg.norm(u)), 6)
    1.0
    """
    half_width = check_positive(half_width, "half_width")
    n = check_int(n, "n", 1)
    if half_width > n / 2:
        raise ValueError(f"half_width must be at most n/2 = {n / 2}, got {half_width}")
    u = np.maximum(0.0, 1.0 - _centred_offsets(n) / half_width)
    return u / np.linalg.norm(u)


def gaussian_kernel(std: float, n: int) -> Array:
    """Unit-norm Gaussian kernel ``exp(-m**2 / (2 std**2))``, centred at 0.

    Taught in chapter 2; used in chapters 3, 4 and 5.

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
        Kernel in the wrapped layout of :func:`dd_lib.circulant`, with unit l2 norm.

    Examples
    --------
    >>> g = gaussian_kernel(1.0, 8)
    >>> print(np.round(g / g[0], 3))
    [1.    0.607 0.135 0.011 0.    0.011 0.135 0.607]
    """
    std = check_positive(std, "std")
    n = check_int(n, "n", 1)
    if std > n / 4:
        raise ValueError(f"std must be at most n/4 = {n / 4}, got {std}")
    u = np.exp(-(_centred_offsets(n) ** 2) / (2 * std**2))
    return u / np.linalg.norm(u)
