"""The two-layer convolutional generator and its gradient-descent dynamics (chapter 4).

The denoising paper analyses plain gradient descent on

.. math::

    \\mathcal L(C) = \\tfrac12 \\|\\mathbf y - G(C)\\|_2^2,
    \\qquad G(C) = \\mathrm{ReLU}(U C)\\, v,

and shows that, for enough channels, its residual stays close to that of the
*linear* model whose Gram matrix is ``Sigma(U)`` (its Theorems 4 and 5): the
component along the trigonometric function ``w_i`` shrinks by the factor
``1 - eta * sigma_i**2`` per step, with ``sigma`` the dual kernel.

* :class:`TwoLayerGenerator` is ``G(C) = ReLU(U C) v`` (PyTorch), with its Jacobian;
* :func:`conv_step_size` is the paper's step size ``1 / ||U||^2``;
* :func:`fit_two_layer_gd` runs the non-linear gradient descent (an explicit,
  FFT-based gradient; no autograd) and records residuals and the relative
  distance the weights travel;
* :func:`linear_residuals` is the linear prediction
  ``e_t = W diag((1 - eta sigma**2)**t) W^T r_0``;
* :func:`early_stopping_time` and :func:`denoising_error_bound` are the
  stopping time of Theorem 1 and the linear-model part of the error bound of
  Theorems 1/2 of the denoising paper.

Residuals follow the convention of :func:`dd_lib.gd_least_squares`:
``r_t = y - G(C_t)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from ._checks import (
    as_real_array,
    check_int,
    check_nonnegative,
    check_positive,
    check_spectrum,
    check_step_size,
)
from .config import get_device
from .least_squares import gd_residual_factor, spectral_residuals
from .trig import pad_kernel

Array = NDArray[np.float64]


def conv_step_size(u: Any, n: int) -> float:
    """The papers' step size ``1 / ||U||_2^2`` for the circulant ``U`` of the kernel
    ``u``.

    ``||U||_2 = max_f |DFT(u zero-padded to n)|_f`` (the singular values of a
    circulant matrix are the magnitudes of the DFT of its kernel).  Since
    ``||J(C)|| <= ||U||`` for every ``C`` (Lemma 5 of the denoising paper),
    gradient descent on the two-layer generator is stable for every
    ``eta < 2 * conv_step_size(u, n)``.

    Taught in chapter 4; used in the introduction.

    Parameters
    ----------
    u : array_like, shape (L,)
        Real finite non-zero kernel, ``L <= n``, in the wrapped layout of
        :func:`dd_lib.circulant`.
    n : int
        Signal length.

    Returns
    -------
    float
        ``1 / max |rfft(u, n)|**2``.

    Examples
    --------
    >>> conv_step_size([1.0, 1.0], 4)
    0.25
    >>> u = triangular_kernel(4, 64)
    >>> bool(
    ...     np.isclose(
    ...         conv_step_size(u, 64), 1 / np.linalg.norm(circulant(u, 64), 2) ** 2
    ...     )
    ... )
    True
    """
    col, n = pad_kernel(u, n)
    norm2 = float(np.max(np.abs(np.fft.rfft(col)))) ** 2
    if norm2 == 0:
        raise ValueError(
            "kernel u must not be all zeros (its circulant matrix has norm 0)"
        )
    return 1.0 / norm2


class TwoLayerGenerator(nn.Module):
    """Two-layer convolutional generator of the denoising paper, eq. (1).

    .. math::

        G(C) = \\mathrm{ReLU}(U C)\\, v,\\qquad C \\in \\mathbb R^{n\\times k},

    where ``U`` is the ``n x n`` circulant matrix of the kernel ``u`` (applied
    with the FFT, ``O(n k log n)``) and ``v = [1, ..., 1, -1, ..., -1] / sqrt(k)``
    is fixed, so ``||v||_2 = 1``.  The trainable weights ``C`` are initialised
    with i.i.d. ``N(0, omega**2)`` entries.

    Taught in chapter 4; its Jacobian in chapter 3; used in the introduction.

    Parameters
    ----------
    u : array_like, shape (L,)
        Real kernel, ``L <= n``, wrapped layout of :func:`dd_lib.circulant`.
    n : int
        Output length.
    k : int
        Number of channels; even and ``>= 2`` (``v`` has two halves).
    omega : float, default 1.0
        Standard deviation of the initial weights.  The Jacobian does not depend
        on it (the ReLU derivative is scale invariant); the initial output
        ``G(C_0)`` is proportional to it.
    seed : int, default 0
        Seed of the initialisation (a private generator; global state is untouched).
    device : torch.device or str, optional
        Defaults to :func:`dd_lib.get_device`.
    dtype : torch.dtype, default torch.float64

    Attributes
    ----------
    C : torch.nn.Parameter, shape (n, k)
        The weights.
    v : torch.Tensor, shape (k,)
        Fixed output weights.

    Examples
    --------
    >>> G = TwoLayerGenerator(triangular_kernel(2, 8), 8, 4, seed=0, device="cpu")
    >>> tuple(G().shape), tuple(G.jacobian().shape)
    ((8,), (8, 32))
    >>> round(float(G.v @ G.v), 6)
    1.0
    """

    # Buffers, registered in __init__.
    v: torch.Tensor
    u: torch.Tensor
    u_hat: torch.Tensor

    def __init__(
        self,
        u: Any,
        n: int,
        k: int,
        omega: float = 1.0,
        seed: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype = torch.float64,
    ) -> None:
        super().__init__()
        col, n = pad_kernel(u, n)
        if not np.any(col):
            raise ValueError("kernel u must not be all zeros")
        k = check_int(k, "k", 2)
        if k % 2:
            raise ValueError(
                "k must be even (v has k/2 entries +1/sqrt(k) and k/2 entries "
                f"-1/sqrt(k)), got {k}"
            )
        omega = check_positive(omega, "omega")
        seed = check_int(seed, "seed", 0)
        if dtype not in (torch.float32, torch.float64):
            raise ValueError(
                f"dtype must be torch.float32 or torch.float64, got {dtype}"
            )
        device = torch.device(device) if device is not None else get_device()
        self.n, self.k, self.omega = n, k, omega
        gen = torch.Generator(device="cpu").manual_seed(seed)
        C0 = omega * torch.randn(n, k, generator=gen, dtype=torch.float64)
        self.C = nn.Parameter(C0.to(device=device, dtype=dtype))
        v = torch.cat([torch.ones(k // 2), -torch.ones(k // 2)]) / np.sqrt(k)
        self.register_buffer("v", v.to(device=device, dtype=dtype))
        self.register_buffer("u", torch.as_tensor(col, device=device, dtype=dtype))
        self.register_buffer("u_hat", torch.fft.rfft(self.u))

    # ------------------------------------------------------------------
    def _weights(self, C: torch.Tensor | None) -> torch.Tensor:
        if C is None:
            return self.C
        if not isinstance(C, torch.Tensor) or C.shape != (self.n, self.k):
            shape = tuple(C.shape) if isinstance(C, torch.Tensor) else type(C).__name__
            raise ValueError(
                f"C must be a tensor of shape ({self.n}, {self.k}), got {shape}"
            )
        return C

    def conv(self, C: torch.Tensor | None = None) -> torch.Tensor:
        """``U C``: circular convolution of every column of ``C`` with ``u``."""
        C = self._weights(C)
        # FFT along the contiguous axis of C^T (about 1.2x faster than along dim 0)
        spec = torch.fft.rfft(C.T, dim=1) * self.u_hat[None, :]
        return torch.fft.irfft(spec, self.n, dim=1).T

    def forward(self, C: torch.Tensor | None = None) -> torch.Tensor:
        """Return ``G(C)``, shape (n,); ``C`` defaults to the module's weights."""
        return torch.relu(self.conv(C)) @ self.v

    def U(self) -> torch.Tensor:
        """The dense ``n x n`` circulant matrix ``U`` (for checks; O(n^2) memory)."""
        idx = (torch.arange(self.n)[:, None] - torch.arange(self.n)[None, :]) % self.n
        return self.u[idx.to(self.u.device)]

    def jacobian(self, C: torch.Tensor | None = None) -> torch.Tensor:
        """The Jacobian ``dG/dvec(C)``, shape ``(n, n k)`` (denoising paper, eq. 9).

        ``vec`` stacks the columns of ``C``: block ``l`` (columns
        ``l n, ..., (l+1) n - 1``) is ``v_l diag(ReLU'(U c_l)) U``, with
        ``ReLU'(t) = 1[t > 0]``.
        """
        with torch.no_grad():
            mask = (self.conv(C) > 0).to(self.u.dtype)  # (n, k)
            U = self.U()
            J3 = (self.v[None, :] * mask)[:, :, None] * U[:, None, :]  # (n, k, n)
            return J3.reshape(self.n, self.k * self.n)

    def jacobian_gram(self, C: torch.Tensor | None = None) -> torch.Tensor:
        """``J(C) J(C)^T`` without forming ``J``, shape (n, n).

        Equals ``(S diag(v**2) S^T) ∘ (U U^T)`` with ``S = ReLU'(U C)``.
        """
        with torch.no_grad():
            mask = (self.conv(C) > 0).to(self.u.dtype)
            U = self.U()
            return ((mask * self.v**2) @ mask.T) * (U @ U.T)


