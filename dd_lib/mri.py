"""MRI: the centred orthonormal Fourier transform, root-sum-of-squares coil combination,
Cartesian undersampling masks with fastMRI's semantics, and a reader for fastMRI files.

Taught in chapter 9 (MRI compressive sensing).  The conventions are those of the
fastMRI dataset and its public code (Zbontar et al., 2018), so that results are
comparable with the field's:

- k-space and images are complex arrays whose last two axes are the image axes; the
  *centred* transform puts the zero frequency in the middle of k-space, at index
  ``size // 2`` of each axis;
- a Cartesian mask samples whole phase-encoding lines (the last axis, of ``width``
  columns): a fully sampled band of low frequencies in the centre, and further lines
  outside it;
- the root-sum-of-squares over the coil axis combines coil images into one magnitude
  image.

Reading fastMRI files needs ``h5py``; it is imported when :func:`load_fastmri_slice` is
first called.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ._checks import check_int, check_nonnegative
from .metrics import psnr, ssim

__all__ = [
    "fft2c",
    "ifft2c",
    "rss",
    "MASK_KINDS",
    "cartesian_mask",
    "load_fastmri_slice",
    "MultiCoilFourier",
    "center_crop",
    "mri_metrics",
    "BRAIN_SLICES_MM",
    "brain_slice",
    "smooth_phase",
    "simulate_multicoil",
    "SIGPY_METHODS",
    "espirit_maps",
    "sigpy_reconstruction",
    "MRIFit",
    "fit_mri_decoder",
]

#: The kinds of :func:`cartesian_mask`.
MASK_KINDS: tuple[str, ...] = ("random", "equispaced")


def _as_complex(x: Any, name: str) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(
            f"{name} must have at least two axes (the image axes are the last two), "
            f"got shape {tuple(x.shape)}"
        )
    if not x.is_complex():
        raise ValueError(
            f"{name} must be complex (e.g. torch.complex64), got {x.dtype}; "
            "use torch.complex(x, torch.zeros_like(x)) for a real image"
        )
    return x


def _centred(transform: Any, x: torch.Tensor) -> torch.Tensor:
    """``fftshift(transform(ifftshift(x), norm="ortho"))`` over the last two axes."""
    dims = (-2, -1)
    shifted = torch.fft.ifftshift(x, dim=dims)
    return torch.fft.fftshift(transform(shifted, norm="ortho"), dim=dims)


def fft2c(x: torch.Tensor) -> torch.Tensor:
    """Centred orthonormal 2-D Fourier transform over the last two axes.

    ``fftshift(fft2(ifftshift(x), norm="ortho"))``: the image centre (index
    ``size // 2``) is the origin of the transform, and the zero frequency lands at
    index ``size // 2`` of k-space.  Orthonormal: ``||fft2c(x)|| = ||x||``, and
    :func:`ifft2c` inverts it exactly (up to rounding) for even and odd sizes.

    Taught in chapter 9.

    Parameters
    ----------
    x : torch.Tensor, complex, shape (..., H, W)

    Returns
    -------
    torch.Tensor
        Same shape and dtype.

    Raises
    ------
    ValueError
        If ``x`` is not a complex tensor with at least two axes.

    Examples
    --------
    >>> x = torch.zeros(4, 5, dtype=torch.complex64)
    >>> x[2, 2] = 1  # a point at the image centre
    >>> k = fft2c(x)
    >>> bool(torch.allclose(k, torch.full((4, 5), 1 / 20**0.5, dtype=k.dtype)))
    True
    """
    return _centred(torch.fft.fft2, _as_complex(x, "x"))


def ifft2c(k: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`fft2c`: ``fftshift(ifft2(ifftshift(k), norm="ortho"))``.

    Taught in chapter 9.

    Parameters
    ----------
    k : torch.Tensor, complex, shape (..., H, W)

    Returns
    -------
    torch.Tensor
        Same shape and dtype.

    Raises
    ------
    ValueError
        If ``k`` is not a complex tensor with at least two axes.

    Examples
    --------
    >>> x = torch.randn(3, 7, 6, dtype=torch.complex128)
    >>> bool(torch.allclose(ifft2c(fft2c(x)), x))
    True
    """
    return _centred(torch.fft.ifft2, _as_complex(k, "k"))


def rss(x: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Root-sum-of-squares over the coil axis: ``sqrt(sum_c |x_c|^2)``.

    With coil sensitivities normalised so that ``sum_c |S_c|^2 = 1``, the
    root-sum-of-squares of the coil images ``S_c x`` is ``|x|``.

    Taught in chapter 9.

    Parameters
    ----------
    x : torch.Tensor, real or complex
        Coil images (or any tensor); at least one axis.
    dim : int, default 0
        The coil axis.

    Returns
    -------
    torch.Tensor
        Real, with the axis ``dim`` removed.

    Raises
    ------
    ValueError
        If ``x`` is not a tensor, or ``dim`` is not one of its axes.

    Examples
    --------
    >>> rss(torch.tensor([[3.0, 0.0], [4.0, 1.0]]))
    tensor([5., 1.])
    >>> rss(torch.tensor([[3j], [4.0 + 0j]]), dim=0)
    tensor([5.])
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim == 0 or not -x.ndim <= dim < x.ndim:
        raise ValueError(
            f"dim must be an axis of x (from {-x.ndim} to {x.ndim - 1}), got {dim!r}"
        )
    return torch.sqrt(torch.sum(torch.abs(x) ** 2, dim=dim))


def cartesian_mask(
    width: int,
    *,
    acceleration: float,
    center_fraction: float,
    kind: str = "random",
    seed: int = 0,
) -> NDArray[np.bool_]:
    """A Cartesian undersampling mask over the phase-encoding lines, with fastMRI's
    semantics for the centre.

    ``n_low = round(width * center_fraction)`` consecutive lines are fully sampled,
    starting at ``(width - n_low + 1) // 2`` (the band around the zero frequency
    at ``width // 2`` of :func:`fft2c`).  Outside the band further lines are added
    until the mask holds ``max(n_low, round(width / acceleration))`` lines in all:

    - ``"random"``: that many lines drawn uniformly without replacement from the
      lines outside the band.  fastMRI's ``RandomMaskFunc`` instead keeps each
      outside line independently with probability
      ``(width / acceleration - n_low) / (width - n_low)``, so only the *expected*
      number of lines is ``width / acceleration`` and the acceleration of one mask
      varies; here it is exact for every seed.
    - ``"equispaced"``: the outside lines, in order, are taken at evenly spaced
      positions (spacing ``(width - n_low) / r`` for ``r`` lines, rounded to the
      nearest line) from a random offset, so the count is exact as well.

    The same arguments give the same mask.

    Taught in chapter 9.

    Parameters
    ----------
    width : int
        Number of phase-encoding lines (the last axis of k-space), ``>= 1``.
    acceleration : float
        Undersampling factor, ``>= 1``.
    center_fraction : float
        Fraction of lines in the fully sampled centre, in ``[0, 1]``.
    kind : {"random", "equispaced"}, default "random"
    seed : int, default 0
        Seed of the random lines (and of the equispaced offset).

    Returns
    -------
    ndarray of bool, shape (width,)

    Raises
    ------
    ValueError
        For a width below 1, an acceleration below 1, a centre fraction outside
        ``[0, 1]``, an unknown kind or a negative seed.

    Examples
    --------
    >>> mask = cartesian_mask(368, acceleration=4, center_fraction=0.08, seed=0)
    >>> int(mask.sum()), bool(mask[170:199].all())  # 92 lines; centre 29 lines
    (92, True)
    >>> m2 = cartesian_mask(
    ...     16, acceleration=4, center_fraction=0.125, kind="equispaced"
    ... )
    >>> m2.astype(int).tolist().count(1)
    4
    """
    width = check_int(width, "width", 1)
    seed = check_int(seed, "seed", 0)
    if isinstance(acceleration, bool) or not (
        isinstance(acceleration, (int, float, np.integer, np.floating))
        and np.isfinite(acceleration)
        and acceleration >= 1
    ):
        raise ValueError(f"acceleration must be a number >= 1, got {acceleration!r}")
    if isinstance(center_fraction, bool) or not (
        isinstance(center_fraction, (int, float, np.integer, np.floating))
        and 0 <= center_fraction <= 1
    ):
        raise ValueError(
            f"center_fraction must be a number in [0, 1], got {center_fraction!r}"
        )
    if kind not in MASK_KINDS:
        raise ValueError(f"kind must be one of {MASK_KINDS}, got {kind!r}")
    n_low = round(width * center_fraction)
    start = (width - n_low + 1) // 2
    mask = np.zeros(width, dtype=bool)
    mask[start : start + n_low] = True
    outside = np.flatnonzero(~mask)
    extra = min(max(round(width / acceleration) - n_low, 0), outside.size)
    if extra == 0:
        return mask
    rng = np.random.default_rng(seed)
    if kind == "random":
        chosen = rng.choice(outside, size=extra, replace=False)
    else:
        spacing = outside.size / extra
        offset = rng.uniform(0, spacing)
        positions = np.floor(offset + spacing * np.arange(extra) + 0.5).astype(int)
        chosen = outside[np.minimum(positions, outside.size - 1)]
    mask[chosen] = True
    return mask


def load_fastmri_slice(
    path: str | Path, index: int
) -> tuple[NDArray[np.complex64], NDArray[np.float32] | None]:
    """One slice of a fastMRI ``.h5`` file: its k-space and its reference image.

    The public fastMRI layout: a dataset ``kspace`` of shape (slices, coils, H, W)
    for multi-coil files or (slices, H, W) for single-coil ones (complex64), and,
    in the training and validation files, ``reconstruction_rss`` (multi-coil) or
    ``reconstruction_esc`` (single-coil) of shape (slices, 320, 320); further
    ``ismrmrd_header`` and the attributes ``acquisition`` and ``max``, which this
    function does not need.

    Taught in chapter 9.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.h5`` file.
    index : int
        The slice, ``0 <= index < slices``.

    Returns
    -------
    kspace : ndarray of complex64, shape (coils, H, W)
        A single-coil file gets a coil axis of length 1.
    target : ndarray of float32, shape (320, 320), or None
        ``reconstruction_rss`` (or else ``reconstruction_esc``) of the slice;
        ``None`` when the file has neither (e.g. test files).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file has no ``kspace`` dataset of 3 or 4 axes, or ``index`` is out of
        range.

    Examples
    --------
    >>> load_fastmri_slice("no_such_file.h5", 0)
    Traceback (most recent call last):
    ...
    FileNotFoundError: no fastMRI file at no_such_file.h5
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no fastMRI file at {path}")
    import h5py

    with h5py.File(path, "r") as f:
        if "kspace" not in f:
            raise ValueError(f"{path} has no 'kspace' dataset (keys: {sorted(f)})")
        ksp = f["kspace"]
        if ksp.ndim not in (3, 4):
            raise ValueError(
                f"'kspace' must have shape (slices, coils, H, W) or (slices, H, W), "
                f"got {ksp.shape}"
            )
        n_slices = ksp.shape[0]
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise ValueError(f"index must be an integer, got {index!r}")
        if not 0 <= index < n_slices:
            raise ValueError(
                f"index must be in [0, {n_slices - 1}] ({n_slices} slices in "
                f"{path.name}), got {index}"
            )
        kspace = np.asarray(ksp[int(index)], dtype=np.complex64)
        if kspace.ndim == 2:
            kspace = kspace[None]
        target = None
        for key in ("reconstruction_rss", "reconstruction_esc"):
            if key in f:
                target = np.asarray(f[key][int(index)], dtype=np.float32)
                break
    return kspace, target


def _as_complex_tensor(x: Any, name: str, ndim: int) -> torch.Tensor:
    t = torch.as_tensor(x)
    if t.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} axes, got shape {tuple(t.shape)}")
    if not t.is_complex():
        t = t.to(torch.complex64)
    if not bool(torch.isfinite(torch.view_as_real(t)).all()):
        raise ValueError(f"{name} must be finite")
    return t.to(torch.complex64)


def _complex_to_channels(z: torch.Tensor) -> torch.Tensor:
    """(coils, H, W) complex -> (1, 2 coils, H, W) real: channel 2c is the real part of
    coil c, channel 2c + 1 its imaginary part."""
    coils = z.shape[0]
    return torch.view_as_real(z).permute(0, 3, 1, 2).reshape(1, 2 * coils, *z.shape[1:])


def _channels_to_complex(x: torch.Tensor, coils: int) -> torch.Tensor:
    """(1, 2 coils, H, W) real -> (coils, H, W) complex; inverse of the above."""
    h, w = x.shape[-2:]
    pairs = x.reshape(coils, 2, h, w).permute(0, 2, 3, 1).contiguous()
    return torch.view_as_complex(
        pairs.float() if pairs.dtype != torch.float64 else pairs
    )


class MultiCoilFourier(torch.nn.Module):
    """Multi-coil Cartesian MRI forward operator for :func:`dd_lib.fit`: per-coil
    centred FFT, then the sampled phase-encoding lines, with real and imaginary parts
    as channels (``fit`` works with real tensors).

    Two variants (chapter 9):

    - **with coil sensitivities** ``S`` (``sensitivities`` given): the network
      outputs one complex image as 2 channels (real, imaginary), and
      ``A(x) = M F S x``;
    - **without** (``coils`` given, as in the authors' code): the network outputs
      ``2 * coils`` channels, one complex image per coil (channel ``2c`` the real
      part of coil ``c``, ``2c + 1`` its imaginary part), ``A(x_1..x_C) = M F x_c``
      per coil; the image is their root-sum-of-squares (:meth:`image`).

    The measurements, of shape ``(1, 2 * coils, H, lines)``, are the sampled columns
    of the centred k-space of every coil, real and imaginary parts interleaved as
    above; :meth:`measure` makes them from complex k-space.

    Taught in chapter 9.

    Parameters
    ----------
    mask : array_like of bool, shape (W,)
        Sampled phase-encoding lines (:func:`cartesian_mask`); at least one.
    shape : tuple of int
        Image shape ``(H, W)``.
    sensitivities : array_like, complex, shape (coils, H, W), optional
        Coil sensitivity maps (variant 1).
    coils : int, optional
        Number of coils, when no sensitivities are given (variant 2).
    device : torch.device or str, optional
        Default :func:`dd_lib.get_device`.

    Raises
    ------
    ValueError
        If the mask is not a boolean vector of length ``W`` with a sampled line,
        the sensitivities do not have shape ``(coils, H, W)``, or neither (or both)
        of ``sensitivities`` and ``coils`` are given.

    Examples
    --------
    >>> mask = cartesian_mask(8, acceleration=2, center_fraction=0.25)
    >>> A = MultiCoilFourier(mask, (6, 8), coils=3, device="cpu")
    >>> A.in_channels, tuple(A(torch.zeros(1, 6, 6, 8)).shape)
    (6, (1, 6, 6, 4))
    """

    mask: torch.Tensor
    lines: torch.Tensor
    sens: torch.Tensor | None

    def __init__(
        self,
        mask: Any,
        shape: tuple[int, int],
        *,
        sensitivities: Any = None,
        coils: int | None = None,
        device: Any = None,
    ) -> None:
        from .config import get_device

        super().__init__()
        if len(tuple(shape)) != 2:
            raise ValueError(f"shape must be (H, W), got {shape!r}")
        self.shape = (check_int(shape[0], "H", 1), check_int(shape[1], "W", 1))
        m = np.asarray(mask)
        if m.dtype != bool or m.shape != (self.shape[1],) or not m.any():
            raise ValueError(
                f"mask must be a boolean vector of length W = {self.shape[1]} with at "
                f"least one sampled line, got dtype {m.dtype} and shape {m.shape}"
            )
        if (sensitivities is None) == (coils is None):
            raise ValueError(
                "give either sensitivities (shape (coils, H, W)) or coils, not both"
            )
        self.register_buffer("mask", torch.as_tensor(m))
        self.register_buffer("lines", torch.as_tensor(np.flatnonzero(m)))
        if sensitivities is not None:
            sens = _as_complex_tensor(sensitivities, "sensitivities", 3)
            if tuple(sens.shape[1:]) != self.shape:
                raise ValueError(
                    f"sensitivities must have shape (coils, {self.shape[0]}, "
                    f"{self.shape[1]}), got {tuple(sens.shape)}"
                )
            self.register_buffer("sens", sens)
            self.coils = int(sens.shape[0])
            self.in_channels = 2
        else:
            self.sens = None
            self.coils = check_int(coils, "coils", 1)
            self.in_channels = 2 * self.coils
        self.to(get_device() if device is None else torch.device(device))

    def _check_input(self, x: torch.Tensor) -> None:
        want = (1, self.in_channels, *self.shape)
        if tuple(x.shape) != want:
            raise ValueError(f"the input must have shape {want}, got {tuple(x.shape)}")

    def coil_images(self, x: torch.Tensor) -> torch.Tensor:
        """The complex coil images ``(coils, H, W)`` of a network output."""
        self._check_input(x)
        if self.sens is None:
            return _channels_to_complex(x, self.coils)
        image = _channels_to_complex(x, 1)[0]
        return self.sens * image

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(1, in_channels, H, W)`` real -> ``(1, 2 coils, H, lines)`` real."""
        k = fft2c(self.coil_images(x))
        return _complex_to_channels(k[..., self.lines])

    def measure(self, kspace: Any) -> torch.Tensor:
        """The measurements of a complex k-space ``(coils, H, W)`` (e.g. a fully
        sampled acquisition): its sampled lines, as channels."""
        k = _as_complex_tensor(kspace, "kspace", 3).to(self.mask.device)
        if tuple(k.shape) != (self.coils, *self.shape):
            raise ValueError(
                f"kspace must have shape {(self.coils, *self.shape)}, "
                f"got {tuple(k.shape)}"
            )
        return _complex_to_channels(k[..., self.lines])

    def zero_filled(self, y: torch.Tensor) -> torch.Tensor:
        """The zero-filled coil images ``(coils, H, W)``: the adjoint of the Fourier
        sampling applied to the measurements ``y``."""
        want = (1, 2 * self.coils, self.shape[0], int(self.lines.numel()))
        if tuple(y.shape) != want:
            raise ValueError(f"y must have shape {want}, got {tuple(y.shape)}")
        k = torch.zeros(
            (self.coils, *self.shape), dtype=torch.complex64, device=y.device
        )
        k[..., self.lines] = _channels_to_complex(y, self.coils).to(k.dtype)
        return ifft2c(k)

    def image(self, x: torch.Tensor) -> torch.Tensor:
        """The magnitude image ``(H, W)`` of a network output: the root-sum-of-squares
        of its coil images.  With sensitivities that is ``|x| sqrt(sum_c |S_c|^2)``:
        ``|x|`` where the maps are normalised, and zero where they vanish (ESPIRiT
        sets them to zero outside the object, where ``x`` is not measured)."""
        return rss(self.coil_images(x), dim=0)


def center_crop(x: Any, size: tuple[int, int]) -> Any:
    """The central ``size`` crop of the last two axes (fastMRI's: start at
    ``(H - h) // 2``); works on NumPy arrays and torch tensors.

    Taught in chapter 9 (the 640 x 368 multi-coil k-space gives 640 x 368 images with
    2x readout oversampling; fastMRI evaluates on the central 320 x 320).

    Raises
    ------
    ValueError
        If the crop is larger than the image.

    Examples
    --------
    >>> center_crop(np.arange(25).reshape(5, 5), (3, 3))[0].tolist()
    [6, 7, 8]
    """
    h, w = x.shape[-2:]
    ch, cw = size
    if not (1 <= ch <= h and 1 <= cw <= w):
        raise ValueError(f"the crop {size} must fit in the image {(h, w)}")
    top, left = (h - ch) // 2, (w - cw) // 2
    return x[..., top : top + ch, left : left + cw]


def mri_metrics(
    target: Any, estimate: Any, *, crop: tuple[int, int] | None = None
) -> dict[str, float]:
    """PSNR and SSIM of a reconstruction in the fastMRI convention: on magnitudes,
    with ``data_range = target.max()``, on the central ``crop`` (default: the whole
    image).

    fastMRI evaluates 320 x 320 central crops of the root-sum-of-squares magnitude
    (its leaderboard takes the maximum over the volume; for one slice it is the
    slice's).  Complex inputs are reduced to their magnitude first.

    Taught in chapter 9.

    Parameters
    ----------
    target, estimate : array_like or torch.Tensor, shape (H, W)
        The reference and the reconstruction (real or complex).
    crop : tuple of int, optional
        Central crop ``(h, w)`` (:func:`center_crop`).

    Returns
    -------
    dict
        ``{"psnr": dB, "ssim": value}``.

    Raises
    ------
    ValueError
        If the images are not 2-D of the same shape, are not finite, the target's
        maximum magnitude is not positive, or the crop does not fit.

    Examples
    --------
    >>> x = np.linspace(0.0, 2.0, 100).reshape(10, 10)
    >>> out = mri_metrics(x, x + 0.02)  # data_range 2: 20 log10(2 / 0.02) = 40 dB
    >>> round(out["psnr"], 2), out["ssim"] > 0.99
    (40.0, True)
    """

    def magnitude(a: Any, name: str) -> NDArray[np.float64]:
        if isinstance(a, torch.Tensor):
            a = a.detach().cpu().numpy()
        arr = np.abs(np.asarray(a))
        if arr.ndim != 2 or not np.all(np.isfinite(arr)):
            raise ValueError(
                f"{name} must be a finite 2-D image, got shape {arr.shape}"
            )
        return arr.astype(np.float64)

    ref, est = magnitude(target, "target"), magnitude(estimate, "estimate")
    if ref.shape != est.shape:
        raise ValueError(
            f"target and estimate must have the same shape, got {ref.shape} and "
            f"{est.shape}"
        )
    if crop is not None:
        ref, est = center_crop(ref, crop), center_crop(est, crop)
    peak = float(ref.max())
    if peak <= 0:
        raise ValueError("the target's maximum magnitude must be positive")
    return {
        "psnr": psnr(ref, est, data_range=peak),
        "ssim": ssim(ref, est, data_range=peak),
    }


#: MNI z coordinates (mm) of the stored template slices (:func:`brain_slice`).
BRAIN_SLICES_MM: tuple[int, ...] = (-2, 8, 18, 28)

# rows and columns of the 192 x 192 (1 mm) square that holds the brain in every slice
_BRAIN_BOX = (slice(19, 211), slice(2, 194))


def brain_slice(z_mm: int = 18, size: int = 128) -> NDArray[np.float64]:
    """An axial slice of the MNI ICBM152 2009a T1 template (a population average of
    152 adult brains, skull-stripped), as a real image in [0, 1].

    The slices ship with dd_lib (``dd_lib/data/mni152_t1_axial.npz``, made by
    ``book/tools/make_brain_slices.py`` from the template in nilearn's wheel; the
    template's licence notice is ``dd_lib/data/MNI152_NOTICE.txt``).  Each is the
    central 192 x 192 mm of the 1 mm slice, in the radiological view (anterior up,
    the subject's left on the right), resized to ``size`` x ``size`` with
    anti-aliasing.  A template is smoother than one subject's scan.

    Taught in chapter 9.

    Parameters
    ----------
    z_mm : int, default 18
        MNI z coordinate of the slice, one of :data:`BRAIN_SLICES_MM`.
    size : int, default 128
        Side of the returned square image, at least 8.

    Returns
    -------
    numpy.ndarray, shape (size, size)
        Intensities in [0, 1] (0 outside the brain).

    Raises
    ------
    ValueError
        For a ``z_mm`` that is not stored or a ``size`` below 8.

    Examples
    --------
    >>> img = brain_slice(18, size=64)
    >>> img.shape, bool(0 <= img.min() and img.max() <= 1)
    ((64, 64), True)
    """
    if z_mm not in BRAIN_SLICES_MM:
        raise ValueError(f"z_mm must be one of {BRAIN_SLICES_MM}, got {z_mm!r}")
    size = check_int(size, "size", 8)
    from skimage.transform import resize

    path = Path(__file__).parent / "data" / "mni152_t1_axial.npz"
    with np.load(path) as data:
        index = int(np.flatnonzero(data["z_mm"] == z_mm)[0])
        codes = data["slices"][index][_BRAIN_BOX]
    image = codes.astype(np.float64) / 255.0
    if size != image.shape[0]:
        image = resize(image, (size, size), order=3, anti_aliasing=True)
    return np.clip(image, 0.0, 1.0)


def smooth_phase(
    shape: tuple[int, int], amplitude: float = np.pi / 2
) -> NDArray[np.float64]:
    """A smooth synthetic phase map (radians) for a real image, so that a simulated
    acquisition is complex as real ones are:

    .. math::

        \\varphi(u, v) = a \\big(0.6 u + 0.3 v + 0.4 (u^2 + v^2) - 0.3\\big),
        \\qquad u, v \\in [-1, 1],

    with ``u`` along the rows, ``v`` along the columns and ``a`` the amplitude (a
    linear ramp, as from an off-centre object, plus a bowl, as from field
    inhomogeneity).

    Taught in chapter 9.

    Raises
    ------
    ValueError
        For a shape that is not two positive integers or a non-finite amplitude.

    Examples
    --------
    >>> phi = smooth_phase((5, 5))
    >>> phi.shape, bool(np.abs(phi).max() <= np.pi)
    ((5, 5), True)
    """
    if len(tuple(shape)) != 2:
        raise ValueError(f"shape must be (H, W), got {shape!r}")
    h, w = (check_int(s, "shape[i]", 1) for s in shape)
    if not np.isfinite(amplitude):
        raise ValueError(f"amplitude must be finite, got {amplitude!r}")
    u = np.linspace(-1.0, 1.0, h)[:, None]
    v = np.linspace(-1.0, 1.0, w)[None, :]
    return float(amplitude) * (0.6 * u + 0.3 * v + 0.4 * (u**2 + v**2) - 0.3)


def simulate_multicoil(
    image: Any,
    *,
    coils: int = 8,
    phase_amplitude: float = np.pi / 2,
    snr_db: float | None = None,
    seed: int = 0,
) -> dict[str, NDArray[np.complex64]]:
    """A simulated multi-coil acquisition of a real image: the complex image
    ``x = image * exp(i phase)`` (:func:`smooth_phase`), SigPy's birdcage coil
    sensitivities ``S`` (normalised so that ``sum_c |S_c|^2 = 1``, hence
    ``rss(S x) = |x| = image``), and the fully sampled k-space ``F S x``, with
    complex Gaussian noise at a stated SNR.

    The SNR is that of the k-space: circular complex Gaussian noise ``z`` with
    ``E|z|^2 = sigma^2``, ``sigma = rms(F S x) / 10^(snr_db / 20)``, so that the mean
    ``|F S x|^2`` over ``sigma^2`` is ``snr_db`` in dB.  Undersample the result with a
    mask (:class:`MultiCoilFourier`'s ``measure``): every method then sees the same
    noise.

    Taught in chapter 9.

    Parameters
    ----------
    image : array_like, shape (H, W)
        Real, non-negative image (e.g. a brain slice).
    coils : int, default 8
        Number of birdcage coils, at least 1.
    phase_amplitude : float, default pi / 2
        Amplitude of the synthetic phase (0: a real image).
    snr_db : float, optional
        k-space SNR in dB; ``None`` for noiseless data.
    seed : int, default 0
        Seed of the noise.

    Returns
    -------
    dict
        ``image`` (complex, (H, W)), ``sensitivities`` ((coils, H, W)), ``kspace``
        ((coils, H, W), noisy if ``snr_db`` is given) and ``noiseless`` k-space,
        all complex64.

    Raises
    ------
    ValueError
        If ``image`` is not a finite, non-negative 2-D array, ``coils < 1`` or
        ``seed < 0``.

    Examples
    --------
    >>> out = simulate_multicoil(np.ones((8, 8)), coils=4, snr_db=30, seed=0)
    >>> out["kspace"].shape, out["kspace"].dtype
    ((4, 8, 8), dtype('complex64'))
    >>> x = rss(ifft2c(torch.as_tensor(out["noiseless"])))
    >>> bool(torch.allclose(x, torch.ones(8, 8), atol=1e-5))
    True
    """
    from sigpy.mri import birdcage_maps

    img = np.asarray(image, dtype=np.float64)
    if img.ndim != 2 or not np.all(np.isfinite(img)) or img.min() < 0:
        raise ValueError(
            "image must be a finite, non-negative 2-D array, "
            f"got shape {img.shape} with min {img.min() if img.size else None}"
        )
    coils = check_int(coils, "coils", 1)
    seed = check_int(seed, "seed", 0)
    x = img * np.exp(1j * smooth_phase(img.shape, phase_amplitude))
    sens = birdcage_maps((coils, *img.shape)).astype(np.complex128)
    k = fft2c(torch.as_tensor(sens * x)).numpy()
    noisy = k
    if snr_db is not None:
        sigma = np.sqrt(np.mean(np.abs(k) ** 2)) / 10 ** (float(snr_db) / 20)
        rng = np.random.default_rng(seed)
        z = rng.standard_normal(k.shape) + 1j * rng.standard_normal(k.shape)
        noisy = k + sigma / np.sqrt(2) * z
    return {
        "image": x.astype(np.complex64),
        "sensitivities": sens.astype(np.complex64),
        "kspace": noisy.astype(np.complex64),
        "noiseless": k.astype(np.complex64),
    }


# --- reconstructions: SigPy's classical methods and the deep decoder on k-space ---

#: The classical reconstructions of :func:`sigpy_reconstruction` (SigPy's apps).
SIGPY_METHODS: tuple[str, ...] = ("sense", "l1-wavelet", "tv")


def _undersampled(kspace: Any, mask: Any) -> tuple[NDArray[np.complex64], NDArray[Any]]:
    """Check a (coils, H, W) k-space and a (W,) boolean mask; zero unsampled lines."""
    k = np.asarray(kspace)
    if k.ndim != 3 or not np.iscomplexobj(k):
        raise ValueError(
            f"kspace must be a complex array (coils, H, W), got shape {k.shape} "
            f"and dtype {k.dtype}"
        )
    m = np.asarray(mask)
    if m.dtype != bool or m.shape != (k.shape[-1],) or not m.any():
        raise ValueError(
            f"mask must be a boolean vector of length W = {k.shape[-1]} with a "
            f"sampled line, got dtype {m.dtype} and shape {m.shape}"
        )
    return (k * m).astype(np.complex64), m


def espirit_maps(
    kspace: Any,
    mask: Any,
    *,
    calib_width: int,
    kernel_width: int = 6,
    crop: float = 0.95,
) -> NDArray[np.complex64]:
    """Coil sensitivities estimated from the fully sampled centre of undersampled
    k-space by ESPIRiT (Uecker et al., 2014), through ``sigpy.mri.app.EspiritCalib``.

    SigPy takes a centred ``calib_width`` x ``calib_width`` calibration region
    whatever the mask, so ``calib_width`` must not exceed the fully sampled centre
    lines, and the kernel must be smaller than the region.

    Taught in chapter 9.

    Parameters
    ----------
    kspace : array_like, complex, shape (coils, H, W)
        Multi-coil k-space (unsampled lines are zeroed here).
    mask : array_like of bool, shape (W,)
        The sampled phase-encoding lines.
    calib_width : int
        Side of the calibration region, at most the number of consecutive sampled
        lines around the centre column ``W // 2``.
    kernel_width : int, default 6
        ESPIRiT kernel size, at least 2 and below ``calib_width``.
    crop : float, default 0.95
        Eigenvalue threshold in [0, 1) below which a pixel's maps are set to zero
        (SigPy's default 0.95; a lower value keeps more of the field of view).

    Returns
    -------
    numpy.ndarray, complex64, shape (coils, H, W)
        The maps (zero where ESPIRiT finds no signal).

    Raises
    ------
    ValueError
        For bad k-space or mask, a calibration region wider than the sampled centre,
        a kernel not smaller than it, a ``crop`` outside [0, 1), or settings with
        which ESPIRiT keeps no map at any pixel (all zero: a kernel too large for
        the region).

    Examples
    --------
    >>> sim = simulate_multicoil(np.ones((24, 24)), coils=4, seed=0)
    >>> mask = cartesian_mask(24, acceleration=2, center_fraction=0.5, seed=0)
    >>> maps = espirit_maps(sim["kspace"], mask, calib_width=12, kernel_width=4)
    >>> maps.shape, maps.dtype
    ((4, 24, 24), dtype('complex64'))
    """
    k, m = _undersampled(kspace, mask)
    calib_width = check_int(calib_width, "calib_width", 2)
    kernel_width = check_int(kernel_width, "kernel_width", 2)
    w = k.shape[-1]
    start = w // 2 - calib_width // 2
    if start < 0 or not m[start : start + calib_width].all():
        raise ValueError(
            f"calib_width = {calib_width} is wider than the fully sampled centre "
            f"lines of the mask"
        )
    if kernel_width >= calib_width:
        raise ValueError(
            f"kernel_width must be below calib_width = {calib_width}, "
            f"got {kernel_width}"
        )
    if not 0.0 <= crop < 1.0:
        raise ValueError(f"crop must lie in [0, 1), got {crop!r}")
    from sigpy.mri.app import EspiritCalib

    maps = EspiritCalib(
        k,
        calib_width=calib_width,
        kernel_width=kernel_width,
        crop=crop,
        show_pbar=False,
    ).run()
    maps = np.asarray(maps, dtype=np.complex64)
    if not np.any(maps):
        raise ValueError(
            f"ESPIRiT kept no map at any pixel (calib_width = {calib_width}, "
            f"kernel_width = {kernel_width}, crop = {crop}): the kernel is too large "
            "for the calibration region; use a smaller kernel_width or crop, or a "
            "wider calibration region"
        )
    return maps


def sigpy_reconstruction(
    method: str,
    kspace: Any,
    mask: Any,
    sensitivities: Any,
    *,
    lamda: float,
    max_iter: int = 100,
) -> NDArray[np.complex64]:
    """A classical multi-coil reconstruction through SigPy's apps: SENSE
    (``SenseRecon``, Tikhonov-regularised least squares), l1-wavelet
    (``L1WaveletRecon``, Daubechies-4) or total variation (``TotalVariationRecon``).

    SigPy's weights depend on the data's scale, so the k-space is first divided by
    the maximum of its zero-filled root-sum-of-squares image, and the result
    multiplied back: ``lamda`` is then relative to an image of peak about 1.

    Taught in chapter 9.

    Parameters
    ----------
    method : {"sense", "l1-wavelet", "tv"}
        The reconstruction (:data:`SIGPY_METHODS`).
    kspace : array_like, complex, shape (coils, H, W)
        Multi-coil k-space (unsampled lines are zeroed here).
    mask : array_like of bool, shape (W,)
        The sampled phase-encoding lines.
    sensitivities : array_like, complex, shape (coils, H, W)
        Coil maps (:func:`espirit_maps`, or the true maps as an oracle).
    lamda : float
        Regularisation weight, non-negative (SigPy's spelling).
    max_iter : int, default 100
        Iterations of SigPy's solver (its default).

    Returns
    -------
    numpy.ndarray, complex64, shape (H, W)
        The complex image.

    Raises
    ------
    ValueError
        For an unknown method, bad k-space, mask or maps, or a negative ``lamda``.

    Examples
    --------
    >>> sim = simulate_multicoil(np.ones((16, 16)), coils=4, seed=0)
    >>> mask = cartesian_mask(16, acceleration=2, center_fraction=0.25, seed=0)
    >>> x = sigpy_reconstruction(
    ...     "sense", sim["kspace"], mask, sim["sensitivities"], lamda=0.0
    ... )
    >>> x.shape, bool(np.allclose(np.abs(x), 1, atol=0.05))
    ((16, 16), True)
    """
    if method not in SIGPY_METHODS:
        raise ValueError(f"method must be one of {SIGPY_METHODS}, got {method!r}")
    k, _ = _undersampled(kspace, mask)
    maps = np.asarray(sensitivities)
    if maps.shape != k.shape:
        raise ValueError(
            f"sensitivities must have the k-space's shape {k.shape}, got {maps.shape}"
        )
    lamda = check_nonnegative(lamda, "lamda")
    max_iter = check_int(max_iter, "max_iter", 1)
    from .compressive import _sigpy

    _sigpy()  # real soft-threshold loops first (see there), then the complex ones
    from sigpy.mri import app

    zf_peak = float(rss(ifft2c(torch.as_tensor(k))).max())
    scale = zf_peak if zf_peak > 0 else 1.0
    y = k / scale
    apps = {
        "sense": app.SenseRecon,
        "l1-wavelet": app.L1WaveletRecon,
        "tv": app.TotalVariationRecon,
    }
    recon = apps[method](
        y, maps.astype(np.complex64), lamda=lamda, max_iter=max_iter, show_pbar=False
    )
    return (np.asarray(recon.run()) * scale).astype(np.complex64)


@dataclass
class MRIFit:
    """What :func:`fit_mri_decoder` returns.

    Taught in chapter 9.

    Attributes
    ----------
    image : numpy.ndarray, shape (H, W)
        Magnitude image of the iterate with the lowest training loss (no ground
        truth needed), in the data's units.
    oracle_image : numpy.ndarray or None
        Magnitude image of the recorded iterate closest to the target (needs the
        ground truth), or None without a target.
    iterations, loss : numpy.ndarray
        The recorded iterations and training losses (mean squared error on the
        measured k-space, in the scaled units the network was fitted in).
    error : numpy.ndarray or None
        Relative error ``||image_t - target|| / ||target||`` of the magnitude image
        at the recorded iterations (None without a target).
    lowest_loss_iteration : int
    oracle_iteration : int or None
    scale : float
        The factor the k-space was multiplied by before fitting.
    parameters : int
        Trainable parameters of the network.
    wall_time : float
        Seconds the fit took.

    Examples
    --------
    >>> sim = simulate_multicoil(np.ones((16, 16)), coils=2, seed=0)
    >>> mask = cartesian_mask(16, acceleration=2, center_fraction=0.25, seed=0)
    >>> res = fit_mri_decoder(
    ...     sim["kspace"],
    ...     mask,
    ...     target=np.ones((16, 16)),
    ...     channels=4,
    ...     depth=2,
    ...     steps=5,
    ...     record_every=1,
    ...     device="cpu",
    ... )
    >>> type(res).__name__, res.error.shape
    ('MRIFit', (6,))
    """

    image: NDArray[np.float64]
    oracle_image: NDArray[np.float64] | None
    iterations: NDArray[np.int64]
    loss: NDArray[np.float64]
    error: NDArray[np.float64] | None
    lowest_loss_iteration: int
    oracle_iteration: int | None
    scale: float
    parameters: int
    wall_time: float


def fit_mri_decoder(
    kspace: Any,
    mask: Any,
    *,
    sensitivities: Any | None = None,
    target: Any | None = None,
    channels: int = 64,
    depth: int = 5,
    steps: int = 1000,
    lr: float = 0.01,
    record_every: int = 10,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> MRIFit:
    """Fit a deep decoder to undersampled multi-coil k-space (CS paper, Section 5).

    Two variants (:class:`MultiCoilFourier`): with ``sensitivities`` the network
    outputs one complex image ``x`` and the model is ``M F S x``; without, as in the
    authors' code, it outputs every coil's complex image and the reconstruction is
    their root-sum-of-squares.  The network has no output sigmoid.  As the authors
    do, the k-space is first multiplied by ``||image of G(C_0)|| / ||zero-filled
    rss||``, so that the data match the scale of the random network's output; the
    result is divided back.  Adam minimises the mean squared error on the measured
    k-space; the reconstruction is the iterate with the lowest training loss.

    Taught in chapter 9.

    Parameters
    ----------
    kspace : array_like, complex, shape (coils, H, W)
        Multi-coil k-space (unsampled lines are dropped).
    mask : array_like of bool, shape (W,)
        The sampled phase-encoding lines.
    sensitivities : array_like, complex, shape (coils, H, W), optional
        Coil maps: variant 1.  Without: variant 2.
    target : array_like, shape (H, W), optional
        The true magnitude image, to record the error of the network's image at
        every recorded iteration and the oracle iterate (closest to it).
    channels, depth : int
        The deep decoder's width and number of upsampling blocks (``H`` and ``W``
        must be multiples of ``2**depth``).
    steps : int
        Adam steps.
    lr : float, default 0.01
        Adam's learning rate.
    record_every : int, default 10
        Record the loss (and error) every that many steps.
    seed : int, default 0
        Seed of the network's input and weights.
    device : torch.device or str, optional
        Default :func:`dd_lib.get_device`.

    Returns
    -------
    MRIFit

    Raises
    ------
    ValueError
        For bad k-space, mask, maps or target, or bad network sizes or steps.

    Examples
    --------
    >>> sim = simulate_multicoil(np.ones((32, 32)), coils=2, seed=0)
    >>> mask = cartesian_mask(32, acceleration=2, center_fraction=0.25, seed=0)
    >>> res = fit_mri_decoder(
    ...     sim["kspace"], mask, channels=8, depth=2, steps=20, device="cpu"
    ... )
    >>> res.image.shape, bool(res.loss[-1] < res.loss[0])
    ((32, 32), True)
    """
    from .config import get_device
    from .deep_decoder import DeepDecoder
    from .fitting import fit

    k, m = _undersampled(kspace, mask)
    coils, h, w = k.shape
    device = get_device() if device is None else torch.device(device)
    if sensitivities is not None:
        op = MultiCoilFourier(m, (h, w), sensitivities=sensitivities, device=device)
        if op.coils != coils:
            raise ValueError(
                f"sensitivities have {op.coils} coils, the k-space {coils}"
            )
    else:
        op = MultiCoilFourier(m, (h, w), coils=coils, device=device)
    y = op.measure(k)
    net = DeepDecoder(
        (h, w),
        channels=channels,
        depth=depth,
        out_channels=op.in_channels,
        output="linear",
        seed=seed,
        device=device,
    )
    with torch.no_grad():
        start_norm = float(torch.linalg.norm(op.image(net())))
        zf_norm = float(torch.linalg.norm(rss(op.zero_filled(y))))
    scale = start_norm / zf_norm if zf_norm > 0 else 1.0
    target_arr = None
    if target is not None:
        target_arr = np.asarray(target, dtype=np.float64)
        if target_arr.shape != (h, w) or not np.all(np.isfinite(target_arr)):
            raise ValueError(
                f"target must be a finite real image of shape {(h, w)}, "
                f"got shape {target_arr.shape}"
            )
    record_every = check_int(record_every, "record_every", 1)
    steps = check_int(steps, "steps", 1)
    recorded = set(range(0, steps + 1, record_every)) | {steps}
    res = fit(
        net,
        y * scale,
        op,
        steps=steps,
        lr=lr,
        record_every=record_every,
        snapshots=recorded if target_arr is not None else (),
        progress=False,
        precision="float32",
    )

    def magnitude(out: NDArray[np.float64]) -> NDArray[np.float64]:
        t = torch.as_tensor(np.moveaxis(np.atleast_3d(out), -1, 0)[None]).float()
        with torch.no_grad():
            return op.image(t.to(device)).cpu().double().numpy() / scale

    assert res.lowest_loss_output is not None
    error = oracle_image = oracle_iteration = None
    if target_arr is not None:
        norm = float(np.linalg.norm(target_arr)) or 1.0
        images = {t: magnitude(res.snapshots[t]) for t in res.iterations.tolist()}
        error = np.array(
            [np.linalg.norm(images[t] - target_arr) / norm for t in res.iterations]
        )
        best = int(np.argmin(error))
        oracle_iteration = int(res.iterations[best])
        oracle_image = images[oracle_iteration]
    return MRIFit(
        image=magnitude(res.lowest_loss_output),
        oracle_image=oracle_image,
        iterations=res.iterations,
        loss=res.loss,
        error=error,
        lowest_loss_iteration=res.lowest_loss_iteration,
        oracle_iteration=oracle_iteration,
        scale=scale,
        parameters=sum(p.numel() for p in net.parameters() if p.requires_grad),
        wall_time=res.wall_time,
    )
