"""Classical compressed-sensing reconstructions, through their libraries (never
re-implemented).

Taught in chapter 8, as the baselines of the compressive-sensing comparison.  The
measurements are ``y = A x`` of a grey image ``x`` with values in ``[0, 1]``, for a
measurement operator of :mod:`dd_lib.operators`: :class:`dd_lib.GaussianMeasurement`
or :class:`dd_lib.RandomSignsFourier` (``m`` numbers, normalised so that
``E ||A x||^2 = ||x||^2``), or a :class:`dd_lib.PixelMask` (inpainting: the image's
pixels at random positions, zeros elsewhere).

- Minimum norm, ``A^+ y`` (``operator.pinv``); for a pixel mask this is the
  zero-filled image ``M y``.
- l1-wavelet, the compressed-sensing estimate of Candès, Romberg & Tao (2006) and
  Donoho (2006): sparse wavelet coefficients (Haar by default), with the operators and
  solvers of SigPy (Ong & Lustig, 2019): :class:`sigpy.linop.Wavelet`,
  :class:`sigpy.prox.L1Reg`, :class:`sigpy.app.LinearLeastSquares` (FISTA).
- Total variation (Rudin, Osher & Fatemi, 1992), anisotropic: SigPy's
  :func:`sigpy.linop.FiniteDifference` and :class:`sigpy.prox.L1Reg`, solved by
  :class:`sigpy.app.LinearLeastSquares` (primal-dual hybrid gradient, Chambolle &
  Pock, 2011).
- Biharmonic inpainting (Damelin & Hoang, 2018), for pixel masks only:
  :func:`skimage.restoration.inpaint_biharmonic`.

:func:`as_sigpy_linop` wraps a ``dd_lib`` operator as a SigPy linear operator;
:func:`tune_cs_weight` chooses the weight ``lamda`` of l1-wavelet and TV on an image
outside the comparison, like :func:`dd_lib.tune_strength` does for the denoisers.

SigPy is imported when a function first needs it (with numba: 0.4 s, 2.5 s from a
cold disk cache), so ``import dd_lib`` does not pay for it.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from skimage.restoration import inpaint_biharmonic

from ._checks import as_real_array, check_int, check_nonnegative, check_positive
from .metrics import psnr
from .operators import GaussianMeasurement

__all__ = [
    "CS_METHODS",
    "MASK_METHODS",
    "CS_WEIGHTS",
    "MASK_WEIGHTS",
    "CS_ITERATIONS",
    "CS_WEIGHT_GRIDS",
    "as_sigpy_linop",
    "cs_measure",
    "cs_reconstruct",
    "tune_cs_weight",
    "CS_OPERATORS",
    "cs_comparison",
]

Array = NDArray[np.float64]

#: Reconstructions from ``m`` measurements (:class:`dd_lib.GaussianMeasurement`,
#: :class:`dd_lib.RandomSignsFourier`).
CS_METHODS: tuple[str, ...] = ("min-norm", "l1-wavelet", "TV")
#: Reconstructions from a :class:`dd_lib.PixelMask` (inpainting); ``"zero-filled"`` is
#: the minimum-norm estimate of a mask (``"min-norm"`` is accepted as its synonym).
MASK_METHODS: tuple[str, ...] = ("zero-filled", "biharmonic", "l1-wavelet", "TV")

#: Default weights ``lamda`` for the measurement operators (``E||Ax||^2 = ||x||^2``):
#: :func:`tune_cs_weight` with :data:`CS_WEIGHT_GRIDS` and :data:`CS_ITERATIONS` on
#: the 64 x 64 "moon" image (not in the chapter's comparison), from m = n/4 noiseless
#: Gaussian measurements (seed 0).  PSNR (dB) over the grid:
#: TV (1e-4 ... 1e-1): 41.36, 41.38, 41.27, 40.68, 38.88, 35.79, 31.47;
#: l1-wavelet (1e-3 ... 1e-1): 34.42, 35.03, 34.98, 34.22, 32.25.
#: Noiseless data favour small weights: TV keeps improving by hundredths of a dB
#: below 3e-4.  With noisy measurements, tune again (``tune_cs_weight(..., y=...)``).
CS_WEIGHTS: dict[str, float] = {"l1-wavelet": 3.16e-3, "TV": 3.16e-4}
#: Default weights for a :class:`dd_lib.PixelMask`, tuned the same way on "moon",
#: 64 x 64, keeping 25% of the pixels (seed 0).  PSNR (dB) over the grid:
#: TV: 31.91, 31.89, 31.84, 31.63, 30.96, 29.12, 26.94;
#: l1-wavelet: 28.28, 28.29, 28.22, 28.00, 27.18 (a tie of 1e-3 and 3.16e-3).
MASK_WEIGHTS: dict[str, float] = {"l1-wavelet": 3.16e-3, "TV": 1e-4}
#: Default iteration counts: FISTA for l1-wavelet, PDHG for TV.  Four times more
#: iterations change the PSNR by at most 0.05 dB at the default weights (measured at
#: 64 x 64 on "moon", "grass", "camera", "phantom" and "coins", from m = n/4
#: Gaussian and random-signs Fourier measurements and a 25% pixel mask; and at
#: 128 x 128, random-signs Fourier, on "moon" and "grass").
CS_ITERATIONS: dict[str, int] = {"l1-wavelet": 600, "TV": 400}
#: Default grids of :func:`tune_cs_weight`.  Noiseless measurements favour small
#: weights, but FISTA needs about ``1/sqrt(lamda)`` times more iterations to converge
#: (the l1 term moves the coefficients the measurements do not see by ``lamda`` times
#: the step per iteration), and a run stopped early can score *higher* than its limit
#: (e.g. "moon" with a 25% mask, lamda = 1e-4: 28.49 dB after 600 iterations, 28.31
#: after 1600).  l1-wavelet's grid therefore starts at 1e-3: there 600 iterations
#: are still 0.5 dB *below* the limit on "moon" (Gaussian, m = n/4), from 3.16e-3 on
#: within 0.05 dB.
CS_WEIGHT_GRIDS: dict[str, tuple[float, ...]] = {
    "l1-wavelet": (1e-3, 3.16e-3, 1e-2, 3.16e-2, 1e-1),
    "TV": (1e-4, 3.16e-4, 1e-3, 3.16e-3, 1e-2, 3.16e-2, 1e-1),
}

# The solver's floating-point type: float32 is the operators' own dtype (the dense
# Gaussian matrix is used exactly) and halves the memory traffic of its products
# (measured at 64 x 64, m = n/4: 0.3-0.4 s for the default TV run, 0.8 s in float64;
# l1-wavelet 1.0 s against 1.8 s).
_DTYPE = np.float32
# PDHG's primal step for TV is tau = _TV_TAU_LAMDA / lamda and its dual step
# sigma = 1 / (tau ||K||^2): the TV dual variable is bounded by lamda and the image
# by 1.  Measured on three images, Gaussian and mask: 0.01 converges in 100-400
# iterations for lamda from 1e-4 to 1e-1; 0.003 needs 2-3 times more, 0.03 oscillates
# longer for the Gaussian.
_TV_TAU_LAMDA = 0.01
# Power iterations for the largest eigenvalue of the normal operator (the step sizes),
# from a fixed random start (deterministic results; SigPy's MaxEig would draw from
# NumPy's global generator), and a safety factor: power iteration approaches the
# largest eigenvalue from below (measured: 1.9% below ||A||^2 for the 64 x 64
# Gaussian with m = n/4, 0.4% at 32 x 32).
_POWER_ITERATIONS = 30
_POWER_MARGIN = 1.05


@functools.cache
def _sigpy() -> Any:
    """SigPy, imported on first use, with its soft threshold compiled for real
    arrays first.

    SigPy's ``soft_thresh`` is a Numba ``@vectorize`` ufunc that compiles a loop per
    input type on first use, and NumPy's ufunc dispatch then takes the first loop the
    inputs can be cast to safely.  If a complex reconstruction (chapter 9's MRI) runs
    first, real inputs are cast to that complex loop and return complex arrays, which
    break real reconstructions (chapter 8) in the same process.  Compiling the real
    loops here, before any complex one, keeps both working in either order.
    """
    import sigpy
    from sigpy.thresh import soft_thresh

    for dtype in (np.float32, np.float64):
        soft_thresh(0.5, np.ones(2, dtype=dtype))
    return sigpy


@functools.cache
def _function_linop_class() -> type:
    """A :class:`sigpy.linop.Linop` given by a function and its adjoint (the class is
    built on first use, when SigPy is imported)."""
    from sigpy.linop import Linop

    class FunctionLinop(Linop):
        def __init__(
            self,
            oshape: Sequence[int],
            ishape: Sequence[int],
            forward: Callable[[np.ndarray], np.ndarray],
            adjoint: Callable[[np.ndarray], np.ndarray],
            repr_str: str,
        ) -> None:
            self._forward = forward
            self._adjoint = adjoint
            super().__init__(oshape, ishape, repr_str=repr_str)

        def _apply(self, input: np.ndarray) -> np.ndarray:
            return self._forward(input)

        def _adjoint_linop(self) -> Any:
            return FunctionLinop(
                self.ishape,
                self.oshape,
                self._adjoint,
                self._forward,
                f"{self.repr_str}^H",
            )

    return FunctionLinop


def _image_shape(operator: Any) -> tuple[str, tuple[int, int]]:
    """The operator's kind (``"mask"`` or ``"measurements"``) and the grey image shape
    ``(H, W)`` it acts on; ``ValueError`` for anything else."""
    mask = getattr(operator, "mask", None)
    if isinstance(mask, torch.Tensor):
        if mask.ndim != 2:
            raise ValueError(
                f"the pixel mask must be 2-D (H, W) for a grey image, got shape "
                f"{tuple(mask.shape)}"
            )
        return "mask", (int(mask.shape[0]), int(mask.shape[1]))
    shape = getattr(operator, "shape", None)
    if not (callable(operator) and hasattr(operator, "adjoint") and shape is not None):
        raise ValueError(
            "operator must be a dd.PixelMask or a measurement operator with forward, "
            "adjoint and shape (dd.GaussianMeasurement, dd.RandomSignsFourier); got "
            f"{type(operator).__name__}"
        )
    if len(shape) != 3 or shape[0] != 1:
        raise ValueError(
            "the classical reconstructions are for grey images: the operator's shape "
            f"must be (1, H, W), got {tuple(shape)}"
        )
    return "measurements", (int(shape[1]), int(shape[2]))


def _torch_place(operator: torch.nn.Module) -> torch.device:
    """The device of the operator's buffers (CPU if it has none)."""
    for b in operator.buffers():
        return b.device
    return torch.device("cpu")


def _measurement_count(operator: Any) -> int:
    """``m``, the length of the operator's output."""
    m = getattr(operator, "m", None)
    if isinstance(m, (int, np.integer)):
        return int(m)
    with torch.no_grad():
        zero = torch.zeros(1, *operator.shape, device=_torch_place(operator))
        return int(operator(zero).numel())


def _pinv(operator: Any, y: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``operator.pinv(y)`` on NumPy arrays."""
    own = [b.dtype for b in operator.buffers() if b.is_floating_point()]
    y_t = torch.as_tensor(y, dtype=own[0] if own else torch.float32)
    with torch.no_grad():
        out = operator.pinv(y_t.to(_torch_place(operator)))
    return out.detach().cpu().numpy().reshape(shape)


def as_sigpy_linop(operator: Any, dtype: Any = np.float32) -> Any:
    """A ``dd_lib`` measurement operator as a SigPy linear operator on NumPy arrays.

    Taught in chapter 8.  The SigPy operator maps a grey image ``(H, W)`` to the
    measurements: ``(m,)`` for :class:`dd_lib.GaussianMeasurement` and
    :class:`dd_lib.RandomSignsFourier`, ``(H, W)`` for :class:`dd_lib.PixelMask`;
    its adjoint ``.H`` maps back.

    - Gaussian: NumPy products with the dense matrix ``operator.matrix()``, in
      ``dtype``.  Measured at 64 x 64, m = n/4: 0.17 ms per product in float32,
      0.6 ms through the torch module, 0.7 ms in float64; a default TV
      reconstruction takes 0.3-0.4 s this way, 0.9 s through the torch module.
    - Pixel mask: multiplication by ``operator.mask`` (its own adjoint).
    - Any other operator: ``operator(x)`` and ``operator.adjoint(z)`` on torch tensors
      of ``dtype``, on the operator's device (a GPU operator works; the arrays go
      through the CPU).

    Parameters
    ----------
    operator : PixelMask, GaussianMeasurement, RandomSignsFourier or similar
        An operator of :mod:`dd_lib.operators` for grey images (``shape (1, H, W)``,
        or a 2-D mask); duck typing: ``forward``, ``adjoint`` and ``shape``.
    dtype : numpy dtype, default float32
        Floating-point type of the products (the solver runs in the type of the
        measurements it is given).

    Returns
    -------
    sigpy.linop.Linop

    Examples
    --------
    >>> A = GaussianMeasurement(8, (1, 4, 4), seed=0, device="cpu")
    >>> L = as_sigpy_linop(A, dtype=np.float64)
    >>> L.ishape, L.oshape
    ([4, 4], [8])
    >>> rng = np.random.default_rng(0)
    >>> x, z = rng.standard_normal((4, 4)), rng.standard_normal(8)
    >>> bool(np.isclose(np.vdot(L(x), z), np.vdot(x, L.H(z))))
    True
    """
    kind, shape = _image_shape(operator)
    cls = _function_linop_class()
    np_dtype = np.dtype(dtype)
    if kind == "mask":
        mask = operator.mask.detach().cpu().numpy().astype(np_dtype)

        def apply_mask(x: np.ndarray) -> np.ndarray:
            return x * mask

        return cls(shape, shape, apply_mask, apply_mask, "PixelMask")
    m = _measurement_count(operator)
    if isinstance(operator, GaussianMeasurement):
        M = operator.matrix().detach().cpu().numpy().astype(np_dtype)

        def forward_dense(x: np.ndarray) -> np.ndarray:
            return M @ x.reshape(-1)

        def adjoint_dense(z: np.ndarray) -> np.ndarray:
            return (M.T @ z).reshape(shape)

        return cls((m,), shape, forward_dense, adjoint_dense, "GaussianMeasurement")

    device = _torch_place(operator)
    # the more precise of the requested type and the operator's own
    own = [b.dtype for b in operator.buffers() if b.is_floating_point()]
    t_dtype = torch.promote_types(
        torch.float64 if np_dtype == np.float64 else torch.float32,
        own[0] if own else torch.float32,
    )

    def forward_torch(x: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            t = torch.as_tensor(x, device=device).to(t_dtype).reshape(1, 1, *shape)
            out = operator(t).detach().cpu().numpy().reshape(m)
        return out.astype(x.dtype, copy=False)

    def adjoint_torch(z: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            t = torch.as_tensor(z, device=device).to(t_dtype).reshape(m)
            out = operator.adjoint(t).detach().cpu().numpy().reshape(shape)
        return out.astype(z.dtype, copy=False)

    return cls((m,), shape, forward_torch, adjoint_torch, type(operator).__name__)


def cs_measure(operator: Any, image: Any) -> Array:
    """The noiseless measurements ``A x`` of a grey image, as a NumPy array.

    Taught in chapter 8.  ``(m,)`` for a measurement operator, ``(H, W)`` (zeros at
    the unobserved pixels) for a :class:`dd_lib.PixelMask`; computed by the operator
    itself (float32, on its device) and returned as float64.

    Examples
    --------
    >>> A = GaussianMeasurement(8, (1, 4, 4), seed=0, device="cpu")
    >>> cs_measure(A, np.ones((4, 4))).shape
    (8,)
    """
    kind, shape = _image_shape(operator)
    img = as_real_array(image, "image", ndim=2)
    if img.shape != shape:
        raise ValueError(
            f"image must have the operator's shape {shape}, got {img.shape}"
        )
    t = torch.as_tensor(img[None, None], dtype=torch.float32).to(_torch_place(operator))
    with torch.no_grad():
        out = operator(t).detach().cpu().numpy().astype(np.float64)
    return out.reshape(shape) if kind == "mask" else out.reshape(-1)


def _as_numpy(y: Any) -> Any:
    if isinstance(y, torch.Tensor):
        return y.detach().cpu().numpy()
    return y


def _step_size_eig(N: Any) -> float:
    """The largest eigenvalue of the normal operator ``N`` (SigPy's power method from
    a fixed random start, times a small safety margin)."""
    sp = _sigpy()
    x0 = np.random.default_rng(0).standard_normal(N.ishape).astype(_DTYPE)
    alg = sp.alg.PowerMethod(N, x0, max_iter=_POWER_ITERATIONS)
    while not alg.done():
        alg.update()
    return _POWER_MARGIN * float(alg.max_eig)


def _solver(
    method: str,
    L: Any,
    y: np.ndarray,
    lamda: float,
    max_iter: int,
    wave_name: str,
) -> tuple[Any, Callable[[np.ndarray], np.ndarray]]:
    """The SigPy app for ``method`` and the map from its variable to the image."""
    sp = _sigpy()
    if method == "l1-wavelet":
        Psi = sp.linop.Wavelet(L.ishape, wave_name=wave_name)
        A_syn = L * Psi.H
        app = sp.app.LinearLeastSquares(
            A_syn,
            y,
            proxg=sp.prox.L1Reg(Psi.oshape, lamda),
            solver="GradientMethod",
            alpha=1.0 / _step_size_eig(A_syn.N),
            accelerate=True,
            max_iter=max_iter,
            show_pbar=False,
        )
        return app, Psi.H
    G = sp.linop.FiniteDifference(L.ishape)
    K = sp.linop.Vstack([L, G])
    tau = _TV_TAU_LAMDA / lamda
    app = sp.app.LinearLeastSquares(
        L,
        y,
        proxg=sp.prox.L1Reg(G.oshape, lamda),
        G=G,
        solver="PrimalDualHybridGradient",
        tau=tau,
        sigma=1.0 / (tau * _step_size_eig(K.N)),
        max_iter=max_iter,
        show_pbar=False,
    )
    return app, lambda v: v


def cs_reconstruct(
    method: str,
    operator: Any,
    y: Any,
    *,
    lamda: float | None = None,
    max_iter: int | None = None,
    wave_name: str = "haar",
    clip: bool = True,
) -> Array:
    """Reconstruct a grey image from compressive measurements with a classical method.

    Taught in chapter 8.  With ``A`` the operator, ``x`` the image (``H x W``, values
    in ``[0, 1]``) and ``y`` the measurements:

    - ``"min-norm"``: ``A^+ y``, the image of least norm that explains ``y``
      (``operator.pinv``).  For a :class:`dd_lib.PixelMask` it is the zero-filled
      image ``M y``, also called ``"zero-filled"``.
    - ``"l1-wavelet"`` (Candès, Romberg & Tao, 2006; Donoho, 2006), in synthesis form:
      ``x = Psi^H c`` with ``c`` minimising

      ``1/2 ||A Psi^H c - y||^2 + lamda ||c||_1``,

      where ``Psi`` is SigPy's wavelet transform (:class:`sigpy.linop.Wavelet`,
      ``wave_name``, every level PyWavelets allows).  Solved by
      :class:`sigpy.app.LinearLeastSquares` with :class:`sigpy.prox.L1Reg` on the
      coefficients: FISTA (``GradientMethod`` with Nesterov acceleration, Beck &
      Teboulle, 2009), step ``1/||A Psi^H||^2``.  The default Haar wavelet is
      orthonormal for side lengths divisible by ``2^levels`` (64, 128, 256), and
      then synthesis and analysis (``lamda ||Psi x||_1``) are the same problem.
      Why Haar and synthesis: SigPy pads with zeros, so a longer wavelet is an
      isometry (``Psi^H Psi = I``) onto a redundant coefficient set (db4: 84 x 84
      coefficients for 64 x 64), and the image's jump to the zero padding costs l1
      at the border.  Measured at 64 x 64 from m = n/4 Gaussian measurements
      (converged, best weight): Haar 35.0 / 22.5 / 24.2 dB on "moon" / "camera" /
      "grass", db4 synthesis 31.5 / 21.4 / 22.1; db4 in analysis form (or with the
      proximal step ``Psi^H soft(Psi x)`` of :class:`sigpy.mri.app.L1WaveletRecon`,
      exact only for a unitary ``Psi``) about 22 dB on "moon".
    - ``"TV"`` (Rudin, Osher & Fatemi, 1992), anisotropic:

      ``min_x 1/2 ||A x - y||^2 + lamda ||D x||_1``,

      where ``D`` stacks the vertical and horizontal differences with periodic
      boundary (:func:`sigpy.linop.FiniteDifference`: ``x - roll(x, 1)`` along each
      axis).  Solved by :class:`sigpy.app.LinearLeastSquares` with ``G = D`` and
      :class:`sigpy.prox.L1Reg`: the primal-dual hybrid gradient method (Chambolle
      & Pock, 2011) on ``K = [A; D]``, primal step ``tau = 0.01/lamda``, dual step
      ``sigma = 1/(tau ||K||^2)`` (the fastest balance measured).  For a pixel mask
      the minimiser is not unique (anisotropic TV ties many fillings of a hole), and
      which one PDHG reaches depends on ``tau``: on "camera" (64 x 64, 25% kept)
      ``tau lamda`` from 0.003 to 0.1 gave 22.5 to 23.7 dB at the same objective
      value (within 3e-5, relative).
    - ``"biharmonic"`` (pixel masks only): the unobserved pixels filled by the
      solution of the biharmonic equation (Damelin & Hoang, 2018;
      :func:`skimage.restoration.inpaint_biharmonic`).

    ``lamda`` multiplies the l1 term as written: SigPy's ``LinearLeastSquares``
    minimises ``1/2 ||A x - y||^2 + g(G x)`` (its own ``lamda``, an extra
    ``lamda/2 ||x||^2``, is left at 0), and ``L1Reg(shape, lamda)`` is the proximal
    operator of ``g = lamda ||.||_1``.  Its scale is that of images in ``[0, 1]``
    and of operators with ``E ||A x||^2 = ||x||^2``; a pixel mask that keeps a
    fraction ``p`` has ``E ||A x||^2 = p ||x||^2`` and its own defaults.  The step
    sizes come from 30 power iterations (SigPy's ``PowerMethod``, fixed start, 5%
    margin), so the result is deterministic.  The solver runs in float32, the
    operators' own type.

    Parameters
    ----------
    method : str
        One of :data:`CS_METHODS` for a measurement operator, of
        :data:`MASK_METHODS` (or ``"min-norm"``) for a :class:`dd_lib.PixelMask`.
    operator : PixelMask, GaussianMeasurement, RandomSignsFourier or similar
        The operator that produced ``y``, for grey images (``shape (1, H, W)``).
    y : array_like or torch.Tensor
        The measurements: ``m`` numbers for a measurement operator, the ``H x W``
        masked image for a mask (see :func:`cs_measure`); any shape of that size.
    lamda : float, optional
        Weight of the l1 term, positive; l1-wavelet and TV only.  Default
        :data:`CS_WEIGHTS` (measurement operators) or :data:`MASK_WEIGHTS` (masks).
    max_iter : int, optional
        Iterations of FISTA (l1-wavelet) or PDHG (TV), at least 1.  Default
        :data:`CS_ITERATIONS`.  Not used by the other methods.
    wave_name : str, default "haar"
        PyWavelets name of the wavelet of ``"l1-wavelet"``.
    clip : bool, default True
        Clip the estimate to ``[0, 1]``, the range of the images.

    Returns
    -------
    ndarray
        The estimate, float64, shape ``(H, W)``.

    Raises
    ------
    ValueError
        For an unknown method, a method the operator does not support
        (``"biharmonic"`` and ``"zero-filled"`` need a mask), an operator that is not
        for grey images, ``y`` of the wrong size, a ``lamda`` that is not positive or
        is given to a method without a weight, or ``max_iter < 1``.

    References
    ----------
    Candès, Romberg & Tao (2006), Robust uncertainty principles: exact signal
    reconstruction from highly incomplete frequency information; Donoho (2006),
    Compressed sensing; Rudin, Osher & Fatemi (1992), Nonlinear total variation based
    noise removal algorithms; Beck & Teboulle (2009), A fast iterative
    shrinkage-thresholding algorithm for linear inverse problems; Chambolle & Pock
    (2011), A first-order primal-dual algorithm for convex problems with applications
    to imaging; Ong & Lustig (2019), SigPy: a Python package for high performance
    iterative reconstruction; Damelin & Hoang (2018), On surface completion and image
    inpainting by biharmonic functions.

    Examples
    --------
    A piecewise-constant image from half as many Gaussian measurements as pixels:

    >>> x = np.zeros((16, 16))
    >>> x[4:12, 6:14] = 0.8
    >>> A = dd.GaussianMeasurement(128, (1, 16, 16), seed=0, device="cpu")
    >>> y = cs_measure(A, x)
    >>> x_tv = cs_reconstruct("TV", A, y)
    >>> x_mn = cs_reconstruct("min-norm", A, y)
    >>> bool(dd.psnr(x, x_tv) > dd.psnr(x, x_mn) + 10)
    True

    Inpainting from a quarter of the pixels:

    >>> M = dd.PixelMask((16, 16), keep=0.25, seed=0, device="cpu")
    >>> x_bh = cs_reconstruct("biharmonic", M, cs_measure(M, x))
    >>> x_zf = cs_reconstruct("zero-filled", M, cs_measure(M, x))
    >>> bool(dd.psnr(x, x_bh) > dd.psnr(x, x_zf))
    True
    """
    known = tuple(dict.fromkeys((*CS_METHODS, *MASK_METHODS)))
    if method not in known:
        raise ValueError(f"unknown method {method!r}; choose one of {list(known)}")
    kind, shape = _image_shape(operator)
    if kind == "measurements" and method not in CS_METHODS:
        raise ValueError(
            f"method {method!r} needs a dd.PixelMask; for {type(operator).__name__} "
            f"choose one of {list(CS_METHODS)}"
        )
    y_arr = as_real_array(_as_numpy(y), "y")
    n_out = shape[0] * shape[1] if kind == "mask" else _measurement_count(operator)
    if y_arr.size != n_out:
        expected = f"{shape}, the masked image" if kind == "mask" else f"({n_out},)"
        raise ValueError(
            f"y must hold the operator's {n_out} measurements (shape {expected}); "
            f"got shape {y_arr.shape}"
        )
    weighted = method in ("l1-wavelet", "TV")
    if lamda is not None and not weighted:
        raise ValueError(
            f"lamda is the weight of l1-wavelet and TV; {method!r} has none "
            "(pass lamda=None)"
        )
    if max_iter is not None:
        max_iter = check_int(max_iter, "max_iter", 1)
    if kind == "mask":
        mask = operator.mask.detach().cpu().numpy().astype(np.float64)
        y_arr = y_arr.reshape(shape) * mask  # the unobserved pixels are 0
    else:
        y_arr = y_arr.reshape(-1)

    if method in ("min-norm", "zero-filled"):
        out = y_arr if kind == "mask" else _pinv(operator, y_arr, shape)
    elif method == "biharmonic":
        out = inpaint_biharmonic(y_arr, mask == 0)
    else:
        defaults = MASK_WEIGHTS if kind == "mask" else CS_WEIGHTS
        lam = defaults[method] if lamda is None else check_positive(lamda, "lamda")
        iters = CS_ITERATIONS[method] if max_iter is None else max_iter
        L = as_sigpy_linop(operator, _DTYPE)
        app, to_image = _solver(method, L, y_arr.astype(_DTYPE), lam, iters, wave_name)
        # SigPy's soft threshold (a numba ufunc) divides 0/0 in a branch whose result
        # it discards, which raises NumPy's "invalid value" warning on every call:
        # silence that flag and check the result instead.
        with np.errstate(invalid="ignore"):
            out = to_image(app.run())
        if not np.all(np.isfinite(out)):  # pragma: no cover - a diverging solver
            raise RuntimeError(f"{method} produced non-finite values")
    out = np.asarray(out, dtype=np.float64).reshape(shape)
    return np.clip(out, 0.0, 1.0) if clip else out


def tune_cs_weight(
    method: str,
    image: Any,
    operator: Any,
    grid: Sequence[float] | None = None,
    *,
    y: Any = None,
    max_iter: int | None = None,
    wave_name: str = "haar",
) -> tuple[float, Array]:
    """Choose the weight ``lamda`` of l1-wavelet or TV by PSNR on a tuning image.

    Taught in chapter 8, like :func:`dd_lib.tune_strength` for the denoisers.  Use an
    image that is *not* in the comparison (the chapter tunes on "moon"), so that the
    comparison is not tuned on its own test data.

    Parameters
    ----------
    method : {"l1-wavelet", "TV"}
        The method whose weight is tuned.
    image : array_like
        The tuning image, grey ``(H, W)`` in ``[0, 1]``, of the operator's shape.
    operator : PixelMask, GaussianMeasurement, RandomSignsFourier or similar
        The measurement operator.
    grid : sequence of float, optional
        Weights to try, positive (default :data:`CS_WEIGHT_GRIDS`).
    y : array_like, optional
        The measurements of ``image`` (e.g. with noise added); default the noiseless
        :func:`cs_measure`.
    max_iter : int, optional
        Iterations of each reconstruction (default :data:`CS_ITERATIONS`).
    wave_name : str, default "haar"
        Wavelet of ``"l1-wavelet"``.

    Returns
    -------
    lamda : float
        The grid value with the highest PSNR.
    psnrs : ndarray
        PSNR (dB, data range 1) of the reconstruction for every grid value.

    Examples
    --------
    >>> import dd_lib as dd
    >>> x = dd.test_image("moon", 16)
    >>> A = dd.GaussianMeasurement(128, (1, 16, 16), seed=0, device="cpu")
    >>> lam, p = tune_cs_weight("TV", x, A, grid=[1e-3, 1e-2], max_iter=50)
    >>> lam in (1e-3, 1e-2), p.shape
    (True, (2,))
    """
    if method not in ("l1-wavelet", "TV"):
        raise ValueError(
            f"only l1-wavelet and TV have a weight to tune; got method {method!r}"
        )
    clean = as_real_array(image, "image", ndim=2)
    if grid is None:
        grid = CS_WEIGHT_GRIDS[method]
    if len(grid) == 0:
        raise ValueError("grid must contain at least one weight")
    weights = [check_positive(g, "grid[i]") for g in grid]
    meas = cs_measure(operator, clean) if y is None else y
    scores = np.array(
        [
            psnr(
                clean,
                cs_reconstruct(
                    method,
                    operator,
                    meas,
                    lamda=g,
                    max_iter=max_iter,
                    wave_name=wave_name,
                ),
            )
            for g in weights
        ]
    )
    return float(grid[int(np.argmax(scores))]), scores


#: Operator kinds of :func:`cs_comparison`: the fraction is ``m/n`` for the
#: measurement operators and the fraction of pixels kept for the mask.
CS_OPERATORS: tuple[str, ...] = ("gaussian", "fourier", "mask")
#: The ``config`` keys each network of :func:`cs_comparison` reads, besides
#: ``size``, ``lr`` and ``record_every``.
_NETWORK_KEYS = {
    "DD": ("depth", "k", "steps"),
    "DIP": ("dip_channels", "dip_skip", "dip_input", "steps_dip"),
}


def _case_label(name: str, kind: str, fraction: float, noise: float = 0.0) -> str:
    label = f"{name}, {kind} {fraction:g}"
    return label + (f", noise {noise:g}" if noise > 0 else "")


def _make_operator(
    kind: str, fraction: float, size: int, seed: int, device: torch.device
) -> Any:
    from .operators import PixelMask, RandomSignsFourier

    n = size * size
    if kind == "mask":
        return PixelMask((size, size), keep=fraction, seed=seed, device=device)
    m = round(fraction * n)
    if not 1 <= m <= n:
        raise ValueError(
            f"the fraction m/n = {fraction!r} gives m = {m} measurements of n = {n}; "
            "it must give 1 <= m <= n"
        )
    cls = GaussianMeasurement if kind == "gaussian" else RandomSignsFourier
    return cls(m, (1, size, size), seed=seed, device=device)


def _check_cases(
    cases: Sequence[tuple[Any, ...]], noise: float
) -> list[tuple[str, str, float, float]]:
    if not cases:
        raise ValueError(
            "cases must list at least one (image, operator kind, fraction)"
        )
    checked = []
    for case in cases:
        if len(case) not in (3, 4) or case[1] not in CS_OPERATORS:
            raise ValueError(
                "each case is (image name, kind, fraction) or (image name, kind, "
                f"fraction, noise) with kind in {CS_OPERATORS}, got {case!r}"
            )
        name, kind, fraction = case[:3]
        fraction = check_positive(fraction, "fraction")
        if fraction > 1:
            raise ValueError(f"the fraction must be in (0, 1], got {fraction!r}")
        level = (
            check_nonnegative(case[3], "a case's noise") if len(case) == 4 else noise
        )
        checked.append((name, kind, fraction, level))
    labels = [_case_label(*case) for case in checked]
    if len(set(labels)) != len(labels):
        raise ValueError(f"a case appears twice: {labels}")
    return checked


def cs_comparison(
    cases: Sequence[tuple[Any, ...]],
    config: dict[str, Any],
    *,
    networks: Sequence[str] = ("DD",),
    methods: Sequence[str] | None = None,
    noise: float = 0.0,
    seed: int = 0,
    snapshots: Sequence[int] = (),
    workers: int | None = None,
    progress: bool = False,
    device: torch.device | str | None = None,
) -> dict[str, Any]:
    """Un-trained networks fitted to compressive measurements, beside the classical
    reconstructions of the same measurements (chapter 8's comparison and m/n sweep).

    Taught in chapter 8.  For each case ``(image, kind, fraction[, noise])``: the
    grey test image (:func:`dd_lib.test_image`, ``config["size"]``), an operator of
    ``kind`` (``"gaussian"`` or ``"fourier"`` with ``m = round(fraction n)``, or
    ``"mask"`` keeping that fraction of the pixels; operator seed ``seed + 100 i``
    for case ``i``, or that of the first case with the same image, kind and
    fraction: cases that differ only in their noise share the operator), its
    measurements ``y = A x`` plus, when the case's noise level
    is positive, Gaussian noise of standard deviation ``level * ||A x|| / sqrt(m)``
    (seed ``seed + 100 i + 7``).
    Then every network in ``networks`` is fitted to ``y`` with Adam (all fits of all
    cases in one :func:`dd_lib.fit_many` call, so the worker processes stay busy) and
    every classical method in ``methods`` (default: all of :data:`CS_METHODS`, or of
    :data:`MASK_METHODS` for a mask, on the noiseless cases) reconstructs from the
    same ``y`` (:func:`cs_reconstruct`, default weights).

    A network's estimate is the recorded iterate with the lowest training loss: what
    a fit run to convergence delivers without the clean image (Adam's last iterate
    oscillates).  Its oracle, the iterate closest to the image, is reported beside.

    Parameters
    ----------
    cases : sequence of (str, str, float) or (str, str, float, float)
        Image name, operator kind (:data:`CS_OPERATORS`), fraction in (0, 1] and,
        optionally, the case's own noise level (default: ``noise``).
    config : dict
        ``size``, ``depth``, ``k`` (deep decoder channels), ``steps``, ``lr``,
        ``record_every``; with ``"DIP"`` also ``dip_channels``, ``dip_skip``,
        ``dip_input`` and ``steps_dip``.
    networks : sequence of {"DD", "DIP"}, default ("DD",)
    methods : sequence of str, optional
        Classical methods; a method that does not apply to a case's operator is
        skipped there (NaN).  ``()`` runs none.  By default a case with noise runs
        none: the default weights are tuned on noiseless measurements (tune them on
        noisy ones with :func:`tune_cs_weight` and call :func:`cs_reconstruct`).
    noise : float, default 0.0
        Noise level relative to the root-mean-square measurement, at least 0, for
        the cases that do not give their own.
    seed : int, default 0
        Base seed; the networks use ``seed`` itself.
    snapshots : sequence of int
        Iterations at which the deep decoder fits keep their output.
    workers : int, optional
        Worker processes of :func:`dd_lib.fit_many`.
    progress : bool, default False
    device : torch.device or str, optional
        Where the networks and the operators live (default
        :func:`dd_lib.get_device`: CUDA if available).  The operators draw their
        randomness on the CPU, so the measurements are the same on every device; on
        a GPU the fits run one after the other (:func:`dd_lib.fit_many`).

    Returns
    -------
    dict
        ``labels`` (one per case, ``"image, kind fraction"``, with ``", noise
        level"`` appended where the level is positive); ``psnr`` and
        ``seconds``: ``{method: ndarray (cases,)}`` with rows ``"DD"``, ``"DD
        (oracle)"`` (and the same for ``"DIP"``) and the classical methods, NaN where
        a method was not run; ``fits`` ``{(label, network): FitResult}``;
        ``estimates`` ``{label: {method: image}}``; ``clean`` ``{label: image}``;
        ``operators`` and ``measurements`` ``{label: ...}``.

    Raises
    ------
    ValueError
        For an empty or malformed case list, a fraction outside (0, 1] or giving no
        measurement, a repeated case, an unknown network or method, negative
        ``noise``, or a ``config`` that lacks a size its networks need.

    Examples
    --------
    >>> cfg = dict(size=16, depth=2, k=8, steps=20, lr=0.01, record_every=5)
    >>> out = cs_comparison(
    ...     [("moon", "gaussian", 0.5)], cfg, methods=("min-norm",), workers=1
    ... )
    >>> out["labels"], sorted(out["psnr"])
    (['moon, gaussian 0.5'], ['DD', 'DD (oracle)', 'min-norm'])
    """
    from .config import get_device
    from .deep_decoder import DeepDecoder
    from .dip import DeepImagePrior
    from .fitting import FitJob, fit_many
    from .images import test_image

    noise = check_nonnegative(noise, "noise")
    checked = _check_cases(cases, noise)
    unknown = [net for net in networks if net not in _NETWORK_KEYS]
    if unknown or not networks:
        raise ValueError(
            f"networks must be a non-empty subset of {list(_NETWORK_KEYS)}"
        )
    needed = ["size", "lr", "record_every"]
    needed += [key for net in networks for key in _NETWORK_KEYS[net]]
    missing = sorted({key for key in needed if key not in config})
    if missing:
        raise ValueError(f"config lacks {missing} for the networks {list(networks)}")
    known = set(CS_METHODS) | set(MASK_METHODS)
    if methods is not None and any(m not in known for m in methods):
        raise ValueError(f"methods must be among {sorted(known)}, got {list(methods)}")
    size = check_int(config["size"], "config['size']", 8)
    dev = get_device() if device is None else torch.device(device)
    labels, clean, ops, ys = [], {}, {}, {}
    jobs: dict[tuple[str, str], Any] = {}
    first: dict[tuple[str, str, float], int] = {}
    for i, (name, kind, fraction, level) in enumerate(checked):
        label = _case_label(name, kind, fraction, level)
        labels.append(label)
        x = test_image(name, size, grey=True)
        # cases that differ only in their noise share the operator of the first
        j = first.setdefault((name, kind, fraction), i)
        op = _make_operator(kind, fraction, size, seed + 100 * j, dev)
        y = cs_measure(op, x)
        if level > 0:
            rng = np.random.default_rng(seed + 100 * i + 7)
            rms = (
                float(np.sqrt(np.mean(y**2)))
                if kind != "mask"
                else float(
                    np.sqrt(np.sum(y**2) / np.count_nonzero(op.mask.cpu().numpy()))
                )
            )
            z = rng.standard_normal(y.shape) * level * rms
            if kind == "mask":
                z *= op.mask.cpu().numpy()
            y = y + z
        clean[label], ops[label], ys[label] = x, op, y
        y_t = torch.as_tensor(y, dtype=torch.float32)
        if kind == "mask":
            y_t = y_t[None, None]
        common = dict(
            y=y_t,
            operator=op,
            reference=x,
            lr=config["lr"],
            record_every=config["record_every"],
            progress=False,
        )
        for net in networks:
            if net == "DD":
                args: tuple = (size, config["k"], config["depth"], 1)
                kw = dict(seed=seed, device=dev)
                fit_kw = dict(common, steps=config["steps"], snapshots=list(snapshots))
                jobs[label, net] = FitJob(DeepDecoder, args, kw, fit_kw)
            else:
                chans = config["dip_channels"]
                args = (
                    size,
                    chans,
                    [config["dip_skip"]] * len(chans),
                    config["dip_input"],
                    1,
                )
                kw = dict(seed=seed, device=dev, input_noise_std=1 / 30)
                fit_kw = dict(common, steps=config["steps_dip"])
                jobs[label, net] = FitJob(DeepImagePrior, args, kw, fit_kw)
    results = fit_many(list(jobs.values()), workers=workers, progress=progress)
    fits = dict(zip(jobs, results, strict=True))

    def case_methods(kind: str, level: float) -> list[str]:
        # by default each operator's own list (a mask's "min-norm" is
        # "zero-filled"), and none with noise (the weights are tuned without)
        if methods is None:
            if level > 0:
                return []
            return list(MASK_METHODS if kind == "mask" else CS_METHODS)
        allowed = (*MASK_METHODS, "min-norm") if kind == "mask" else CS_METHODS
        return [m for m in methods if m in allowed]

    rows = [r for net in networks for r in (net, f"{net} (oracle)")]
    for _, kind, _, level in checked:
        rows += [m for m in case_methods(kind, level) if m not in rows]
    psnrs = {r: np.full(len(labels), np.nan) for r in rows}
    secs = {r: np.full(len(labels), np.nan) for r in rows}
    estimates: dict[str, dict[str, Array]] = {}
    for i, (label, (_, kind, _, level)) in enumerate(zip(labels, checked, strict=True)):
        x = clean[label]
        est: dict[str, Array] = {}
        for net in networks:
            r = fits[label, net]
            # recorded with a reference, so both iterates exist
            assert r.lowest_loss_output is not None
            assert r.best_psnr is not None
            est[net] = r.lowest_loss_output
            psnrs[net][i] = psnr(x, r.lowest_loss_output)
            psnrs[f"{net} (oracle)"][i] = float(r.best_psnr)
            secs[net][i] = secs[f"{net} (oracle)"][i] = r.wall_time
        for method in case_methods(kind, level):
            t0 = time.perf_counter()
            est[method] = cs_reconstruct(method, ops[label], ys[label])
            secs[method][i] = time.perf_counter() - t0
            psnrs[method][i] = psnr(x, est[method])
        estimates[label] = est
    return {
        "labels": labels,
        "psnr": psnrs,
        "seconds": secs,
        "fits": fits,
        "estimates": estimates,
        "clean": clean,
        "operators": ops,
        "measurements": ys,
    }
