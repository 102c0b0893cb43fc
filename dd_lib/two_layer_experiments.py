"""Experiments of chapter 4 on the two-layer generator, returning tables.

Each function runs one of the chapter's measurement loops and returns its
results as a *table*: a ``dict`` mapping column names to NumPy arrays of equal
length (one row per run), or a small dataclass holding such tables and the
curves of single runs.  The chapter keeps the call, the asserts and the plots.

* :func:`jacobian_change` -- ``||J(C) - J(C_0)||`` and the ReLU sign flips
  behind it (Lemma 7 of the denoising paper);
* :func:`linearisation_run` -- one fit with its linear prediction and the
  terms of Theorem 4 evaluated numerically;
* :func:`linearisation_sweep` -- deviation from the linear prediction and
  Jacobian change over the number of channels ``k``;
* :func:`structure_vs_noise` -- Figure 11: fit targets, with their linear
  predictions and the travelled distances of Theorem 5;
* :func:`denoising_run` / :func:`denoising_grid` -- early-stopping denoising
  (Theorems 1-2) for one noisy signal / over a grid of ``p`` and noise levels;
* :func:`theorem1_linear_trials` -- Theorem 1 for the linear model
  (``k -> infinity``) over many noise draws, for any spectrum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from ._checks import as_real_array, check_int, check_nonnegative, check_positive
from .dual_kernel import dual_kernel, expected_jacobian_gram
from .least_squares import gd_residual_factor
from .trig import circulant, frequency_order, trig_basis
from .two_layer import (
    TwoLayerFit,
    TwoLayerGenerator,
    conv_step_size,
    denoising_error_bound,
    early_stopping_time,
    fit_two_layer_gd,
    linear_residuals,
)

Array = NDArray[np.float64]
Table = dict[str, np.ndarray]
_CHANGE_KEYS = (
    "change",
    "step1_bound",
    "flip_fraction",
    "max_row_flips",
    "radius",
    "lemma7_bound",
)


def _check_weights(C0: Any, C: Any, n: int) -> tuple[Array, Array]:
    C0 = as_real_array(C0, "C0", ndim=2)
    C = as_real_array(C, "C", ndim=2)
    if C0.shape != C.shape or C0.shape[0] != n:
        raise ValueError(
            f"C0 and C must both have shape (n, k) with n = {n}, "
            f"got {C0.shape} and {C.shape}"
        )
    return C0, C


def jacobian_change(u: Any, n: int, C0: Any, C: Any) -> dict[str, float]:
    """How far the Jacobian of ``G(C) = ReLU(U C) v`` has moved from ``C_0`` to ``C``.

    With ``S = ReLU'(U C)`` and ``v = [1, ..., -1] / sqrt(k)``,
    ``(J(C) - J(C_0)) (J(C) - J(C_0))^T = ((S - S_0)(S - S_0)^T / k) ∘ (U U^T)``,
    so the spectral norm needs only the sign flips ``S - S_0`` of the
    pre-activations.  Step 1 of the proof of Lemma 7 of the denoising paper
    bounds it by ``||U|| sqrt(max_i flips_i / k)``, with ``flips_i`` the number
    of sign flips in row ``i`` of ``U C``; the lemma itself, for
    ``||C - C_0||_2 <= omega R`` and ``R <= sqrt(k) / 2``, gives
    ``sqrt(2) (2 k R)^(1/3) ||U|| / sqrt(k)`` with high probability.

    Taught in chapter 4.

    Parameters
    ----------
    u : array_like
        Kernel (length ``<= n``, layout of :func:`dd_lib.circulant`).
    n : int
        Signal length.
    C0, C : array_like, shape (n, k)
        Initial and current weights.

    Returns
    -------
    dict of float
        ``change`` = ``||J(C) - J(C_0)|| / ||U||``; ``step1_bound`` =
        ``sqrt(max_i flips_i / k)``; ``flip_fraction`` = fraction of entries of
        ``U C`` whose sign flipped; ``max_row_flips``; ``radius`` =
        ``||C - C_0||_2 / omega`` with ``omega`` estimated as the RMS of
        ``C_0``; ``lemma7_bound`` = ``sqrt(2) (2 k R)^(1/3) / sqrt(k)``
        (relative to ``||U||``; ``nan`` where ``R > sqrt(k)/2``, outside the
        lemma).

    Raises
    ------
    ValueError
        If the weights do not have shape ``(n, k)`` or are not finite.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> C0 = rng.standard_normal((8, 4))
    >>> d = jacobian_change(gaussian_kernel(1.0, 8), 8, C0, C0)
    >>> d["change"], d["flip_fraction"]
    (0.0, 0.0)
    """
    U = circulant(u, n)
    C0, C = _check_weights(C0, C, U.shape[0])
    k = C.shape[1]
    D = (U @ C > 0).astype(float) - (U @ C0 > 0).astype(float)
    M = (D @ D.T / k) * (U @ U.T)
    u_norm = float(np.linalg.norm(U, 2))
    change = float(np.sqrt(max(np.linalg.eigvalsh(M)[-1], 0.0))) / u_norm
    row_flips = np.abs(D).sum(axis=1)
    omega = float(np.sqrt(np.mean(C0**2)))
    radius = float(np.linalg.norm(C - C0, 2)) / omega
    lemma7 = (
        np.sqrt(2.0) * (2 * k * radius) ** (1 / 3) / np.sqrt(k)
        if radius <= np.sqrt(k) / 2
        else np.nan
    )
    return {
        "change": change,
        "step1_bound": float(np.sqrt(row_flips.max() / k)),
        "flip_fraction": float(np.abs(D).mean()),
        "max_row_flips": float(row_flips.max()),
        "radius": radius,
        "lemma7_bound": float(lemma7),
    }


@dataclass(frozen=True)
class LinearisationRun:
    """One gradient-descent fit of the two-layer generator next to its linear
    prediction.

    Taught in chapter 4 (returned by :func:`linearisation_run`).

    Attributes
    ----------
    fit : TwoLayerFit
        The recorded run.
    prediction : ndarray, shape (T, n)
        Linear residuals ``sum_i (1 - eta sigma_i^2)^t <w_i, r_0> w_i`` at
        ``fit.steps``.
    deviation : ndarray, shape (T,)
        ``||r_t - r~_t||_2 / ||r_0||_2``.
    terms : dict of float
        ``measured`` (``max_t ||r_t - r~_t||``), ``r0`` (``||r_0||``),
        ``c0_norm`` (``||C_0||_F``), the entries of :func:`jacobian_change` at the
        last iterate, and, with ``theorem4=True``, Theorem 4 evaluated numerically:
        ``alpha`` (smallest dual-kernel value), ``beta`` (``||U||``), ``eps0``
        (``2 sqrt(||J_0 J_0^T - Sigma||)``, Lemma 4's distance to a reference
        Jacobian ``J`` with ``J J^T = Sigma``),
        ``eps`` (``||J(C_T) - J(C_0)||``), ``rhs`` (the bound
        ``2 beta / alpha^2 (eps0 + eps) ||r_0||``) and ``T_max``
        (``1 / (2 eta eps^2)``, the theorem's horizon).

    Examples
    --------
    >>> fit = TwoLayerFit(np.array([0]), np.ones((1, 2)), np.zeros(1))
    >>> LinearisationRun(fit, np.ones((1, 2)), np.zeros(1)).deviation.tolist()
    [0.0]
    """

    fit: TwoLayerFit
    prediction: Array
    deviation: Array
    terms: dict[str, float] = field(default_factory=dict)


def linearisation_run(
    u: Any,
    n: int,
    k: int,
    y: Any,
    *,
    eta: float,
    omega: float,
    steps: int,
    seed: int = 0,
    record_every: int = 1,
    theorem4: bool = False,
    device: torch.device | str | None = None,
) -> LinearisationRun:
    """Fit ``G(C) = ReLU(U C) v`` to ``y`` and compare with the linear prediction of
    Theorem 5.

    The prediction uses the dual kernel ``sigma = dual_kernel(u, n)`` and the
    trigonometric basis (the reference Jacobian of the denoising paper has
    ``J J^T = Sigma(U)``).  With ``theorem4=True`` the right-hand side of
    Theorem 4 is evaluated with the measured ``eps0`` and ``eps``.

    Taught in chapter 4.

    Parameters
    ----------
    u : array_like
        Kernel.
    n, k : int
        Signal length and (even) number of channels.
    y : array_like, shape (n,)
        Target.
    eta : float
        Step size, ``0 < eta < 2 / ||U||^2``.
    omega : float
        Standard deviation of the initial weights.
    steps : int
        Number of gradient steps.
    seed : int, default 0
        Seed of the initial weights.
    record_every : int, default 1
        Record every ``record_every``-th iterate.
    theorem4 : bool, default False
        Also compute the terms of Theorem 4 (costs an ``n x n`` eigenproblem).
    device : torch.device or str, optional
        Device of the generator.

    Returns
    -------
    LinearisationRun

    Raises
    ------
    ValueError
        On invalid sizes, step size or target (from the generator and the fit).

    Examples
    --------
    >>> n = 16
    >>> u = gaussian_kernel(1.5, n)
    >>> run = linearisation_run(
    ...     u,
    ...     n,
    ...     256,
    ...     trig_basis(n)[:, 1],
    ...     eta=conv_step_size(u, n),
    ...     omega=0.25,
    ...     steps=40,
    ...     record_every=20,
    ...     theorem4=True,
    ...     device="cpu",
    ... )
    >>> run.fit.steps.tolist(), bool(run.deviation.max() < 0.1)
    ([0, 20, 40], True)
    >>> bool(run.terms["rhs"] >= run.terms["measured"])
    True
    """
    y = as_real_array(y, "y", ndim=1)
    gen = TwoLayerGenerator(u, n, k, omega=omega, seed=seed, device=device)
    C0 = gen.C.detach().cpu().numpy().copy()
    JJ0 = gen.jacobian_gram().cpu().numpy() if theorem4 else None
    fit = fit_two_layer_gd(gen, y, eta, steps, record_every=record_every)
    sigma = dual_kernel(u, n)
    W = trig_basis(n)
    pred = linear_residuals(
        sigma, W, fit.residuals[0], eta, steps, record_every=record_every
    )
    r0 = float(np.linalg.norm(fit.residuals[0]))
    diff = np.linalg.norm(fit.residuals - pred, axis=1)
    change = jacobian_change(u, n, C0, gen.C.detach().cpu().numpy())
    terms: dict[str, float] = {
        "measured": float(diff.max()),
        "r0": r0,
        "c0_norm": float(np.linalg.norm(C0)),
        **change,
    }
    if theorem4:
        beta = float(np.sqrt(1.0 / conv_step_size(u, n)))
        alpha = float(sigma.min())
        Sigma = expected_jacobian_gram(circulant(u, n))
        assert JJ0 is not None  # computed above when theorem4
        eps0 = 2.0 * float(np.sqrt(np.abs(np.linalg.eigvalsh(JJ0 - Sigma)).max()))
        eps = change["change"] * beta
        terms.update(
            alpha=alpha,
            beta=beta,
            eps0=eps0,
            eps=eps,
            rhs=2 * beta / alpha**2 * (eps0 + eps) * r0,
            T_max=1.0 / (2 * eta * eps**2) if eps > 0 else float("inf"),
        )
    return LinearisationRun(fit=fit, prediction=pred, deviation=diff / r0, terms=terms)


def linearisation_sweep(
    u: Any,
    n: int,
    ks: Sequence[int],
    targets: Mapping[str, Any],
    *,
    eta: float,
    omega: float,
    steps: int,
    seeds: Sequence[int] = (0,),
    record_every: int = 1,
    device: torch.device | str | None = None,
) -> Table:
    """Deviation from the linear model and change of the Jacobian over the number of
    channels.

    For every ``k`` in ``ks``, target and seed: fit the generator for
    ``steps`` iterations and record the largest relative deviation
    ``max_t ||r_t - r~_t|| / ||r_0||`` from the linear prediction and the
    Jacobian change of :func:`jacobian_change` at the last iterate.

    Taught in chapter 4.

    Parameters
    ----------
    u : array_like
        Kernel.
    n : int
        Signal length.
    ks : sequence of int
        Channel counts (even, ``>= 2``).
    targets : mapping of str to array_like
        Named targets of length ``n``.
    eta, omega : float
        Step size and initial weight scale.
    steps : int
        Iterations per run.
    seeds : sequence of int, default (0,)
        Seeds of the initial weights.
    record_every : int, default 1
        Recording interval for the deviation.
    device : torch.device or str, optional

    Returns
    -------
    dict of ndarray
        One row per (k, target, seed): ``k``, ``target`` (str), ``seed``,
        ``deviation``, ``weight_distance`` (relative, last iterate) and the
        columns ``change``, ``step1_bound``, ``flip_fraction``,
        ``max_row_flips``, ``radius``, ``lemma7_bound`` of :func:`jacobian_change`.

    Raises
    ------
    ValueError
        If ``ks``, ``targets`` or ``seeds`` is empty, or on invalid sizes.

    Examples
    --------
    >>> n = 16
    >>> u = gaussian_kernel(1.5, n)
    >>> tab = linearisation_sweep(
    ...     u,
    ...     n,
    ...     [8, 64],
    ...     {"cos": trig_basis(n)[:, 1]},
    ...     eta=conv_step_size(u, n),
    ...     omega=0.25,
    ...     steps=20,
    ...     device="cpu",
    ... )
    >>> tab["k"].tolist(), tab["target"].tolist()
    ([8, 64], ['cos', 'cos'])
    """
    ks = [check_int(k, "k", 2) for k in ks]
    seeds = [check_int(s, "seed", 0) for s in seeds]
    if not ks or not targets or not seeds:
        raise ValueError("ks, targets and seeds must each be non-empty")
    rows: list[dict[str, Any]] = []
    for k in ks:
        for name, target in targets.items():
            for seed in seeds:
                run = linearisation_run(
                    u,
                    n,
                    k,
                    target,
                    eta=eta,
                    omega=omega,
                    steps=steps,
                    seed=seed,
                    record_every=record_every,
                    device=device,
                )
                change = {key: run.terms[key] for key in _CHANGE_KEYS}
                rows.append(
                    {
                        "k": k,
                        "target": name,
                        "seed": seed,
                        "deviation": float(run.deviation.max()),
                        "weight_distance": float(run.fit.weight_distance[-1]),
                        **change,
                    }
                )
    return _rows_to_table(rows)


def _rows_to_table(rows: list[dict[str, Any]]) -> Table:
    return {key: np.array([r[key] for r in rows]) for key in rows[0]}


def structure_vs_noise(
    u: Any,
    n: int,
    k: int,
    targets: Mapping[str, Any],
    *,
    eta: float,
    omega: float,
    steps: int,
    seed: int = 0,
    record_every: int = 1,
    device: torch.device | str | None = None,
) -> dict[str, Table]:
    """Figure 11 of the denoising paper: fit each target and compare with the linear
    model.

    For every target: the mean squared error ``||G(C_t) - y||^2 / n`` of the
    network and of the linear prediction, the relative distance travelled by
    the weights, ``||C_t - C_0||_F / ||C_0||_F``, and Theorem 5's prediction of
    that distance,
    ``sqrt(sum_i <w_i, r_0>^2 (1 - q_i^t)^2 / sigma_i^2) / ||C_0||_F`` with
    ``q_i = 1 - eta sigma_i^2``, together with its limit
    ``||J^+ r_0|| / ||C_0||_F`` (a complete fit).  All targets start from the same
    ``C_0``.

    Taught in chapter 4.

    Parameters
    ----------
    u : array_like
        Kernel.
    n, k : int
        Signal length and channels.
    targets : mapping of str to array_like
        Named targets of length ``n``.
    eta, omega : float
        Step size and initial weight scale.
    steps : int
        Iterations.
    seed : int, default 0
        Seed of ``C_0``.
    record_every : int, default 1
    device : torch.device or str, optional

    Returns
    -------
    dict of str to table
        Per target, columns ``steps``, ``mse``, ``mse_linear``, ``distance``,
        ``distance_linear``, ``output`` (shape (T, n): ``G(C_t)``), and the
        one-element column ``distance_complete``.

    Raises
    ------
    ValueError
        If ``targets`` is empty, or on invalid sizes and step size.

    Examples
    --------
    >>> n = 16
    >>> u = gaussian_kernel(1.5, n)
    >>> out = structure_vs_noise(
    ...     u,
    ...     n,
    ...     64,
    ...     {"cos": trig_basis(n)[:, 1]},
    ...     eta=conv_step_size(u, n),
    ...     omega=0.25,
    ...     steps=50,
    ...     record_every=25,
    ...     device="cpu",
    ... )
    >>> out["cos"]["steps"].tolist(), bool(out["cos"]["mse"][-1] < out["cos"]["mse"][0])
    ([0, 25, 50], True)
    """
    if not targets:
        raise ValueError("targets must hold at least one named target")
    sigma = dual_kernel(u, n)
    W = trig_basis(n)
    out: dict[str, Table] = {}
    for name, target in targets.items():
        run = linearisation_run(
            u,
            n,
            k,
            target,
            eta=eta,
            omega=omega,
            steps=steps,
            seed=seed,
            record_every=record_every,
            device=device,
        )
        c0_norm = run.terms["c0_norm"]
        coef0 = W.T @ run.fit.residuals[0]
        q = gd_residual_factor(sigma, eta, run.fit.steps)
        dist_lin = np.sqrt(np.sum(coef0**2 * (1 - q) ** 2 / sigma**2, axis=1)) / c0_norm
        y = as_real_array(target, "target", ndim=1)
        out[name] = {
            "steps": run.fit.steps,
            "mse": np.mean(run.fit.residuals**2, axis=1),
            "mse_linear": np.mean(run.prediction**2, axis=1),
            "distance": run.fit.weight_distance,
            "distance_linear": dist_lin,
            "output": y[None, :] - run.fit.residuals,
            "distance_complete": np.array(
                [np.sqrt(np.sum(coef0**2 / sigma**2)) / c0_norm]
            ),
        }
    return out


def denoising_run(
    u: Any,
    n: int,
    k: int,
    x: Any,
    z: Any,
    p: int,
    *,
    eta: float,
    omega: float,
    seed: int = 0,
    horizon: int | None = None,
    noise_level: float | None = None,
    device: torch.device | str | None = None,
) -> dict[str, Any]:
    """Denoise ``y = x + z`` by gradient descent on the two-layer generator
    (Theorems 1-2).

    Runs to ``horizon`` iterations (default ``2.5 tau_B + 20``, with ``tau_B``
    the minimiser of :func:`dd_lib.denoising_error_bound` over
    ``0 <= tau < 50000``) and records, at every iteration, the error to the
    clean signal of the network and of its linear prediction.

    Taught in chapter 4.

    Parameters
    ----------
    u : array_like
        Kernel.
    n, k : int
        Signal length and channels.
    x : array_like, shape (n,)
        Clean signal (in the span of the ``p`` leading dual-kernel directions).
    z : array_like, shape (n,)
        Noise.
    p : int
        Signal dimension used for the stopping times and the bound.
    eta, omega : float
        Step size and initial weight scale.
    seed : int, default 0
    horizon : int, optional
    noise_level : float, optional
        ``varsigma`` used in the bound and ``tau_B``; defaults to ``||z||_2``.
    device : torch.device or str, optional

    Returns
    -------
    dict
        ``err`` and ``err_linear`` (arrays over ``tau = 0..horizon``),
        ``bound`` (``B(tau)`` of :func:`dd_lib.denoising_error_bound`, with
        ``||x||`` and ``noise_level``), the integer times
        ``t_thm`` (``floor`` of Theorem 1's time), ``t_b``, ``t_best``, and the
        scalars ``g0`` (``||G(C_0)||``) and ``deviation`` (``max_t ||r_t - r~_t||``).

    Raises
    ------
    ValueError
        On invalid sizes, ``p`` or step size.

    Examples
    --------
    >>> n = 16
    >>> u = gaussian_kernel(1.5, n)
    >>> x = trig_basis(n)[:, 0]
    >>> z = 0.1 / np.sqrt(n) * np.random.default_rng(0).standard_normal(n)
    >>> run = denoising_run(
    ...     u, n, 64, x, z, 1, eta=conv_step_size(u, n), omega=0.01, device="cpu"
    ... )
    >>> bool(run["err"][run["t_best"]] < run["err"][0])
    True
    """
    x = as_real_array(x, "x", ndim=1)
    z = as_real_array(z, "z", ndim=1)
    if x.shape != (n,) or z.shape != (n,):
        raise ValueError(
            f"x and z must have length n = {n}, got {x.shape} and {z.shape}"
        )
    sigma = dual_kernel(u, n)
    W = trig_basis(n)
    vs = (
        float(np.linalg.norm(z))
        if noise_level is None
        else check_nonnegative(noise_level, "noise_level")
    )
    taus = np.arange(0, 50000)
    B = denoising_error_bound(sigma, p, eta, taus, float(np.linalg.norm(x)), vs)
    t_b = int(np.argmin(B))
    horizon = (
        int(2.5 * t_b) + 20 if horizon is None else check_int(horizon, "horizon", 1)
    )
    y = x + z
    gen = TwoLayerGenerator(u, n, k, omega=omega, seed=seed, device=device)
    g0 = float(torch.linalg.norm(gen().detach()).item())
    fit = fit_two_layer_gd(gen, y, eta, horizon)
    pred = linear_residuals(sigma, W, fit.residuals[0], eta, horizon)
    err = np.linalg.norm(y - fit.residuals - x, axis=1)
    err_lin = np.linalg.norm(y - pred - x, axis=1)
    t_thm = int(np.floor(early_stopping_time(sigma, p, eta)))
    return {
        "err": err,
        "err_linear": err_lin,
        "bound": B[: horizon + 1],
        "t_thm": min(t_thm, horizon),
        "t_b": min(t_b, horizon),
        "t_best": int(np.argmin(err)),
        "g0": g0,
        "deviation": float(np.linalg.norm(fit.residuals - pred, axis=1).max()),
    }


def noise_term_tail(
    sigma: Any, eta: float, tau: float, noise_level: float, delta: float
) -> float:
    """A high-probability bound on the fitted-noise term of Theorem 2.

    For ``z ~ N(0, varsigma^2/n I)`` the term
    ``N = ||sum_i (1 - q_i^tau) <w_i, z> w_i||_2`` (``q_i = 1 - eta sigma_i^2``)
    is a weighted chi-square: ``N^2 = varsigma^2/n sum_i a_i g_i^2`` with
    ``a_i = (1 - q_i^tau)^2`` and ``g_i`` standard normal.  The Laurent-Massart
    inequality gives, with probability at least ``1 - delta``,
    ``N^2 <= varsigma^2/n (sum a + 2 sqrt(sum a^2 t) + 2 max(a) t)``,
    ``t = log(1/delta)``.

    Taught in chapter 4.

    Parameters
    ----------
    sigma : array_like
        Dual-kernel weights.
    eta : float
        Step size with ``eta * max(sigma)**2 <= 1``.
    tau : float
        Iteration, ``>= 0``.
    noise_level : float
        ``varsigma >= 0``.
    delta : float
        Failure probability in ``(0, 1)``.

    Returns
    -------
    float
        The bound on ``N`` (not squared).

    Raises
    ------
    ValueError
        If ``delta`` is not in ``(0, 1)`` or the other inputs are invalid.

    Examples
    --------
    >>> s = np.ones(4) * 0.5
    >>> round(noise_term_tail(s, 1.0, 0, 1.0, 0.01), 6)  # nothing fitted at tau = 0
    0.0
    """
    sigma = as_real_array(sigma, "sigma", ndim=1)
    delta = check_positive(delta, "delta")
    if delta >= 1:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    vs = check_nonnegative(noise_level, "noise_level")
    tau = check_nonnegative(tau, "tau")
    a = (1 - gd_residual_factor(sigma, eta, tau)) ** 2
    t = np.log(1 / delta)
    n = sigma.shape[0]
    return float(
        vs
        / np.sqrt(n)
        * np.sqrt(a.sum() + 2 * np.sqrt(np.sum(a**2) * t) + 2 * a.max() * t)
    )


def denoising_grid(
    u: Any,
    n: int,
    k: int,
    ps: Sequence[int],
    noise_levels: Sequence[float],
    *,
    eta: float,
    omega: float,
    seed: int = 0,
    rng_seed: int = 5,
    delta: float = 1e-3,
    device: torch.device | str | None = None,
) -> tuple[Table, dict[tuple[int, float], dict[str, Any]]]:
    """Early-stopping denoising over a grid of signal dimensions ``p`` and noise levels.

    For each ``(p, varsigma)``: a unit-norm random signal in the span of the
    ``p`` lowest-frequency trigonometric functions, noise ``N(0, varsigma^2/n I)``
    and one :func:`denoising_run`.

    Taught in chapter 4.

    Parameters
    ----------
    u : array_like
        Kernel.
    n, k : int
        Signal length and channels.
    ps : sequence of int
        Signal dimensions (odd values keep cosine/sine pairs together).
    noise_levels : sequence of float
        Values of ``varsigma``.
    eta, omega : float
        Step size and initial weight scale.
    seed : int, default 0
        Seed of the initial weights.
    rng_seed : int, default 5
        Seed of the signals and the noise.
    delta : float, default 1e-3
        Failure probability of the column ``linear_tail`` (see below).
    device : torch.device or str, optional

    Returns
    -------
    table : dict of ndarray
        One row per ``(p, varsigma)``: ``p``, ``noise_level``, ``rate``
        (``varsigma sqrt(p/n)``), ``t_thm``, ``t_b``, ``t_best``, the network's
        errors ``e_thm``, ``e_b``, ``e_best``, the linear model's error
        ``e_lin_b`` at ``t_b``, ``bound_thm`` (Theorem 1's right-hand side
        without ``xi ||y||``), ``B_b`` (``B(t_b)``), ``g0``, ``deviation``, and
        ``linear_tail``: the bound ``q_p^t_b ||x|| + N_delta + ||G(C_0)||`` that
        the linear model's error at ``t_b`` obeys with probability
        ``>= 1 - delta`` (``N_delta`` from :func:`noise_term_tail`).
    curves : dict
        ``(p, varsigma) ->`` the dict of :func:`denoising_run`.

    Raises
    ------
    ValueError
        If ``ps`` or ``noise_levels`` is empty, or on invalid input.

    Examples
    --------
    >>> n = 16
    >>> u = gaussian_kernel(1.5, n)
    >>> tab, curves = denoising_grid(
    ...     u,
    ...     n,
    ...     64,
    ...     [1],
    ...     [0.1, 0.2],
    ...     eta=conv_step_size(u, n),
    ...     omega=0.01,
    ...     device="cpu",
    ... )
    >>> tab["p"].tolist(), sorted(curves)
    ([1, 1], [(1, 0.1), (1, 0.2)])
    """
    if not ps or not noise_levels:
        raise ValueError("ps and noise_levels must be non-empty")
    sigma = dual_kernel(u, n)
    W = trig_basis(n)
    order = frequency_order(n)
    s_sorted = np.sort(sigma)[::-1]
    rng = np.random.default_rng(check_int(rng_seed, "rng_seed", 0))
    rows: list[dict[str, Any]] = []
    curves: dict[tuple[int, float], dict[str, Any]] = {}
    for p in ps:
        p = check_int(p, "p", 1)
        for vs in noise_levels:
            vs = check_nonnegative(vs, "noise level")
            x = W[:, order[:p]] @ rng.standard_normal(p)
            x /= np.linalg.norm(x)
            z = vs / np.sqrt(n) * rng.standard_normal(n)
            run = denoising_run(
                u,
                n,
                k,
                x,
                z,
                p,
                eta=eta,
                omega=omega,
                seed=seed,
                noise_level=vs,
                device=device,
            )
            t_thm, t_b, t_best = run["t_thm"], run["t_b"], run["t_best"]
            q_p = 1 - eta * s_sorted[p - 1] ** 2
            rows.append(
                {
                    "p": p,
                    "noise_level": vs,
                    "rate": vs * np.sqrt(p / n),
                    "t_thm": t_thm,
                    "t_b": t_b,
                    "t_best": t_best,
                    "e_thm": run["err"][t_thm],
                    "e_b": run["err"][t_b],
                    "e_best": run["err"][t_best],
                    "e_lin_b": run["err_linear"][t_b],
                    "bound_thm": q_p**t_thm + vs * np.sqrt(2 * p / n),
                    "B_b": run["bound"][t_b],
                    "g0": run["g0"],
                    "deviation": run["deviation"],
                    "linear_tail": q_p**t_b
                    + noise_term_tail(sigma, eta, t_b, vs, delta)
                    + run["g0"],
                }
            )
            curves[(p, vs)] = run
    return _rows_to_table(rows), curves


def theorem1_linear_trials(
    sigma: Any, p: int, eta: float, noise_level: float, draws: int, *, seed: int = 0
) -> Table:
    """Theorem 1 for the linear model (``k -> infinity``, ``G(C_0) = 0``) over many
    noise draws.

    In the eigenbasis of the Gram matrix the linear model's estimate after
    ``tau`` steps from ``y = x + z`` has coefficients ``(1 - q_i^tau)(x_i + z_i)``
    with ``q_i = 1 - eta sigma_i^2`` (sorted, largest weight first).  At the
    theorem's integer time ``floor(tau)`` this returns, per draw of a unit-norm
    signal in the ``p`` leading directions and of ``z ~ N(0, varsigma^2/n I)``,
    the error and the theorem's right-hand side
    ``q_p^tau + varsigma sqrt(2p/n)`` (with ``xi = 0``).

    Taught in chapter 4.

    Parameters
    ----------
    sigma : array_like, shape (n,)
        Dual-kernel weights (any order; sorted inside), for example a
        synthetic spectrum with a gap after the ``p``-th weight.
    p : int
        Signal dimension, ``1 <= p <= n - 1``.
    eta : float
        Step size, ``0 < eta * max(sigma)**2 <= 1``.
    noise_level : float
        ``varsigma >= 0``.
    draws : int
        Number of draws, ``>= 1``.
    seed : int, default 0

    Returns
    -------
    dict of ndarray
        Per draw: ``err``, ``signal_term`` (``||Q^tau x||``), ``noise_term``
        (``||(I - Q^tau) z||``), ``bound``; and the constant columns ``tau``
        (integer time), ``first`` (``q_p^tau``), ``rate`` (``varsigma sqrt(p/n)``).

    Raises
    ------
    ValueError
        On invalid ``p``, ``eta``, ``noise_level`` or ``draws``.

    Examples
    --------
    >>> s = np.sqrt(np.r_[np.ones(3), 0.01 * np.ones(61)])  # a gap after p = 3
    >>> tab = theorem1_linear_trials(s, 3, 1.0, 0.1, 200, seed=0)
    >>> int(tab["tau"][0]), bool(tab["first"][0] < 0.01)
    (24, True)
    """
    sigma = as_real_array(sigma, "sigma", ndim=1)
    draws = check_int(draws, "draws", 1)
    vs = check_nonnegative(noise_level, "noise_level")
    tau = int(np.floor(early_stopping_time(sigma, p, eta)))
    s = np.sort(sigma)[::-1]
    n = s.shape[0]
    q = gd_residual_factor(s, eta, tau)
    rng = np.random.default_rng(check_int(seed, "seed", 0))
    xc = np.zeros((draws, n))
    xc[:, :p] = rng.standard_normal((draws, p))
    xc /= np.linalg.norm(xc, axis=1, keepdims=True)
    zc = vs / np.sqrt(n) * rng.standard_normal((draws, n))
    est = (1 - q) * (xc + zc)
    ones = np.ones(draws)
    return {
        "err": np.linalg.norm(est - xc, axis=1),
        "signal_term": np.linalg.norm(q * xc, axis=1),
        "noise_term": np.linalg.norm((1 - q) * zc, axis=1),
        "bound": q[p - 1] + vs * np.sqrt(2 * p / n) * ones,
        "tau": tau * ones,
        "first": q[p - 1] * ones,
        "rate": vs * np.sqrt(p / n) * ones,
    }
