"""Gradient descent of the two-layer generator on compressive measurements (chapter 8):
``fit_two_layer_cs`` and its linearisation ``linearised_cs_estimate``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dd_lib as dd

N, M = 32, 12


def _problem(k: int, seed: int = 0, omega_factor: float = 0.1):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((M, N)) / np.sqrt(M)
    W = dd.trig_basis(N)[:, dd.frequency_order(N)]
    x = W[:, :4] @ rng.standard_normal(4)
    x /= np.linalg.norm(x)
    y = A @ x
    u = dd.gaussian_kernel(1.5, N)
    omega = omega_factor * np.linalg.norm(y) / np.sqrt(N)
    g = dd.TwoLayerGenerator(u, N, k, omega=omega, seed=seed, device="cpu")
    eta = dd.conv_step_size(u, N) / np.linalg.norm(A, 2) ** 2
    return g, A, x, y, eta


def test_gradient_is_the_autograd_gradient():
    """One step of fit_two_layer_cs equals one step along autograd's gradient of
    1/2 ||A G(C) - y||^2."""
    g, A, _, y, eta = _problem(16)
    C0 = g.C.detach().clone().requires_grad_(True)
    loss = 0.5 * torch.sum((torch.as_tensor(A) @ g(C0) - torch.as_tensor(y)) ** 2)
    (grad,) = torch.autograd.grad(loss, C0)
    dd.fit_two_layer_cs(g, A, y, eta, 1, tol=1e-300)
    assert torch.allclose(g.C, C0.detach() - eta * grad, atol=1e-12)


def test_runs_until_the_tolerance_and_records():
    g, A, _, y, eta = _problem(64)
    fit = dd.fit_two_layer_cs(g, A, y, eta, 50_000, tol=1e-8, record_every=10)
    assert fit.converged_at is not None
    assert fit.steps[-1] == fit.converged_at
    assert fit.converged_at % 10 == 0
    assert fit.loss[-1] <= 1e-8 * 0.5 * y @ y
    assert fit.loss[-2] > 1e-8 * 0.5 * y @ y  # it stopped at the first one below
    assert fit.outputs.shape == (len(fit.steps), N)
    assert np.allclose(fit.outputs[-1], g().detach().numpy())
    assert fit.weight_distance[0] == 0


def test_reports_no_convergence_when_steps_run_out():
    g, A, _, y, eta = _problem(16)
    fit = dd.fit_two_layer_cs(g, A, y, eta, 5, tol=1e-12)
    assert fit.converged_at is None
    assert fit.steps.tolist() == [0, 1, 2, 3, 4, 5]


def test_linearised_estimate_interpolates_and_is_the_kernel_formula():
    g, A, _, y, _ = _problem(32)
    x_lin = dd.linearised_cs_estimate(g, A, y)
    assert np.allclose(A @ x_lin, y, atol=1e-10)
    # the same as the minimum-norm correction with the explicit Jacobian
    J0 = g.jacobian().numpy()
    g0 = g().detach().numpy()
    c = np.linalg.lstsq(A @ J0, y - A @ g0, rcond=None)[0]
    assert np.allclose(x_lin, g0 + J0 @ c, atol=1e-9)


def test_the_network_approaches_its_linearisation_as_k_grows():
    """The converged network's distance to the linearised estimate falls with the
    width (measured, seed 0: 0.066 at k = 32 and 0.011 at k = 512, a factor 6; a single
    draw is not monotone in between: 0.067 at k = 128). Asserted: a factor 2."""
    gaps = []
    for k in (32, 512):
        g, A, _, y, eta = _problem(k, omega_factor=1.0)
        x_lin = dd.linearised_cs_estimate(g, A, y)
        fit = dd.fit_two_layer_cs(g, A, y, eta, 50_000, tol=1e-10, record_every=10)
        assert fit.converged_at is not None
        gaps.append(np.linalg.norm(fit.outputs[-1] - x_lin))
    assert gaps[1] < gaps[0] / 2, gaps


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (dict(A=np.ones((40, N))), "1 <= m <= n"),
        (dict(A=np.ones((M, N + 1))), "shape"),
        (dict(y=np.ones(M + 1)), "length m"),
        (dict(eta=10.0), "stability limit"),
        (dict(max_steps=-1), "max_steps"),
        (dict(tol=0.0), "tol"),
        (dict(generator="net"), "TwoLayerGenerator"),
    ],
)
def test_bad_input(change, match):
    g, A, _, y, eta = _problem(16)
    args = dict(generator=g, A=A, y=y, eta=eta, max_steps=3, tol=1e-6)
    args.update(change)
    with pytest.raises(ValueError, match=match):
        dd.fit_two_layer_cs(**args)
