"""Classical denoisers, through their libraries (never re-implemented).

Taught in chapter 6, as the baselines of the denoising comparison.

- BM3D (Dabov et al., 2007): the ``bm3d`` package (4.0.3, a non-commercial licence);
  :func:`bm3d.bm3d` for grey and :func:`bm3d.bm3d_rgb` for colour images.
- Total variation (Rudin, Osher & Fatemi, 1992): :func:`skimage.restoration.denoise_tv_chambolle`.
- Non-local means (Buades, Coll & Morel, 2005): :func:`skimage.restoration.denoise_nl_means`.
- Wavelet shrinkage (BayesShrink, Chang, Yu & Vetterli, 2000):
  :func:`skimage.restoration.denoise_wavelet`.

Every denoiser is given the true noise standard deviation ``sigma``.  The one free
parameter of TV, NL-means and wavelets is written as a multiple ``strength`` of
``sigma`` (TV weight, NL-means filter parameter ``h``, wavelet noise level);
:func:`tune_strength` chooses it on an image outside the comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, denoise_wavelet

from ._checks import as_real_array, check_positive
from .metrics import psnr

__all__ = ["CLASSICAL_DENOISERS", "denoise", "tune_strength"]

Array = NDArray[np.float64]

#: The classical denoisers of the comparison and the default strength of each
#: (a multiple of sigma; BM3D takes sigma itself and has no free parameter here).
CLASSICAL_DENOISERS: dict[str, float] = {"BM3D": 1.0, "TV": 1.0, "NL-means": 0.8, "wavelet": 1.0}


def _channel_axis(img: Array) -> int | None:
    return -1 if img.ndim == 3 else None


def denoise(method: str, noisy: Any, sigma: float, strength: float | None = None) -> Array:
    """Denoise an image with a classical method, given the noise level.

    Taught in chapter 6.

    Parameters
    ----------
    method : {"BM3D", "TV", "NL-means", "wavelet"}
        The denoiser.
    noisy : array_like
        Noisy image, ``(H, W)`` grey or ``(H, W, 3)`` colour, values about ``[0, 1]``.
    sigma : float
        True noise standard deviation (on the ``[0, 1]`` scale), positive.
    strength : float, optional
        The method's parameter as a multiple of ``sigma`` (default
        :data:`CLASSICAL_DENOISERS`): TV weight ``strength * sigma``; NL-means
        ``h = strength * sigma`` (patch 5, search distance 6, ``fast_mode``);
        wavelet noise estimate ``strength * sigma`` (BayesShrink, soft thresholds,
        ``db1``, the library's defaults); BM3D ``sigma_psd = strength * sigma``.

    Returns
    -------
    ndarray
        The estimate, clipped to ``[0, 1]``, same shape as ``noisy``.

    Examples
    --------
    >>> import dd_lib as dd
    >>> x = dd.test_image("camera", 64)
    >>> y = dd.add_noise(x, 0.1, seed=0)
    >>> bool(dd.psnr(x, denoise("TV", y, 0.1)) > dd.psnr(x, y))
    True
    """
    if method not in CLASSICAL_DENOISERS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(CLASSICAL_DENOISERS)}")
    img = as_real_array(noisy, "noisy")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] != 3):
        raise ValueError(f"noisy must be (H, W) or (H, W, 3), got shape {img.shape}")
    sigma = check_positive(sigma, "sigma")
    s = CLASSICAL_DENOISERS[method] if strength is None else check_positive(strength, "strength")
    ch = _channel_axis(img)
    if method == "BM3D":
        import bm3d  # imported lazily: only this method needs it

        out = bm3d.bm3d_rgb(img, s * sigma) if img.ndim == 3 else bm3d.bm3d(img, s * sigma)
    elif method == "TV":
        out = denoise_tv_chambolle(img, weight=s * sigma, channel_axis=ch)
    elif method == "NL-means":
        out = denoise_nl_means(
            img, h=s * sigma, sigma=sigma, patch_size=5, patch_distance=6, fast_mode=True, channel_axis=ch
        )
    else:
        out = denoise_wavelet(img, sigma=s * sigma, method="BayesShrink", mode="soft", channel_axis=ch,
                              rescale_sigma=True)
    return np.clip(np.asarray(out, dtype=np.float64), 0.0, 1.0)


def tune_strength(
    method: str, clean: Any, noisy: Any, sigma: float, grid: Sequence[float] | None = None
) -> tuple[float, Array]:
    """Choose a denoiser's strength (multiple of ``sigma``) by PSNR on a tuning image.

    Taught in chapter 6.  Use an image that is *not* in the comparison, so that the
    comparison is not tuned on its own test data.

    Parameters
    ----------
    method : str
        One of :data:`CLASSICAL_DENOISERS`.
    clean, noisy : array_like
        The tuning image and its noisy version.
    sigma : float
        True noise standard deviation.
    grid : sequence of float, optional
        Strengths to try (default: 0.25 to 4 in 13 log-spaced steps; BM3D: 1 only).

    Returns
    -------
    strength : float
        The grid value with the highest PSNR.
    psnrs : ndarray
        PSNR (dB) for every grid value.

    Examples
    --------
    >>> import dd_lib as dd
    >>> x = dd.test_image("moon", 32); y = dd.add_noise(x, 0.1, seed=1)
    >>> s, p = tune_strength("TV", x, y, 0.1, grid=[0.5, 1.0, 2.0])
    >>> s in (0.5, 1.0, 2.0), p.shape
    (True, (3,))
    """
    clean_arr = as_real_array(clean, "clean")
    if grid is None:
        grid = [1.0] if method == "BM3D" else list(np.round(np.geomspace(0.25, 4.0, 13), 3))
    if len(grid) == 0:
        raise ValueError("grid must contain at least one strength")
    scores = np.array([psnr(clean_arr, denoise(method, noisy, sigma, g)) for g in grid])
    return float(grid[int(np.argmax(scores))]), scores
