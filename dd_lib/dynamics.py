"""Gradient-descent dynamics of the two-layer generator and their linear prediction.

The denoising paper analyses plain gradient descent on

.. math::

    \\mathcal L(C) = \\tfrac12 \\|\\mathbf y - G(C)\\|_2^2, \\qquad G(C) = \\mathrm{ReLU}(U C)\\, v,

and shows that, for enough channels, its residual stays close to that of the
*linear* model whose Gram matrix is ``Sigma(U)`` (its Theorems 4 and 5): the
component along the trigonometric function ``w_i`` shrinks by the factor
``1 - eta * sigma_i**2`` per step, with ``sigma`` the dual kernel.

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

from ._checks import as_real_array, check_int, check_positive
from .generators import TwoLayerGenerator

Array = NDArray[np.float64]


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
    """

    steps: NDArray[np.int64]
    residuals: Array
    weight_distance: Array

    def outputs(self, y: Any) -> Array:
        """The generator outputs ``G(C_t) = y - r_t`` (shape (T, n))."""
        y = as_real_array(y, "y", ndim=1)
        if y.shape[0] != self.residuals.shape[1]:
            raise ValueError(f"y must have length {self.residuals.shape[1]}, got {y.shape[0]}")
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
    """Plain gradient descent on ``1/2 ||y - G(C)||^2`` for a :class:`TwoLayerGenerator`.

    The update is ``C <- C - eta * U^T [ReLU'(U C) * ((G(C) - y) v^T)]``, the
    exact gradient (with ``ReLU'(0) = 0``, as in PyTorch's autograd), computed
    with FFTs in ``O(n k log n)`` per step on the generator's device and dtype.
    The generator's weights are updated in place: afterwards
    ``generator.C`` holds ``C_steps``.

    Parameters
    ----------
    generator : TwoLayerGenerator
        The network; its current weights are the initialisation ``C_0``.
    y : array_like, shape (n,)
        The signal to fit.
    eta : float
        Step size, ``0 < eta < 2 / ||U||_2**2``.  Since ``||J(C)|| <= ||U||``
        for every ``C`` (Lemma 5 of the denoising paper, ``||v||_2 = 1``),
        ``eta = 1 / ||U||**2`` (the paper's choice) is safe for every
        iterate; ``||U||_2 = max |DFT(u)|``.
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
    """
    if not isinstance(generator, TwoLayerGenerator):
        raise ValueError(f"generator must be a dd_lib.TwoLayerGenerator, got {type(generator).__name__}")
    n = generator.n
    y = as_real_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"y must have length n = {n} (the generator's output size), got {y.shape[0]}")
    eta = check_positive(eta, "eta")
    steps = check_int(steps, "steps", 0)
    record_every = check_int(record_every, "record_every", 1)
    u_norm2 = float(torch.abs(generator.u_hat).max().item()) ** 2  # ||U||_2^2
    if eta >= 2.0 / u_norm2:
        raise ValueError(
            f"eta = {eta:.6g} is at or above 2/||U||^2 = {2 / u_norm2:.6g}; use 0 < eta < 2/||U||^2 "
            f"(the denoising paper takes eta <= 1/||U||^2 = {1 / u_norm2:.6g}, with ||U|| = max |DFT(u)|)"
        )

    dev, dt = generator.C.device, generator.C.dtype
    u_hat = generator.u_hat.to(dev)
    u_hat_conj = torch.conj(u_hat)
    v = generator.v
    y_t = torch.as_tensor(y, device=dev, dtype=dt)
    with torch.no_grad():
        Ct = generator.C.detach().T.contiguous().clone()  # (k, n): FFTs along the last axis
        C0t = Ct.clone()
        c0_norm = float(torch.linalg.norm(C0t).item())
        record = _recorded_steps(steps, record_every)
        res = np.empty((record.shape[0], n))
        dist = np.empty(record.shape[0])
        slot = 0
        iterator = range(steps + 1)
        if progress:
            from tqdm.auto import tqdm

            iterator = tqdm(iterator, desc="gradient descent", leave=False)
        for t in iterator:
            Z = torch.fft.irfft(u_hat[None, :] * torch.fft.rfft(Ct, dim=1), n, dim=1)  # (U C)^T
            out = v @ torch.relu(Z)  # G(C), shape (n,)
            if slot < record.shape[0] and t == record[slot]:
                res[slot] = (y_t - out).cpu().numpy()
                dist[slot] = float(torch.linalg.norm(Ct - C0t).item()) / c0_norm
                slot += 1
            if t == steps:
                break
            back = (Z > 0).to(dt) * (v[:, None] * (out - y_t)[None, :])  # (k, n)
            grad_t = torch.fft.irfft(u_hat_conj[None, :] * torch.fft.rfft(back, dim=1), n, dim=1)
            Ct -= eta * grad_t
        generator.C.copy_(Ct.T)
    return TwoLayerFit(steps=record, residuals=res, weight_distance=dist)