@dataclass(frozen=True)
class TwoLayerFit:
    """Record of a gradient-descent run on the two-layer generator.

    Attributes
    ----------
    steps : ndarray of int, shape (T,)
        The recorded iterations (always starts with 0 and ends with the last).
    residuals : ndarray, shape (T, n)
        ``r_t = y - G(C_t)`` at the recorded iterations.
    weight_distance : ndarray, shape (T,)
        Relative distance travelled by the weights, ``||C_t - C_0||_F / ||C_0||_F``.

    Taught in chapter 4 (returned by :func:`fit_two_layer_gd`).

    Examples
    --------
    >>> fit = TwoLayerFit(
    ...     np.array([0, 1]), np.array([[1.0, 0.0], [0.5, 0.0]]), np.zeros(2)
    ... )
    >>> print(fit.outputs([1.0, 0.0]))
    [[0.  0. ]
     [0.5 0. ]]
    """

    steps: NDArray[np.int64]
    residuals: Array
    weight_distance: Array

    def outputs(self, y: Any) -> Array:
        """The generator outputs ``G(C_t) = y - r_t`` (shape (T, n))."""
        y = as_real_array(y, "y", ndim=1)
        if y.shape[0] != self.residuals.shape[1]:
            raise ValueError(
                f"y must have length {self.residuals.shape[1]}, got {y.shape[0]}"
            )
        return y[None, :] - self.residuals


