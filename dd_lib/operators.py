"""Forward operators ``A`` for :func:`dd_lib.fit`: what is measured of the image.

Taught in chapter 6 (identity: denoising); chapter 8 uses the pixel mask, the
Gaussian matrix and its structured stand-in, random signs followed by a subsampled
real Fourier transform, for compressive sensing; chapter 9 adds a multi-coil Fourier
operator.  Each operator is a ``torch.nn.Module`` mapping the generator output
``(1, C, ...)`` to the measurements, so it moves to a device with ``.to(device)`` and
is differentiable.  The two compressive-sensing operators map ``(1, *shape)`` to a
vector of ``m`` measurements and also provide ``adjoint``, ``matrix`` and ``pinv``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from ._checks import check_int, check_positive
from .config import get_device

__all__ = ["PixelMask", "GaussianMeasurement", "RandomSignsFourier"]

# The largest dense matrix RandomSignsFourier.matrix() builds (1 GiB in float32).
_MAX_DENSE_ENTRIES = 2**28


def _check_shape(shape: Any) -> tuple[int, ...]:
    """Return ``shape`` as a non-empty tuple of positive ints, or raise
    ``ValueError``."""
    try:
        sides = tuple(shape)
    except TypeError:
        sides = ()
    if not sides or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1
        for s in sides
    ):
        raise ValueError(
            "shape must be a non-empty tuple of positive ints, the generator output "
            f"without the batch axis, e.g. (1, 64, 64); got {shape!r}"
        )
    return tuple(int(s) for s in sides)


def _check_m(m: Any, n: int) -> int:
    """Return ``m`` if it is an int with ``1 <= m <= n``, or raise ``ValueError``."""
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or not 1 <= m <= n:
        raise ValueError(
            f"m (the number of measurements) must be an integer with 1 <= m <= n, "
            f"where n = {n} is the number of entries of the image; got m = {m!r}"
        )
    return int(m)


def _check_image(x: Any, shape: tuple[int, ...]) -> torch.Tensor:
    """Check that ``x`` is a tensor of shape ``(1, *shape)``: one generator output."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(
            f"the input must be a torch.Tensor of shape {(1, *shape)}, "
            f"got {type(x).__name__}"
        )
    if tuple(x.shape) != (1, *shape):
        raise ValueError(
            f"image shape {tuple(x.shape)} does not match the operator's: the input "
            f"must have shape (1, *shape) = {(1, *shape)} (a batch of one image)"
        )
    return x


