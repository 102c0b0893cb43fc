"""Test images, noise protocols, and the image <-> tensor layout.

Taught in chapter 6; used by chapters 7-9.

Images are NumPy float arrays in ``[0, 1]``: ``(H, W)`` grey or ``(H, W, 3)``
colour, as scikit-image uses them.  Generators work on tensors ``(1, C, H, W)``;
:func:`to_tensor` and :func:`to_image` convert between the two.  Test images come
from ``skimage.data`` (shipped inside the scikit-image wheel; nothing is
downloaded), cropped to the central square and resized by :func:`test_image`.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import NDArray
from skimage import data as skdata
from skimage.transform import resize

from ._checks import as_real_array, check_int

__all__ = ["TEST_IMAGES", "test_image", "add_noise", "to_tensor", "to_image"]

Array = NDArray[np.float64]

#: Test images of ``skimage.data`` that load offline: name -> (loader, colour?).
TEST_IMAGES: dict[str, tuple[str, bool]] = {
    "camera": ("camera", False),
    "phantom": ("shepp_logan_phantom", False),
    "brick": ("brick", False),
    "grass": ("grass", False),
    "gravel": ("gravel", False),
    "moon": ("moon", False),
    "coins": ("coins", False),
    "clock": ("clock", False),
    "astronaut": ("astronaut", True),
    "coffee": ("coffee", True),
    "chelsea": ("chelsea", True),
    "rocket": ("rocket", True),
    "immunohistochemistry": ("immunohistochemistry", True),
    "hubble": ("hubble_deep_field", True),
}


def test_image(name: str, size: int, *, grey: bool = False) -> Array:
    """A test image from ``skimage.data``: central square crop, resized to
    ``size x size``.

    Taught in chapter 6.

    Parameters
    ----------
    name : str
        One of :data:`TEST_IMAGES` (``"camera"``, ``"phantom"`` (Shepp-Logan),
        ``"astronaut"``, ``"coffee"``, ...).
    size : int
        Side length in pixels, at least 8 (downsampling uses anti-aliasing).
    grey : bool, default False
        Convert a colour image to grey (ITU-R 601 luma).

    Returns
    -------
    ndarray
        Float64 in ``[0, 1]``, shape ``(size, size)`` or ``(size, size, 3)``.

    Examples
    --------
    >>> test_image("astronaut", 64).shape, test_image("camera", 64).shape
    ((64, 64, 3), (64, 64))
    >>> round(float(test_image("phantom", 32).max()), 3) <= 1.0
    True
    """
    if name not in TEST_IMAGES:
        raise ValueError(
            f"unknown test image {name!r}; choose one of {sorted(TEST_IMAGES)}"
        )
    size = check_int(size, "size", 8)
    loader, colour = TEST_IMAGES[name]
    img = np.asarray(getattr(skdata, loader)())
    img = img.astype(np.float64) / (255.0 if img.dtype == np.uint8 else 1.0)
    if colour and img.shape[-1] == 4:
        img = img[..., :3]
    h, w = img.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    img = img[top : top + s, left : left + s]
    if colour and grey:
        img = img @ np.array([0.299, 0.587, 0.114])
    out = resize(
        img,
        (size, size, *img.shape[2:]),
        anti_aliasing=s > size,
        order=3,
        mode="reflect",
    )
    return np.clip(out, 0.0, 1.0)


# not a test, although pytest's name rule says so
test_image.__test__ = False  # type: ignore[attr-defined]


def add_noise(
    image: Any,
    sigma: float,
    *,
    seed: int,
    protocol: Literal["independent", "shared"] = "independent",
    clip: bool | None = None,
) -> Array:
    """Add white Gaussian noise of standard deviation ``sigma`` to an image.

    Taught in chapter 6.

    Parameters
    ----------
    image : array_like
        Clean image in ``[0, 1]``, ``(H, W)`` or ``(H, W, C)``.
    sigma : float
        Noise standard deviation on the ``[0, 1]`` scale (e.g. ``25/255``), ``>= 0``.
    seed : int
        Seed of the noise (a local generator; nothing global is touched).
    protocol : {"independent", "shared"}, default "independent"
        ``"independent"``: an independent draw for every pixel and channel (the
        denoising paper's Figure 2).  ``"shared"``: one ``(H, W)`` field added to all
        colour channels (its Table 1), which makes the noise perfectly correlated
        across channels.
    clip : bool, optional
        Clip the result to ``[0, 1]``.  Default: ``True`` for ``"shared"`` (as the
        authors' Table 1 code does), ``False`` for ``"independent"`` (the Gaussian model
        of the theory, so that the noise has exactly variance ``sigma**2``).

    Returns
    -------
    ndarray
        The noisy image, float64, same shape as ``image``.

    Examples
    --------
    >>> x = np.full((4, 4, 3), 0.5)
    >>> y = add_noise(x, 0.1, seed=0, protocol="shared")
    >>> bool(np.allclose(y[..., 0], y[..., 2]))
    True
    """
    img = as_real_array(image, "image")
    if img.ndim not in (2, 3):
        raise ValueError(f"image must be (H, W) or (H, W, C), got shape {img.shape}")
    if not (np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"sigma must be a finite number >= 0, got {sigma!r}")
    if protocol not in ("independent", "shared"):
        raise ValueError(
            f"protocol must be 'independent' or 'shared', got {protocol!r}"
        )
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    if protocol == "shared":
        noise = rng.standard_normal(img.shape[:2])
        noise = noise[..., None] if img.ndim == 3 else noise
    else:
        noise = rng.standard_normal(img.shape)
    out = img + sigma * noise
    if clip if clip is not None else protocol == "shared":
        out = np.clip(out, 0.0, 1.0)
    return out


def to_tensor(image: Any, device: torch.device | str = "cpu") -> torch.Tensor:
    """Image ``(H, W)``, ``(H, W, C)`` or signal ``(n,)`` -> float32 tensor
    ``(1, C, ...)``.

    Taught in chapter 6.  A 3-D array is read as ``(H, W, C)`` when its last axis has at
    most 4 entries; a tensor is returned as float32 on ``device`` unchanged in shape.

    Examples
    --------
    >>> (
    ...     tuple(to_tensor(np.zeros((8, 8, 3))).shape),
    ...     tuple(to_tensor(np.zeros(16)).shape),
    ... )
    ((1, 3, 8, 8), (1, 1, 16))
    """
    if isinstance(image, torch.Tensor):
        return image.detach().to(device=device, dtype=torch.float32)
    arr = as_real_array(image, "image")
    if arr.ndim == 1 or arr.ndim == 2:
        t = arr[None, None]
    elif arr.ndim == 3 and arr.shape[-1] <= 4:
        t = np.moveaxis(arr, -1, 0)[None]
    elif arr.ndim == 4 and arr.shape[0] == 1:
        t = arr
    else:
        raise ValueError(
            "image must be (n,), (H, W), (H, W, C) with C <= 4, or (1, C, H, W); "
            f"got shape {arr.shape}"
        )
    return torch.as_tensor(np.ascontiguousarray(t), dtype=torch.float32, device=device)


def to_image(tensor: torch.Tensor) -> Array:
    """Tensor ``(1, C, H, W)`` or ``(1, C, n)`` -> float64 image ``(H, W)``,
    ``(H, W, C)`` or ``(n,)``.

    Taught in chapter 6.  The inverse of :func:`to_tensor`.

    Examples
    --------
    >>> to_image(torch.zeros(1, 3, 8, 8)).shape, to_image(torch.zeros(1, 1, 16)).shape
    ((8, 8, 3), (16,))
    """
    if tensor.ndim not in (3, 4) or tensor.shape[0] != 1:
        raise ValueError(
            "expected a tensor (1, C, H, W) or (1, C, n), "
            f"got shape {tuple(tensor.shape)}"
        )
    arr = tensor.detach().float().cpu().numpy()[0].astype(np.float64)
    if arr.shape[0] == 1:
        return arr[0]
    return np.moveaxis(arr, 0, -1) if arr.ndim == 3 else arr