def _recorded_steps(steps: int, record_every: int) -> NDArray[np.int64]:
    t = np.arange(0, steps + 1, record_every)
    if t[-1] != steps:
        t = np.append(t, steps)
    return t.astype(np.int64)


def fit_two_layer_gd(
    generator: TwoLayerGenerator,
    y: Any,
    eta: float,
    steps: int,
    *,
    record_every: int = 1,
    progress: bool = False,
) -> TwoLayerFit:
    """Plain gradient descent on ``1/2 ||y - G(C)||^2`` for a
    :class:`TwoLayerGenerator`.

    The update is ``C <- C - eta * U^T [ReLU'(U C) * ((G(C) - y) v^T)]``, the
    exact gradient (with ``ReLU'(0) = 0``, as in PyTorch's autograd), computed
    with FFTs in ``O(n k log n)`` per step on the generator's device and dtype.
    The generator's weights are updated in place: afterwards
    ``generator.C`` holds ``C_steps``.

    Taught in chapter 4; used in the introduction.

    Parameters
    ----------
    generator : TwoLayerGenerator
        The network; its current weights are the initialisation ``C_0``.
    y : array_like, shape (n,)
        The signal to fit.
    eta : float
        Step size, ``0 < eta < 2 / ||U||_2**2``.  Since ``||J(C)|| <= ||U||``
        for every ``C`` (Lemma 5 of the denoising paper, ``||v||_2 = 1``),
        ``eta = 1 / ||U||**2 = conv_step_size(u, n)`` (the paper's choice)
        is safe for every iterate.
    steps : int
        Number of gradient steps, ``>= 0``.
    record_every : int, default 1
        Record every ``record_every``-th iterate (and always the last).
    progress : bool, default False
        Show a ``tqdm`` progress bar.

    Returns
    -------
    TwoLayerFit
        Recorded iterations, residuals ``y - G(C_t)`` and relative weight distances.

    Raises
    ------
    ValueError
        If ``generator`` is not a :class:`TwoLayerGenerator`, ``y`` has the wrong
        length or non-finite entries, ``eta`` is not in ``(0, 2/||U||^2)``, or
        ``steps``/``record_every`` are not valid integers.

    Examples
    --------
    >>> n = 16
    >>> u = gaussian_kernel(1.5, n)
    >>> G = TwoLayerGenerator(u, n, 64, seed=0, device="cpu")
    >>> y = trig_basis(n)[:, 1]
    >>> fit = fit_two_layer_gd(G, y, conv_step_size(u, n), 50, record_every=25)
    >>> fit.steps.tolist()
    [0, 25, 50]
    >>> loss = 0.5 * np.sum(fit.residuals**2, axis=1)
    >>> bool(loss[-1] < 0.1 * loss[0])
    True
    """
    if not isinstance(generator, TwoLayerGenerator):
        raise ValueError(
            "generator must be a dd_lib.TwoLayerGenerator, "
            f"got {type(generator).__name__}"
        )
    n = generator.n
    y = as_real_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(
            f"y must have length n = {n} (the generator's output size), "
            f"got {y.shape[0]}"
        )
    steps = check_int(steps, "steps", 0)
    record_every = check_int(record_every, "record_every", 1)
    eta = check_step_size(eta, conv_step_size(generator.u.cpu().numpy(), n), "||U||")

    y_t = torch.as_tensor(y, device=generator.C.device, dtype=generator.C.dtype)
    record = _recorded_steps(steps, record_every)
    outputs, dist, _ = _two_layer_descent(
        generator, lambda out: out - y_t, eta, record, progress=progress
    )
    res = np.stack([(y_t - out).cpu().numpy() for out in outputs])
    return TwoLayerFit(steps=record, residuals=res, weight_distance=dist)