def _check_measurements(z: Any, m: int, name: str) -> torch.Tensor:
    """Check that ``z`` is a tensor of shape ``(m,)``: one vector of measurements."""
    if not isinstance(z, torch.Tensor) or tuple(z.shape) != (m,):
        got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
        raise ValueError(
            f"{name} must be a torch.Tensor of shape (m,) = ({m},), "
            f"the operator's output; got {got}"
        )
    return z


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
    ``E ||A x||^2 = ||x||^2`` and ``E[A^T A] = I``.  The matrix is stored densely
    (``m n`` floats); for large images use :class:`RandomSignsFourier`, which has
    the same first and second moments.

    Parameters
    ----------
    m : int
        Number of measurements, ``1 <= m <= n`` with ``n = prod(shape)``.
    shape : tuple of int
        Shape of the generator output without the batch axis, e.g. ``(1, H, W)``.
    seed : int
        Seed of the matrix: ``torch.randn((m, n), generator=g) / sqrt(m)`` with
        ``g = torch.Generator().manual_seed(seed)``.
    device : torch.device or str, optional
        Default :func:`dd_lib.get_device`.

    Raises
    ------
    ValueError
        If ``m`` is not an integer in ``[1, n]``, ``shape`` is not a tuple of positive
        ints, or an input does not have the shape a method expects.

    Notes
    -----
    ``A(x)`` takes the generator output, shape ``(1, *shape)``, and returns the ``m``
    measurements, shape ``(m,)``; ``A.adjoint(z)`` and ``A.pinv(y)`` take ``(m,)``
    and return ``(1, *shape)``.  The image is flattened in C order
    (``x.reshape(-1)``).

    Examples
    --------
    >>> A = GaussianMeasurement(10, (1, 4, 4), seed=0, device="cpu")
    >>> tuple(A(torch.ones(1, 1, 4, 4)).shape)
    (10,)
    >>> y = A(torch.rand(1, 1, 4, 4))
    >>> x_mn = A.pinv(y)  # the minimum-norm image that explains y
    >>> tuple(x_mn.shape), bool(torch.allclose(A(x_mn), y, atol=1e-5))
    ((1, 1, 4, 4), True)
    >>> tuple(A.matrix().shape), tuple(A.adjoint(y).shape)
    ((10, 16), (1, 1, 4, 4))
    """

    weight: torch.Tensor  # the (m, n) matrix, a buffer registered in __init__

    def __init__(
        self, m: int, shape: tuple[int, ...], *, seed: int, device: Any = None
    ) -> None:
        super().__init__()
        self.shape = _check_shape(shape)
        self.n = int(np.prod(self.shape))
        self.m = _check_m(m, self.n)
        gen = torch.Generator().manual_seed(check_int(seed, "seed", 0))
        self.register_buffer(
            "weight", torch.randn((self.m, self.n), generator=gen) / np.sqrt(self.m)
        )
        self.to(get_device() if device is None else torch.device(device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``A vec(x)``: shape ``(1, *shape)`` to ``(m,)``."""
        return self.weight @ _check_image(x, self.shape).reshape(-1)

    def adjoint(self, z: torch.Tensor) -> torch.Tensor:
        """``A^T z``: shape ``(m,)`` to ``(1, *shape)``, like the generator output."""
        z = _check_measurements(z, self.m, "z")
        return (self.weight.T @ z).reshape(1, *self.shape)

    def matrix(self) -> torch.Tensor:
        """The dense ``(m, n)`` matrix ``A`` (the stored buffer itself, not a copy)."""
        return self.weight

    def pinv(self, y: torch.Tensor) -> torch.Tensor:
        """The minimum-norm solution ``A^+ y`` of ``A x = y``, shape ``(1, *shape)``.

        Computed in float64 from the reduced QR factorisation ``A^T = Q R``
        (``A^+ y = Q R^{-T} y``, no squared condition number) and returned in the
        operator's dtype.  ``A`` has full row rank with probability one.
        """
        y = _check_measurements(y, self.m, "y")
        Q, R = torch.linalg.qr(self.weight.double().T)
        w = torch.linalg.solve_triangular(
            R.T, y.to(torch.float64).reshape(-1, 1), upper=False
        )
        return (Q @ w).reshape(1, *self.shape).to(self.weight.dtype)

    def extra_repr(self) -> str:
        return f"m={self.m}, shape={self.shape}"


