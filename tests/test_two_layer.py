"""Tests of dd_lib.two_layer: two-layer gradient descent, linear prediction, step
size, Theorem 1 pieces."""

import numpy as np
import pytest
import torch

import dd_lib as dd
from dd_lib.two_layer import (
    TwoLayerFit,
    conv_step_size,
    denoising_error_bound,
    early_stopping_time,
    fit_two_layer_gd,
    linear_residuals,
)


def _setup(n=16, k=8, seed=0, omega=1.0):
    u = dd.gaussian_kernel(1.5, n)
    gen = dd.TwoLayerGenerator(u, n, k, omega=omega, seed=seed, device="cpu")
    eta = conv_step_size(u, n)
    return u, gen, eta


def test_gradient_descent_matches_autograd_sgd():
    n, k, steps = 16, 8, 25
    _u, g1, eta = _setup(n, k, seed=3)
    _, g2, _ = _setup(n, k, seed=3)
    y = np.random.default_rng(0).standard_normal(n)
    fit = fit_two_layer_gd(g1, y, eta, steps)
    opt = torch.optim.SGD(g2.parameters(), lr=eta)
    yt = torch.as_tensor(y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = 0.5 * ((g2() - yt) ** 2).sum()
        losses.append(loss.item())
        loss.backward()
        opt.step()
    np.testing.assert_allclose(g1.C.detach().numpy(), g2.C.detach().numpy(), atol=1e-12)
    # recorded residuals are y - G(C_t); their half squared norms are the losses
    np.testing.assert_allclose(
        0.5 * np.sum(fit.residuals[:-1] ** 2, axis=1), losses, rtol=1e-10
    )
    np.testing.assert_allclose(fit.residuals[-1], y - g1().detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(fit.outputs(y)[-1], g1().detach().numpy(), atol=1e-12)


def test_record_every_and_weight_distance():
    _u, gen, eta = _setup()
    C0 = gen.C.detach().clone()
    y = np.ones(16)
    fit = fit_two_layer_gd(gen, y, eta, 10, record_every=4)
    assert isinstance(fit, TwoLayerFit)
    np.testing.assert_array_equal(fit.steps, [0, 4, 8, 10])
    assert fit.residuals.shape == (4, 16)
    assert fit.weight_distance.shape == (4,)
    assert fit.weight_distance[0] == 0.0
    expected = float(torch.linalg.norm(gen.C.detach() - C0) / torch.linalg.norm(C0))
    assert fit.weight_distance[-1] == pytest.approx(expected, rel=1e-12)
    # zero steps: one record, weights untouched
    _u, gen, eta = _setup()
    C0 = gen.C.detach().clone()
    fit = fit_two_layer_gd(gen, y, eta, 0)
    assert fit.steps.tolist() == [0]
    assert torch.equal(gen.C.detach(), C0)


def test_loss_decreases_with_the_papers_step_size():
    _u, gen, eta = _setup(n=32, k=64, seed=1)
    y = np.sin(2 * np.pi * np.arange(32) / 32)
    fit = fit_two_layer_gd(gen, y, eta, 200)
    loss = 0.5 * np.sum(fit.residuals**2, axis=1)
    assert np.all(np.diff(loss) <= 1e-12)
    assert loss[-1] < 0.05 * loss[0]


def test_linear_residuals_equal_proposition_1():
    rng = np.random.default_rng(2)
    n = 12
    W, _ = np.linalg.qr(rng.standard_normal((n, n)))
    sigma = np.sort(rng.uniform(0.1, 2.0, n))[::-1]
    r0 = rng.standard_normal(n)
    eta = 0.5 / sigma[0] ** 2
    J = W * sigma  # W diag(sigma): left singular vectors W, singular values sigma
    ref = dd.gd_residual_closed_form(J, r0, eta, 30)
    np.testing.assert_allclose(linear_residuals(sigma, W, r0, eta, 30), ref, atol=1e-12)
    np.testing.assert_allclose(
        linear_residuals(sigma, W, r0, eta, 30, record_every=7),
        ref[[0, 7, 14, 21, 28, 30]],
        atol=1e-12,
    )


def test_linear_prediction_is_close_for_a_wide_network_and_smooth_target():
    n, k = 32, 2048
    u = dd.gaussian_kernel(3.0, n)
    gen = dd.TwoLayerGenerator(u, n, k, omega=1 / np.sqrt(n), seed=0, device="cpu")
    eta = conv_step_size(u, n)
    W = dd.trig_basis(n)
    y = W[:, 1] + 0.5 * W[:, 2]
    fit = fit_two_layer_gd(gen, y, eta, 100)
    pred = linear_residuals(dd.dual_kernel(u, n), W, fit.residuals[0], eta, 100)
    dev = np.linalg.norm(fit.residuals - pred, axis=1).max() / np.linalg.norm(
        fit.residuals[0]
    )
    assert dev < 0.05


def test_early_stopping_time_solves_its_defining_equation():
    n = 64
    sigma = dd.dual_kernel(dd.gaussian_kernel(4.0, n), n)
    eta = conv_step_size(dd.gaussian_kernel(4.0, n), n)
    s = np.sort(sigma)[::-1]
    for p in [1, 3, 5, 9]:
        tau = early_stopping_time(sigma, p, eta)
        fitted = ((1 - eta * s[p:] ** 2) ** tau - 1) ** 2
        assert np.all(fitted <= p / n + 1e-12)
        assert fitted[0] == pytest.approx(p / n, rel=1e-10)  # tight at sigma_{p+1}
    # order of sigma does not matter
    perm = np.random.default_rng(0).permutation(n)
    assert early_stopping_time(sigma[perm], 3, eta) == pytest.approx(
        early_stopping_time(sigma, 3, eta)
    )
    # sigma_{p+1} = 0: never fitted, any time is allowed
    assert early_stopping_time(np.r_[1.0, 1.0, 0.0, 0.0], 2, 0.5) == np.inf


def test_denoising_error_bound_values():
    sigma = np.array([2.0, 1.0, 0.5, 0.1])
    eta = 0.25  # eta sigma_1^2 = 1
    q = 1 - eta * sigma**2
    tau = np.array([0.0, 1.0, 3.0])
    b = denoising_error_bound(sigma, 2, eta, tau, 2.0, 0.3)
    expected = q[1] ** tau * 2.0 + 0.3 * np.sqrt(
        np.mean((1 - q[None, :] ** tau[:, None]) ** 2, axis=1)
    )
    np.testing.assert_allclose(b, expected)
    assert b[0] == pytest.approx(2.0)  # nothing fitted at tau = 0
    # at Theorem 1's stopping time the noise part is at most varsigma sqrt(2p/n)
    sig = dd.dual_kernel(dd.triangular_kernel(4, 64), 64)
    eta = conv_step_size(dd.triangular_kernel(4, 64), 64)
    for p in [1, 3, 7]:
        t = early_stopping_time(sig, p, eta)
        noise_part = denoising_error_bound(sig, p, eta, t, 0.0, 1.0)
        assert noise_part <= np.sqrt(2 * p / 64) + 1e-12
    assert denoising_error_bound(sigma, 1, eta, 2.0, 1.0, 0.0).shape == ()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(generator="not a generator"), "TwoLayerGenerator"),
        (dict(y=np.ones(5)), "length n"),
        (dict(y=np.full(16, np.nan)), "finite"),
        (dict(eta=-1.0), "eta"),
        (dict(eta=10.0), "2/\\|\\|U\\|\\|\\^2"),
        (dict(steps=-1), "steps"),
        (dict(steps=2.5), "steps"),
        (dict(record_every=0), "record_every"),
    ],
)
def test_fit_bad_input(kwargs, match):
    _u, gen, eta = _setup()
    args = dict(generator=gen, y=np.zeros(16), eta=eta, steps=3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit_two_layer_gd(
            args.pop("generator"),
            args.pop("y"),
            args.pop("eta"),
            args.pop("steps"),
            **args,
        )


def test_linear_residuals_bad_input():
    W = dd.trig_basis(4)
    s = np.ones(4)
    with pytest.raises(ValueError, match="non-negative"):
        linear_residuals(-s, W, np.ones(4), 0.1, 2)
    with pytest.raises(ValueError, match="square"):
        linear_residuals(s, W[:, :3], np.ones(4), 0.1, 2)
    with pytest.raises(ValueError, match="orthonormal"):
        linear_residuals(s, 2 * W, np.ones(4), 0.1, 2)
    with pytest.raises(ValueError, match="r0 must have length"):
        linear_residuals(s, W, np.ones(3), 0.1, 2)
    with pytest.raises(ValueError, match="stability"):
        linear_residuals(s, W, np.ones(4), 2.0, 2)
    with pytest.raises(ValueError, match="1-dimensional"):
        linear_residuals(np.ones((2, 2)), W, np.ones(4), 0.1, 2)


def test_stopping_time_and_bound_bad_input():
    s = np.array([1.0, 0.5, 0.2])
    with pytest.raises(ValueError, match="p must satisfy"):
        early_stopping_time(s, 3, 0.5)
    with pytest.raises(ValueError, match="p must be an integer"):
        early_stopping_time(s, 0, 0.5)
    with pytest.raises(ValueError, match="at most 1"):
        early_stopping_time(s, 1, 2.0)
    with pytest.raises(ValueError, match="at least 2"):
        early_stopping_time(np.array([1.0]), 1, 0.5)
    with pytest.raises(ValueError, match="non-negative"):
        early_stopping_time(np.array([1.0, -0.5]), 1, 0.5)
    with pytest.raises(ValueError, match="tau must be >= 0"):
        denoising_error_bound(s, 1, 0.5, [-1.0], 1.0, 1.0)
    with pytest.raises(ValueError, match="noise_level"):
        denoising_error_bound(s, 1, 0.5, 1.0, 1.0, -0.1)
    with pytest.raises(ValueError, match="signal_norm"):
        denoising_error_bound(s, 1, 0.5, 1.0, "big", 0.1)


@pytest.mark.parametrize("n", [8, 31, 64])
def test_conv_step_size_is_inverse_squared_circulant_norm(n):
    rng = np.random.default_rng(n)
    for u in [
        rng.standard_normal(5),
        dd.triangular_kernel(3, n),
        dd.gaussian_kernel(2.0, n),
        [2.0],
    ]:
        expected = 1.0 / np.linalg.norm(dd.circulant(u, n), 2) ** 2
        assert conv_step_size(u, n) == pytest.approx(expected, rel=1e-12)
    assert dd.conv_step_size is conv_step_size


def test_conv_step_size_is_the_generators_stability_limit():
    _u, gen, eta = _setup()
    fit_two_layer_gd(gen, np.ones(16), 1.99 * eta, 2)  # just below 2/||U||^2: allowed
    _u, gen, eta = _setup()
    with pytest.raises(ValueError, match="stability limit"):
        fit_two_layer_gd(gen, np.ones(16), 2.0 * eta, 2)


@pytest.mark.parametrize(
    ("u", "n", "match"),
    [
        (np.zeros(4), 8, "all zeros"),
        (np.ones(9), 8, "no longer than n = 8"),
        ([1.0, np.nan], 8, "finite"),
        (np.ones((2, 2)), 8, "1-dimensional"),
        ([1.0], 0, "n must be an integer >= 1"),
        ([1 + 1j], 4, "real numbers"),
    ],
)
def test_conv_step_size_bad_input(u, n, match):
    with pytest.raises(ValueError, match=match):
        conv_step_size(u, n)