@dataclass
class TwoLayerCSFit:
    """Record of gradient descent on ``1/2 ||A G(C) - y||^2`` (CS paper, eq. 9).

    Taught in chapter 8 (returned by :func:`fit_two_layer_cs`).

    Attributes
    ----------
    steps : ndarray of int, shape (T,)
        The recorded iterations (from 0; the last is where the run ended).
    outputs : ndarray, shape (T, n)
        The generator outputs ``G(C_t)``.
    loss : ndarray, shape (T,)
        ``1/2 ||A G(C_t) - y||^2``.
    weight_distance : ndarray, shape (T,)
        ``||C_t - C_0||_F / ||C_0||_F``.
    converged_at : int or None
        The first recorded iteration with ``loss <= tol * 1/2 ||y||^2``, where the
        run stopped; ``None`` if ``max_steps`` ran out first.

    Examples
    --------
    >>> rec = TwoLayerCSFit(
    ...     np.array([0, 5]), np.zeros((2, 4)), np.array([1.0, 1e-9]), np.zeros(2), 5
    ... )
    >>> rec.converged_at, rec.outputs.shape
    (5, (2, 4))
    """

    steps: NDArray[np.int64]
    outputs: Array
    loss: Array
    weight_distance: Array
    converged_at: int | None


def _check_measurements(A: Any, y: Any, n: int) -> tuple[Array, Array]:
    A = as_real_array(A, "A", ndim=2)
    m = A.shape[0]
    if A.shape[1] != n or not 1 <= m <= n:
        raise ValueError(
            f"A must have shape (m, n) with n = {n} (the generator's output size) "
            f"and 1 <= m <= n, got {A.shape}"
        )
    y = as_real_array(y, "y", ndim=1)
    if y.shape[0] != m:
        raise ValueError(
            f"y must have length m = {m} (the rows of A), got {y.shape[0]}"
        )
    return A, y