def _real_fourier_layout(n: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Where coefficient ``i`` of the real orthonormal Fourier transform ``T`` sits in
    ``view_as_real(rfft(x, norm="ortho")).reshape(-1)`` (entries ``2f`` and ``2f+1``
    are ``Re X_f`` and ``Im X_f``), and its factor: ``(T x)_i = scale_i flat_{pos_i}``.

    Coefficient ``0`` is ``Re X_0``; ``1 <= i < n/2`` is ``sqrt2 Re X_i``; ``n/2``
    (even ``n``) is ``Re X_{n/2}``; ``n/2 < i < n`` is ``sqrt2 Im X_{n-i}``: the
    order and signs of the columns of :func:`dd_lib.trig_basis`.
    """
    i = np.arange(n)
    f = np.minimum(i, n - i)
    pos = np.where(2 * i <= n, 2 * f, 2 * f + 1)
    scale = np.where((f == 0) | (2 * f == n), 1.0, np.sqrt(2.0))
    return pos.astype(np.int64), scale


class RandomSignsFourier(nn.Module):
    r"""``m`` structured random measurements: random signs, then ``m`` random
    coefficients of the real orthonormal Fourier transform.

    Taught in chapter 8.  On the image flattened to length ``n`` (C order),

    .. math::

        A x = \sqrt{n/m}\, [\,T (d \odot x)\,]_S ,

    where ``d`` holds i.i.d. random signs ``±1``, ``T`` is the real orthonormal
    Fourier transform of length ``n`` and ``S`` is a uniformly random set of ``m``
    of its ``n`` coefficients (without replacement, in increasing order).  ``T`` is
    the course's trigonometric basis of chapter 2: ``T = dd.trig_basis(n).T``, so
    coefficient ``i`` is the inner product with the basis function ``w_i``.  From
    ``X = torch.fft.rfft(x, norm="ortho")``: coefficient ``0`` is ``Re X_0``;
    ``1 <= f < n/2`` is ``sqrt2 Re X_f`` (a cosine); ``n/2`` (even ``n``) is
    ``Re X_{n/2}``; and ``n - f`` is ``sqrt2 Im X_f = -sqrt(2/n) sum_j x_j
    sin(2 pi f j/n)`` (a sine, with the sign of column ``n - f`` of
    :func:`dd_lib.trig_basis`).  ``T^T T = I`` for odd and even ``n``.

    Why it exists: a dense Gaussian matrix does not fit at image size.  At
    ``256 x 256`` with ``m = n/4`` it has ``16384 x 65536`` float32 entries, 4 GiB,
    and costs ``O(m n)`` per product; this operator stores ``n`` signs and ``m``
    indices and costs ``O(n log n)`` (one FFT) per product, forward and adjoint, on
    the operator's device, differentiably.

    What is the same as :class:`GaussianMeasurement` (``N(0, 1/m)`` entries): the
    first and second moments, ``E[A^T A] = I``, hence ``E ||A x||^2 = ||x||^2`` for
    every ``x`` (the random ``S`` gives ``E[P_S^T P_S] = (m/n) I``; the signs
    spread an image that is concentrated on a few frequencies over all of them).
    What is not: the rows are exactly orthogonal, ``A A^T = (n/m) I_m``, so
    ``A^+ = (m/n) A^T`` (a Gaussian ``A A^T`` is only close to ``I_m``); the
    entries are not Gaussian and not independent (each has magnitude at most
    ``sqrt(2/m)``); the matrix is never formed, except by :meth:`matrix`.

    Parameters
    ----------
    m : int
        Number of measurements, ``1 <= m <= n`` with ``n = prod(shape)``.
    shape : tuple of int
        Shape of the generator output without the batch axis, e.g. ``(1, H, W)``.
    seed : int
        Seed of the signs and of the set ``S`` (a CPU ``torch.Generator``): the
        same seed gives the same operator on every device.
    device : torch.device or str, optional
        Default :func:`dd_lib.get_device`.

    Attributes
    ----------
    signs : torch.Tensor, shape (n,)
        The random signs ``d`` (float, ``±1``).
    rows : torch.Tensor, shape (m,)
        The kept coefficients ``S`` (int64, increasing), indices of the columns of
        :func:`dd_lib.trig_basis`: row ``k`` of ``A`` is
        ``sqrt(n/m) * trig_basis(n)[:, rows[k]] * signs``.

    Raises
    ------
    ValueError
        If ``m`` is not an integer in ``[1, n]``, ``shape`` is not a tuple of positive
        ints, or an input does not have the shape a method expects.

    Notes
    -----
    The conventions are :class:`GaussianMeasurement`'s: ``A(x)`` takes ``(1, *shape)``
    and returns ``(m,)``; ``A.adjoint(z)`` and ``A.pinv(y)`` take ``(m,)`` and return
    ``(1, *shape)``.  The result has the dtype of the input and the operator,
    promoted (``A.double()`` gives a float64 operator).

    Examples
    --------
    >>> A = RandomSignsFourier(16, (1, 8, 8), seed=0, device="cpu")
    >>> x = torch.rand(1, 1, 8, 8)
    >>> y = A(x)
    >>> tuple(y.shape), tuple(A.adjoint(y).shape)
    ((16,), (1, 1, 8, 8))
    >>> M = A.matrix().double()  # dense (m, n), for small sizes only
    >>> bool(torch.allclose(M @ M.T, 4 * torch.eye(16, dtype=M.dtype), atol=1e-6))
    True
    >>> bool(torch.allclose(A(A.pinv(y)), y, atol=1e-5))  # A^+ = (m/n) A^T
    True

    The memory it saves at ``256 x 256`` with ``m = n/4``:

    >>> n = 256 * 256
    >>> A = RandomSignsFourier(n // 4, (1, 256, 256), seed=0, device="cpu")
    >>> dense_gib = n // 4 * n * 4 / 2**30
    >>> stored_kib = sum(b.numel() * b.element_size() for b in A.buffers()) / 2**10
    >>> dense_gib, stored_kib
    (4.0, 576.0)
    """

    signs: torch.Tensor  # buffers, registered in __init__
    rows: torch.Tensor
    _index: torch.Tensor
    _scaled: torch.Tensor

    def __init__(
        self, m: int, shape: tuple[int, ...], *, seed: int, device: Any = None
    ) -> None:
        super().__init__()
        self.shape = _check_shape(shape)
        self.n = n = int(np.prod(self.shape))
        self.m = m = _check_m(m, n)
        gen = torch.Generator().manual_seed(check_int(seed, "seed", 0))
        signs = 2.0 * torch.randint(0, 2, (n,), generator=gen) - 1.0
        rows = torch.sort(torch.randperm(n, generator=gen)[:m]).values
        pos, scale = _real_fourier_layout(n)
        kept = rows.numpy()
        self.register_buffer("signs", signs.to(torch.float32))
        self.register_buffer("rows", rows)
        self.register_buffer("_index", torch.as_tensor(pos[kept]))
        # 1 where the kept coefficient carries the factor sqrt2 (a cosine or a sine),
        # 0 for the constant and the alternating one; 0/1 is exact in every dtype, so
        # A.double() is accurate to float64 rounding (see _weights).
        self.register_buffer(
            "_scaled", torch.as_tensor(scale[kept] > 1, dtype=torch.float32)
        )
        self.to(get_device() if device is None else torch.device(device))

    def _weights(self, adjoint: bool) -> torch.Tensor:
        """The factors of the kept entries of the half spectrum, in the operator's
        dtype: ``A x = sqrt(n/m) scale_S flat_S``; the adjoint puts
        ``sqrt(n/m) z / scale_S`` back into the half spectrum, which ``irfft``
        (ortho) maps to ``T^T c``."""
        gain = float(np.sqrt(self.n / self.m))
        factor = float(gain / np.sqrt(2.0) if adjoint else gain * np.sqrt(2.0))
        return self._scaled * (factor - gain) + gain

    def _forward_flat(self, v: torch.Tensor) -> torch.Tensor:
        """``A`` on a batch of flattened images, ``(B, n) -> (B, m)``."""
        X = torch.fft.rfft(v * self.signs, norm="ortho")
        flat = torch.view_as_real(X).reshape(v.shape[0], -1)
        return torch.index_select(flat, 1, self._index) * self._weights(adjoint=False)

    def _adjoint_flat(self, z: torch.Tensor) -> torch.Tensor:
        """``A^T`` on a batch of measurement vectors, ``(B, m) -> (B, n)``."""
        c = z * self._weights(adjoint=True)
        flat = c.new_zeros(z.shape[0], 2 * (self.n // 2 + 1))
        flat = flat.index_copy(1, self._index, c)
        X = torch.view_as_complex(flat.reshape(z.shape[0], -1, 2))
        return torch.fft.irfft(X, n=self.n, norm="ortho") * self.signs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``A vec(x)``: shape ``(1, *shape)`` to ``(m,)``."""
        v = _check_image(x, self.shape).reshape(1, self.n)
        return self._forward_flat(v)[0]

    def adjoint(self, z: torch.Tensor) -> torch.Tensor:
        """``A^T z``: shape ``(m,)`` to ``(1, *shape)``, like the generator output."""
        z = _check_measurements(z, self.m, "z")
        return self._adjoint_flat(z.reshape(1, self.m)).reshape(1, *self.shape)

    def matrix(self) -> torch.Tensor:
        """The dense ``(m, n)`` matrix, built by applying ``A`` to the columns of the
        identity in chunks; for tests and small sizes only (at most 2**28 entries)."""
        if self.m * self.n > _MAX_DENSE_ENTRIES:
            raise ValueError(
                f"the dense matrix would have m * n = {self.m * self.n} entries; "
                f"matrix() builds at most 2**28 = {_MAX_DENSE_ENTRIES} (1 GiB in "
                "float32): use forward and adjoint, which never form it"
            )
        n = self.n
        out = self.signs.new_empty(self.m, n)
        chunk = max(1, 2**20 // n)
        with torch.no_grad():
            for j0 in range(0, n, chunk):
                j1 = min(n, j0 + chunk)
                eye = self.signs.new_zeros(j1 - j0, n)
                k = torch.arange(j1 - j0, device=eye.device)
                eye[k, j0 + k] = 1.0
                out[:, j0:j1] = self._forward_flat(eye).T
        return out

    def pinv(self, y: torch.Tensor) -> torch.Tensor:
        """The minimum-norm solution ``A^+ y = (m/n) A^T y``, shape ``(1, *shape)``
        (exact: the rows of ``A`` are orthogonal, ``A A^T = (n/m) I``)."""
        y = _check_measurements(y, self.m, "y")
        return (self.m / self.n) * self.adjoint(y)

    def extra_repr(self) -> str:
        return f"m={self.m}, shape={self.shape}"