def _check_spectrum(sigma: Any, W: Any | None = None) -> tuple[Array, Array | None]:
    sigma = as_real_array(sigma, "sigma", ndim=1)
    if np.any(sigma < 0):
        raise ValueError("sigma must be non-negative (singular values / dual-kernel weights)")
    n = sigma.shape[0]
    if W is None:
        return sigma, None
    W = as_real_array(W, "W", ndim=2)
    if W.shape != (n, n):
        raise ValueError(f"W must be a square n x n matrix with n = len(sigma) = {n}, got shape {W.shape}")
    if not np.allclose(W.T @ W, np.eye(n), atol=1e-8):
        raise ValueError("W must have orthonormal columns (W.T @ W = I), e.g. dd.trig_basis(n)")
    return sigma, W


def linear_residuals(
    sigma: Any, W: Any, r0: Any, eta: float, steps: int, *, record_every: int = 1
) -> Array:
    """Residuals of gradient descent on the linear model with Gram matrix ``W diag(sigma**2) W^T``.

    .. math::

        e_t = \\sum_{i} (1 - \\eta\\sigma_i^2)^t\\, \\langle w_i, r_0\\rangle\\, w_i

    (Theorem 5 of the denoising paper; Proposition 1 with ``y`` replaced by the
    initial residual ``r_0``).  With ``sigma = dd.dual_kernel(u, n)`` and
    ``W = dd.trig_basis(n)`` this is the prediction for the two-layer generator.

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
    """
    sigma, W = _check_spectrum(sigma, W)
    n = sigma.shape[0]
    r0 = as_real_array(r0, "r0", ndim=1)
    if r0.shape[0] != n:
        raise ValueError(f"r0 must have length n = {n}, got {r0.shape[0]}")
    eta = check_positive(eta, "eta")
    steps = check_int(steps, "steps", 0)
    record_every = check_int(record_every, "record_every", 1)
    smax2 = float(np.max(sigma)) ** 2
    if smax2 > 0 and eta >= 2.0 / smax2:
        raise ValueError(f"eta = {eta:.6g} must be below 2/max(sigma)^2 = {2 / smax2:.6g} (stability limit)")
    t = _recorded_steps(steps, record_every)
    factors = (1.0 - eta * sigma**2)[None, :] ** t[:, None]
    return (factors * (W.T @ r0)[None, :]) @ W.T


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
    the signal subspace has been fitted.

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
    """
    sigma, _ = _check_spectrum(sigma)
    s_sorted, p, eta = _check_p_eta(sigma, p, eta)
    n = s_sorted.shape[0]
    q = eta * s_sorted[p] ** 2
    if q == 0:
        return float("inf")
    return float(np.log1p(-np.sqrt(p / n)) / np.log1p(-q))


def denoising_error_bound(
    sigma: Any, p: int, eta: float, tau: Any, signal_norm: float, noise_level: float
) -> Array:
    """Linear-model part of the early-stopping error bound (denoising paper, Theorems 1-2).

    .. math::

        B(\\tau) = (1 - \\eta\\sigma_p^2)^\\tau \\|x\\|_2
        + \\varsigma\\sqrt{\\tfrac1n\\sum_{i=1}^n \\big(1 - (1-\\eta\\sigma_i^2)^\\tau\\big)^2},

    for a signal in the span of the ``p`` leading eigenvectors and noise
    ``N(0, varsigma^2/n I)``: the first term bounds the unfitted signal, the
    second is the root-mean-square of the fitted noise (by Jensen's inequality
    it bounds the mean of the noise term of Theorem 2).  The theorems add
    ``eps ||y||`` for the distance between the network and its linearisation,
    which is not included.  At Theorem 1's stopping time the second term is at
    most ``varsigma sqrt(2p/n)``.

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
    """
    sigma, _ = _check_spectrum(sigma)
    s_sorted, p, eta = _check_p_eta(sigma, p, eta)
    n = s_sorted.shape[0]
    tau = as_real_array(tau, "tau")
    if np.any(tau < 0):
        raise ValueError("tau must be >= 0")
    for name, val in (("signal_norm", signal_norm), ("noise_level", noise_level)):
        if isinstance(val, bool) or not isinstance(val, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a real number >= 0, got {val!r}")
        if not np.isfinite(val) or val < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {val}")
    q = 1.0 - eta * s_sorted**2  # in [0, 1)
    signal = q[p - 1] ** tau * float(signal_norm)
    fitted = (1.0 - q[None, :] ** tau.reshape(-1, 1)) ** 2
    noise = float(noise_level) * np.sqrt(fitted.mean(axis=1)).reshape(tau.shape)
    return signal + noise
