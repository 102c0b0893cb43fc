"""Image quality metrics: thin, validated wrappers over scikit-image."""

from __future__ import annotations

from typing import Any

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from ._checks import as_real_array, check_positive


def _pair(reference: Any, estimate: Any) -> tuple[np.ndarray, np.ndarray]:
    ref = as_real_array(reference, "reference")
    est = as_real_array(estimate, "estimate")
    if ref.shape != est.shape:
        raise ValueError(
            "reference and estimate must have the same shape, "
            f"got {ref.shape} and {est.shape}"
        )
    return ref, est


def psnr(reference: Any, estimate: Any, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(data_range**2 / MSE)``.

    Parameters
    ----------
    reference, estimate : array_like
        Images of the same shape (any number of dimensions), finite real values.
    data_range : float, default 1.0
        The peak value range of the images (1 for images in ``[0, 1]``).

    Returns
    -------
    float
        PSNR in decibels (``inf`` if the images are identical).

    Used in chapters 6 to 9 (image reconstructions).

    Examples
    --------
    An error of 0.1 everywhere on a [0, 1] image is 20 dB:

    >>> x = np.zeros((8, 8))
    >>> round(psnr(x, x + 0.1), 2)
    20.0
    """
    ref, est = _pair(reference, estimate)
    data_range = check_positive(data_range, "data_range")
    return float(peak_signal_noise_ratio(ref, est, data_range=data_range))


def ssim(
    reference: Any,
    estimate: Any,
    data_range: float = 1.0,
    channel_axis: int | None = None,
) -> float:
    """Structural similarity index (Wang et al., 2004) via scikit-image.

    Parameters
    ----------
    reference, estimate : array_like
        2-D grey images, or colour images with the channel axis given by
        ``channel_axis``; both at least 7 pixels along each spatial axis.
    data_range : float, default 1.0
        The peak value range of the images.
    channel_axis : int, optional
        Axis holding colour channels, ``None`` for grey images.

    Returns
    -------
    float
        Mean SSIM, at most 1.

    Used in chapters 6 to 9 (image reconstructions).

    Examples
    --------
    >>> x = np.linspace(0.0, 1.0, 64).reshape(8, 8)
    >>> ssim(x, x)
    1.0
    >>> bool(ssim(x, x[::-1]) < 0.5)
    True
    """
    ref, est = _pair(reference, estimate)
    data_range = check_positive(data_range, "data_range")
    spatial = [
        s
        for i, s in enumerate(ref.shape)
        if channel_axis is None or i != channel_axis % ref.ndim
    ]
    if ref.ndim < 2 or min(spatial) < 7:
        raise ValueError(
            "ssim needs images with at least 7 pixels along each spatial axis, "
            f"got shape {ref.shape}"
        )
    return float(
        structural_similarity(
            ref, est, data_range=data_range, channel_axis=channel_axis
        )
    )