def fit_two_layer_cs(
    generator: TwoLayerGenerator,
    A: Any,
    y: Any,
    eta: float,
    max_steps: int,
    *,
    tol: float = 1e-8,
    record_every: int = 1,
    progress: bool = False,
) -> TwoLayerCSFit:
    """Plain gradient descent on ``1/2 ||A G(C) - y||^2`` for a
    :class:`TwoLayerGenerator`, until the loss is below a tolerance (CS paper,
    eq. 9, the setting of its Theorem 2).

    The update is ``C <- C - eta * U^T [ReLU'(U C) * ((A^T (A G(C) - y)) v^T)]``,
    the exact gradient, computed with FFTs.  The run stops at the first recorded
    iteration with ``1/2 ||A G(C_t) - y||^2 <= tol * 1/2 ||y||^2`` ("until
    convergence", made checkable), or after ``max_steps``.  The generator's weights
    are updated in place.

    Taught in chapter 8.

    Parameters
    ----------
    generator : TwoLayerGenerator
        The network; its current weights are the initialisation ``C_0``.
    A : array_like, shape (m, n)
        Measurement matrix, ``1 <= m <= n``.
    y : array_like, shape (m,)
        Measurements.
    eta : float
        Step size, ``0 < eta < 2 / (||A||^2 ||U||^2)``: since ``||J(C)|| <= ||U||``
        for every ``C``, ``eta = conv_step_size(u, n) / ||A||^2`` is safe for every
        iterate.
    max_steps : int
        Most gradient steps, ``>= 0``.
    tol : float, default 1e-8
        Relative loss at which the run counts as converged and stops.
    record_every : int, default 1
        Record every ``record_every``-th iterate (and the last).
    progress : bool, default False
        Show a ``tqdm`` progress bar.

    Returns
    -------
    TwoLayerCSFit

    Raises
    ------
    ValueError
        If ``generator`` is not a :class:`TwoLayerGenerator`, ``A`` or ``y`` have
        the wrong shape or non-finite entries, ``eta`` is outside the stable range,
        or ``tol``, ``max_steps`` or ``record_every`` are invalid.

    Examples
    --------
    >>> n, m = 32, 12
    >>> u = gaussian_kernel(1.5, n)
    >>> G = TwoLayerGenerator(u, n, 64, omega=0.01, seed=0, device="cpu")
    >>> A = np.random.default_rng(0).standard_normal((m, n)) / np.sqrt(m)
    >>> x = trig_basis(n)[:, 1]
    >>> eta = conv_step_size(u, n) / np.linalg.norm(A, 2) ** 2
    >>> fit = fit_two_layer_cs(G, A, A @ x, eta, 20000, tol=1e-6)
    >>> (
    ...     fit.converged_at is not None,
    ...     bool(fit.loss[-1] <= 1e-6 * 0.5 * np.sum((A @ x) ** 2)),
    ... )
    (True, True)
    """
    if not isinstance(generator, TwoLayerGenerator):
        raise ValueError(
            "generator must be a dd_lib.TwoLayerGenerator, "
            f"got {type(generator).__name__}"
        )
    n = generator.n
    A, y = _check_measurements(A, y, n)
    max_steps = check_int(max_steps, "max_steps", 0)
    record_every = check_int(record_every, "record_every", 1)
    tol = check_positive(tol, "tol")
    u = generator.u.cpu().numpy()
    eta_unit = conv_step_size(u, n) / float(np.linalg.norm(A, 2)) ** 2
    eta = check_step_size(eta, eta_unit, "(||A|| ||U||)")
    dev, dt = generator.C.device, generator.C.dtype
    A_t = torch.as_tensor(A, device=dev, dtype=dt)
    y_t = torch.as_tensor(y, device=dev, dtype=dt)
    target = tol * 0.5 * float(y @ y)
    losses: list[float] = []

    def converged(t: int, out: torch.Tensor) -> bool:
        loss = 0.5 * float(torch.sum((A_t @ out - y_t) ** 2))
        losses.append(loss)
        return loss <= target

    record = _recorded_steps(max_steps, record_every)
    outputs, dist, last = _two_layer_descent(
        generator,
        lambda out: A_t.T @ (A_t @ out - y_t),
        eta,
        record,
        progress=progress,
        stop=converged,
    )
    steps = record[: len(outputs)].copy()
    return TwoLayerCSFit(
        steps=steps,
        outputs=np.stack([o.cpu().numpy() for o in outputs]).astype(np.float64),
        loss=np.asarray(losses),
        weight_distance=dist,
        converged_at=int(last) if losses[-1] <= target else None,
    )


