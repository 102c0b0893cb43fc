"""Tests of dd_lib.two_layer.TwoLayerGenerator: forward map, Jacobian, expected Gram."""

import numpy as np
import pytest
import torch

import dd_lib as dd


def _gen(n=12, k=6, seed=0, **kw):
    u = np.random.default_rng(seed).standard_normal(5)
    return u, dd.TwoLayerGenerator(u, n, k, seed=seed, device="cpu", **kw)


def test_forward_equals_dense_formula():
    u, g = _gen()
    U = dd.circulant(u, 12)
    C = g.C.detach().numpy()
    v = np.r_[np.ones(3), -np.ones(3)] / np.sqrt(6)
    np.testing.assert_allclose(
        g().detach().numpy(), np.maximum(U @ C, 0) @ v, atol=1e-12
    )
    np.testing.assert_allclose(g.U().numpy(), U)
    np.testing.assert_allclose(float(g.v @ g.v), 1.0)


def test_jacobian_equals_autograd():
    _u, g = _gen(n=10, k=4, seed=2)
    C0 = g.C.detach().clone()
    auto = torch.autograd.functional.jacobian(
        lambda C: g(C), C0
    )  # (n, n, k): d G_i / d C_jl
    # vec stacks the columns of C: index l * n + j
    auto_vec = auto.permute(0, 2, 1).reshape(10, 40)
    np.testing.assert_allclose(g.jacobian().numpy(), auto_vec.numpy(), atol=1e-12)
    np.testing.assert_allclose(
        g.jacobian_gram().numpy(), (g.jacobian() @ g.jacobian().T).numpy(), atol=1e-12
    )


def test_monte_carlo_jacobian_gram_matches_closed_form():
    n, k, reps = 16, 2000, 5
    u = dd.triangular_kernel(3, n)
    avg = np.zeros((n, n))
    for seed in range(reps):
        g = dd.TwoLayerGenerator(u, n, k, seed=seed, device="cpu")
        avg += g.jacobian_gram().numpy() / reps
    Sigma = dd.expected_jacobian_gram(dd.circulant(u, n))
    # J J^T = mean over k*reps channels of (s s^T) o UU^T, each entry of the mask
    # product in [0, 1]: standard deviation <= 0.5 |UU^T_ij| / sqrt(k reps); allow 6
    # standard deviations
    UUt = dd.circulant(u, n) @ dd.circulant(u, n).T
    tol = 6 * 0.5 * np.abs(UUt) / np.sqrt(k * reps)
    assert np.all(np.abs(avg - Sigma) <= tol + 1e-12)
    # and the spectrum: eigenvalues approach the squared dual kernel
    eig = np.sort(np.linalg.eigvalsh(avg))
    np.testing.assert_allclose(
        eig, np.sort(dd.dual_kernel(u, n) ** 2), atol=6 * 0.5 * n / np.sqrt(k * reps)
    )


def test_jacobian_does_not_depend_on_omega_and_output_scales_with_it():
    u = dd.gaussian_kernel(1.0, 8)
    g1 = dd.TwoLayerGenerator(u, 8, 4, omega=1.0, seed=3, device="cpu")
    g2 = dd.TwoLayerGenerator(u, 8, 4, omega=0.01, seed=3, device="cpu")
    np.testing.assert_allclose(g1.jacobian().numpy(), g2.jacobian().numpy())
    np.testing.assert_allclose(
        g2().detach().numpy(), 0.01 * g1().detach().numpy(), atol=1e-14
    )


def test_seed_determinism_and_float32():
    u = dd.triangular_kernel(2, 8)
    a = dd.TwoLayerGenerator(u, 8, 4, seed=7, device="cpu")
    b = dd.TwoLayerGenerator(u, 8, 4, seed=7, device="cpu", dtype=torch.float32)
    np.testing.assert_allclose(a().detach().numpy(), b().detach().numpy(), atol=1e-5)


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason="needs a CUDA GPU (checks CPU == GPU)"
)
def test_cpu_and_gpu_agree():
    u = dd.triangular_kernel(4, 64)
    a = dd.TwoLayerGenerator(u, 64, 32, seed=1, device="cpu")
    b = dd.TwoLayerGenerator(u, 64, 32, seed=1, device="cuda")
    np.testing.assert_allclose(
        a().detach().numpy(), b().detach().cpu().numpy(), atol=1e-10
    )
    np.testing.assert_allclose(
        a.jacobian_gram().numpy(), b.jacobian_gram().cpu().numpy(), atol=1e-10
    )


BAD = [
    (lambda: dd.TwoLayerGenerator([1.0, 2.0], 8, 5, device="cpu"), "k must be even"),
    (
        lambda: dd.TwoLayerGenerator([1.0, 2.0], 8, 0, device="cpu"),
        "k must be an integer >= 2",
    ),
    (
        lambda: dd.TwoLayerGenerator(np.ones(9), 8, 4, device="cpu"),
        "no longer than n = 8",
    ),
    (lambda: dd.TwoLayerGenerator([0.0, 0.0], 8, 4, device="cpu"), "all zeros"),
    (lambda: dd.TwoLayerGenerator([1.0, np.nan], 8, 4, device="cpu"), "finite"),
    (lambda: dd.TwoLayerGenerator([1.0], 8, 4, omega=0.0, device="cpu"), "omega"),
    (
        lambda: dd.TwoLayerGenerator([1.0], 8, 4, dtype=torch.int64, device="cpu"),
        "dtype",
    ),
    (
        lambda: dd.TwoLayerGenerator([1.0], 8, 4, device="cpu")(torch.zeros(8, 3)),
        r"shape \(8, 4\)",
    ),
]


@pytest.mark.parametrize(("call", "message"), BAD)
def test_bad_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
