"""Forward operators ``A`` for :func:`dd_lib.fit`: what is measured of the image.

Taught in chapter 6 (identity: denoising); chapter 8 uses the pixel mask and the
Gaussian matrix for compressive sensing, chapter 9 adds a multi-coil Fourier operator.
Each operator is a ``torch.nn.Module`` mapping the generator output ``(1, C, ...)``
to the measurements, so it moves to a device with ``.to(device)`` and is
differentiable.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from ._checks import check_int, check_positive
from .config import get_device

__all__ = ["PixelMask", "GaussianMeasurement"]


class PixelMask(nn.Module):
    """Keep a subset of the pixels (inpainting): ``A(x) = M * x``.

    Taught in chapter 8 (the setting the CS paper's Figure 1 code ran).

    Parameters
    ----------
    shape : tuple of int
        Image shape without batch and channel axes, e.g. ``(H, W)``.
    keep : float
        Fraction of pixels kept, in ``(0, 1]``; the same pixels in every channel.
    seed : int
        Seed of the random mask.
    device : torch.device or str, optional
        Default :func:`dd_lib.get_device`.

    Examples
    --------
    >>> A = PixelMask((8, 8), keep=0.25, seed=0, device="cpu")
    >>> int(A.mask.sum()), tuple(A(torch.ones(1, 3, 8, 8)).shape)
    (16, (1, 3, 8, 8))
    """

    mask: torch.Tensor  # a buffer, registered in __init__

    def __init__(
        self, shape: tuple[int, ...], keep: float, *, seed: int, device: Any = None
    ) -> None:
        super().__init__()
        if check_positive(keep, "keep") > 1:
            raise ValueError(f"keep must be a fraction in (0, 1], got {keep!r}")
        shape = tuple(check_int(s, "shape[i]", 1) for s in shape)
        n = int(np.prod(shape))
        rng = np.random.default_rng(check_int(seed, "seed", 0))
        flat = np.zeros(n, dtype=np.float32)
        flat[rng.choice(n, size=max(1, round(keep * n)), replace=False)] = 1.0
        self.register_buffer("mask", torch.as_tensor(flat.reshape(shape)))
        self.to(get_device() if device is None else torch.device(device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[2:]) != tuple(self.mask.shape):
            raise ValueError(
                f"image shape {tuple(x.shape[2:])} does not match the mask "
                f"{tuple(self.mask.shape)}"
            )
        return x * self.mask


class GaussianMeasurement(nn.Module):
    """``m`` Gaussian linear measurements of the whole image: ``A(x) = A vec(x)``.

    Taught in chapter 8.  ``A`` has i.i.d. ``N(0, 1/m)`` entries, so that
    ``E ||A x||^2 = ||x||^2``.

    Parameters
    ----------
    m : int
        Number of measurements, at least 1.
    shape : tuple of int
        Shape of the generator output without the batch axis, e.g. ``(1, H, W)``.
    seed : int
        Seed of the matrix.
    device : torch.device or str, optional
        Default :func:`dd_lib.get_device`.

    Examples
    --------
    >>> A = GaussianMeasurement(10, (1, 4, 4), seed=0, device="cpu")
    >>> tuple(A(torch.ones(1, 1, 4, 4)).shape)
    (10,)
    """

    matrix: torch.Tensor  # a buffer, registered in __init__

    def __init__(
        self, m: int, shape: tuple[int, ...], *, seed: int, device: Any = None
    ) -> None:
        super().__init__()
        m = check_int(m, "m", 1)
        n = int(np.prod([check_int(s, "shape[i]", 1) for s in shape]))
        self.shape = tuple(shape)
        gen = torch.Generator().manual_seed(check_int(seed, "seed", 0))
        self.register_buffer("matrix", torch.randn((m, n), generator=gen) / np.sqrt(m))
        self.to(get_device() if device is None else torch.device(device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[1:]) != self.shape:
            raise ValueError(
                f"image shape {tuple(x.shape[1:])} does not match the operator's "
                f"{self.shape}"
            )
        return self.matrix @ x.reshape(-1)