def linearised_cs_estimate(generator: TwoLayerGenerator, A: Any, y: Any) -> Array:
    """What gradient descent on ``1/2 ||A G(C) - y||^2`` converges to if the
    generator were its linearisation at the current weights ``C_0``.

    Taught in chapter 8.  The linear model ``G(C_0) + J_0 (c - c_0)`` fitted from
    ``c_0`` converges to ``c_0 + (A J_0)^+ (y - A G(C_0))`` (the minimum-norm
    correction, chapter 5), so the estimate is

    .. math::

        \\hat x_{\\mathrm{lin}} = G(C_0) + K A^T (A K A^T)^{-1} (y - A G(C_0)),
        \\qquad K = J_0 J_0^T,

    kernel interpolation with the kernel ``K`` (computed without forming ``J_0``,
    by :meth:`TwoLayerGenerator.jacobian_gram`).

    Parameters
    ----------
    generator : TwoLayerGenerator
        The network at its initialisation.
    A : array_like, shape (m, n)
        Measurement matrix, ``1 <= m <= n``, of full row rank.
    y : array_like, shape (m,)
        Measurements.

    Returns
    -------
    ndarray, shape (n,)

    Raises
    ------
    ValueError
        For a generator that is not a :class:`TwoLayerGenerator` or arrays of the
        wrong shape.

    Examples
    --------
    >>> n, m = 16, 6
    >>> G = TwoLayerGenerator(gaussian_kernel(1.0, n), n, 32, seed=0, device="cpu")
    >>> A = np.random.default_rng(1).standard_normal((m, n)) / np.sqrt(m)
    >>> x_lin = linearised_cs_estimate(G, A, A @ trig_basis(n)[:, 0])
    >>> bool(np.allclose(A @ x_lin, A @ trig_basis(n)[:, 0]))
    True
    """
    if not isinstance(generator, TwoLayerGenerator):
        raise ValueError(
            "generator must be a dd_lib.TwoLayerGenerator, "
            f"got {type(generator).__name__}"
        )
    A, y = _check_measurements(A, y, generator.n)
    with torch.no_grad():
        K = generator.jacobian_gram().cpu().numpy().astype(np.float64)
        g0 = generator().cpu().numpy().astype(np.float64)
    AK = A @ K
    return g0 + AK.T @ np.linalg.solve(AK @ A.T, y - A @ g0)


def _two_layer_descent(
    generator: TwoLayerGenerator,
    output_gradient: Any,
    eta: float,
    record: NDArray[np.int64],
    *,
    progress: bool = False,
    stop: Any = None,
) -> tuple[list[torch.Tensor], Array, int]:
    """Gradient descent on the weights of ``generator`` for a loss of its output.

    ``output_gradient(G(C))`` is the loss's gradient with respect to the output
    (``G(C) - y`` for denoising); the chain rule gives the exact weight gradient
    ``U^T [ReLU'(U C) * (grad v^T)]``, computed with FFTs.  Records the outputs and
    the relative weight distance at the iterations ``record`` (increasing, from 0);
    ``stop(t, G(C_t))``, evaluated at recorded iterations, ends the run early.
    Returns the recorded outputs (tensors), the distances and the last iteration
    run; the generator's weights are updated in place."""
    dev, dt = generator.C.device, generator.C.dtype
    u_hat = generator.u_hat.to(dev)
    u_hat_conj = torch.conj(u_hat)
    v, n = generator.v, generator.n
    steps = int(record[-1])
    with torch.no_grad():
        # (k, n): the FFTs run along the last axis
        Ct = generator.C.detach().T.contiguous().clone()
        C0t = Ct.clone()
        c0_norm = float(torch.linalg.norm(C0t).item())
        outputs: list[torch.Tensor] = []
        dist = np.empty(record.shape[0])
        slot = 0
        iterator: Any = range(steps + 1)
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(iterator, desc="gradient descent", leave=False)
        t = 0
        for t in iterator:
            # (U C)^T
            Z = torch.fft.irfft(u_hat[None, :] * torch.fft.rfft(Ct, dim=1), n, dim=1)
            out = v @ torch.relu(Z)  # G(C), shape (n,)
            if slot < record.shape[0] and t == record[slot]:
                outputs.append(out.clone())
                dist[slot] = float(torch.linalg.norm(Ct - C0t).item()) / c0_norm
                slot += 1
                if stop is not None and stop(t, out):
                    break
            if t == steps:
                break
            back = (Z > 0).to(dt) * (v[:, None] * output_gradient(out)[None, :])
            grad_t = torch.fft.irfft(
                u_hat_conj[None, :] * torch.fft.rfft(back, dim=1), n, dim=1
            )
            Ct -= eta * grad_t
        generator.C.copy_(Ct.T)
    return outputs, dist[:slot], t


def linear_residuals(
    sigma: Any, W: Any, r0: Any, eta: float, steps: int, *, record_every: int = 1
) -> Array:
    """Residuals of gradient descent on the linear model with Gram matrix
    ``W diag(sigma**2) W^T``.

    .. math::

        e_t = \\sum_{i} (1 - \\eta\\sigma_i^2)^t\\, \\langle w_i, r_0\\rangle\\, w_i

    (Theorem 5 of the denoising paper; Proposition 1 with ``y`` replaced by the
    initial residual ``r_0``).  With ``sigma = dd.dual_kernel(u, n)`` and
    ``W = dd.trig_basis(n)`` this is the prediction for the two-layer generator.
    It shares its implementation with :func:`dd_lib.gd_residual_closed_form`
    (the filter is :func:`dd_lib.gd_residual_factor`).

    Taught in chapter 4; used in the introduction.

    Parameters
    ----------
    sigma : array_like, shape (n,)
        Non-negative weights (singular values), in the order of the columns of ``W``.
    W : array_like, shape (n, n)
        Orthonormal basis.
    r0 : array_like, shape (n,)
        Initial residual.
    eta : float
        Step size, ``0 < eta < 2 / max(sigma)**2``.
    steps : int
        Last iteration, ``>= 0``.
    record_every : int, default 1
        Return every ``record_every``-th iterate (and always the last), matching
        :func:`fit_two_layer_gd`.

    Returns
    -------
    ndarray, shape (T, n)
        ``e_t`` at the recorded iterations.

    Examples
    --------
    >>> e = linear_residuals([1.0, 0.5], np.eye(2), [1.0, 1.0], 0.5, 4, record_every=2)
    >>> print(np.round(e, 4))
    [[1.     1.    ]
     [0.25   0.7656]
     [0.0625 0.5862]]
    """
    steps = check_int(steps, "steps", 0)
    record_every = check_int(record_every, "record_every", 1)
    return spectral_residuals(sigma, W, r0, eta, _recorded_steps(steps, record_every))


def _check_p_eta(sigma: Array, p: Any, eta: Any) -> tuple[Array, int, float]:
    n = sigma.shape[0]
    if n < 2:
        raise ValueError(f"sigma must have at least 2 entries, got {n}")
    p = check_int(p, "p", 1)
    if p >= n:
        raise ValueError(f"p must satisfy 1 <= p <= n - 1 = {n - 1}, got {p}")
    eta = check_positive(eta, "eta")
    s_sorted = np.sort(sigma)[::-1]
    if eta * s_sorted[0] ** 2 > 1:
        raise ValueError(
            f"eta * max(sigma)^2 = {eta * s_sorted[0] ** 2:.4g} must be at most 1 "
            "(the theorem assumes 0 <= 1 - eta sigma_i^2 for all i)"
        )
    return s_sorted, p, eta


def early_stopping_time(sigma: Any, p: int, eta: float) -> float:
    """Stopping time of Theorem 1 of the denoising paper.

    .. math::

        \\tau = \\frac{\\log(1 - \\sqrt{p/n})}{\\log(1 - \\eta\\sigma_{p+1}^2)},

    where ``sigma_{p+1}`` is the (p+1)-th largest weight (1-based).  It is the
    largest ``tau`` with ``((1 - eta sigma_i^2)^tau - 1)^2 <= p/n`` for every
    ``i > p``: at most a fraction ``sqrt(p/n)`` of each noise component outside
    the signal subspace has been fitted; equivalently
    ``gd_residual_factor(sigma_{p+1}, eta, tau) = 1 - sqrt(p/n)``.  (The
    logarithm is evaluated with ``log1p`` for accuracy at small
    ``eta sigma_{p+1}^2``.)

    Taught in chapter 4.

    Parameters
    ----------
    sigma : array_like, shape (n,)
        Non-negative weights (e.g. the dual kernel), in any order.
    p : int
        Dimension of the signal subspace, ``1 <= p <= n - 1``.
    eta : float
        Step size with ``0 < eta * max(sigma)**2 <= 1``.

    Returns
    -------
    float
        ``tau`` (not rounded; ``inf`` if ``sigma_{p+1} = 0``).

    Examples
    --------
    >>> sigma = np.array([1.0, 0.3, 0.2, 0.1])
    >>> tau = early_stopping_time(sigma, 1, 1.0)
    >>> round(tau, 4)
    7.3496
    >>> round(float(gd_residual_factor(0.3, 1.0, tau)), 4)  # = 1 - sqrt(1/4)
    0.5
    """
    sigma, _ = check_spectrum(sigma)
    s_sorted, p, eta = _check_p_eta(sigma, p, eta)
    n = s_sorted.shape[0]
    q = eta * s_sorted[p] ** 2
    if q == 0:
        return float("inf")
    return float(np.log1p(-np.sqrt(p / n)) / np.log1p(-q))


def denoising_error_bound(
    sigma: Any, p: int, eta: float, tau: Any, signal_norm: float, noise_level: float
) -> Array:
    """Linear-model part of the early-stopping error bound (denoising paper,
    Theorems 1-2).

    .. math::

        B(\\tau) = (1 - \\eta\\sigma_p^2)^\\tau \\|x\\|_2
        + \\varsigma
        \\sqrt{\\tfrac1n\\sum_{i=1}^n \\big(1 - (1-\\eta\\sigma_i^2)^\\tau\\big)^2},

    for a signal in the span of the ``p`` leading eigenvectors and noise
    ``N(0, varsigma^2/n I)``: the first term bounds the unfitted signal, the
    second is the root-mean-square of the fitted noise (by Jensen's inequality
    it bounds the mean of the noise term of Theorem 2).  The theorems add
    ``eps ||y||`` for the distance between the network and its linearisation,
    which is not included.  At Theorem 1's stopping time the second term is at
    most ``varsigma sqrt(2p/n)``.

    Taught in chapter 4.

    Parameters
    ----------
    sigma : array_like, shape (n,)
        Non-negative weights, any order (``sigma_p`` is the p-th largest).
    p : int
        Signal dimension, ``1 <= p <= n - 1``.
    eta : float
        Step size, ``0 < eta * max(sigma)**2 <= 1``.
    tau : array_like
        Iteration(s), ``>= 0`` (need not be integers).
    signal_norm : float
        ``||x||_2 >= 0``.
    noise_level : float
        ``varsigma >= 0`` (the noise has covariance ``varsigma^2 / n I``).

    Returns
    -------
    ndarray
        ``B(tau)``, same shape as ``tau``.

    Examples
    --------
    At ``tau = 0`` nothing is fitted: the bound is ``||x||``; it first falls, then
    rises as noise is fitted.

    >>> sigma = np.array([1.0, 0.3, 0.2, 0.1])
    >>> print(
    ...     np.round(denoising_error_bound(sigma, 1, 0.5, [0, 1, 5, 50], 1.0, 0.5), 4)
    ... )
    [1.     0.6256 0.2801 0.3761]
    """
    sigma, _ = check_spectrum(sigma)
    s_sorted, p, eta = _check_p_eta(sigma, p, eta)
    signal_norm = check_nonnegative(signal_norm, "signal_norm")
    noise_level = check_nonnegative(noise_level, "noise_level")
    factors = gd_residual_factor(
        s_sorted, eta, tau
    )  # shape tau.shape + (n,), entries in [0, 1]
    signal = factors[..., p - 1] * signal_norm
    noise = noise_level * np.sqrt(np.mean((1.0 - factors) ** 2, axis=-1))
    return signal + noise
