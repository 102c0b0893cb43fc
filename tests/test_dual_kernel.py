"""Tests of dd_lib.dual_kernel: Definition 2, eq. 13 of the denoising paper."""

import numpy as np
import pytest

import dd_lib as dd


def _kernels(n, seed=1234):
    rng = np.random.default_rng(seed)
    yield "random asymmetric short", rng.standard_normal(5)
    yield "random asymmetric full", rng.standard_normal(n)
    yield "one-sided ramp", np.arange(1.0, 8.0)
    yield "triangular w=2", dd.triangular_kernel(2, n)
    yield "triangular w=10", dd.triangular_kernel(10, n)
    yield "gaussian std=1", dd.gaussian_kernel(1.0, n)
    yield "gaussian std=6", dd.gaussian_kernel(6.0, n)
    yield "delta", np.array([1.0])


@pytest.mark.parametrize("n", [30, 31, 64])
def test_dual_kernel_diagonalises_expected_jacobian_gram(n):
    W = dd.trig_basis(n)
    for name, u in _kernels(n):
        sigma = dd.dual_kernel(u, n)
        Sigma = dd.expected_jacobian_gram(dd.circulant(u, n))
        D = W.T @ Sigma @ W
        scale = np.abs(Sigma).max()
        np.testing.assert_allclose(
            D, np.diag(sigma**2), atol=1e-12 * scale * n, err_msg=name
        )
        # symmetric pairs share a value
        np.testing.assert_allclose(
            sigma[1:], sigma[1:][::-1], atol=1e-12 * np.sqrt(scale), err_msg=name
        )


def test_dual_kernel_needs_autocorrelation_not_convolution():
    """For an asymmetric kernel, reading u*u as a plain convolution gives other
    values."""
    n = 32
    u = np.arange(1.0, 6.0)
    upad = np.r_[u, np.zeros(n - 5)]
    conv = np.fft.ifft(np.fft.fft(upad) ** 2).real
    wrong = np.sqrt(
        np.abs(
            np.fft.fft(
                upad @ upad * dd.relu_gram_factor(np.clip(conv / (upad @ upad), -1, 1))
            )
        )
    )
    assert np.max(np.abs(wrong - dd.dual_kernel(u, n))) > 0.1


def test_dual_kernel_trace_identity_and_delta():
    n = 50
    for _, u in _kernels(n):
        sigma = dd.dual_kernel(u, n)
        # trace Sigma = n * ||u||^2 / 2 = sum sigma_i^2
        np.testing.assert_allclose(
            np.sum(sigma**2), n * np.sum(np.asarray(u) ** 2) / 2, rtol=1e-12
        )
    # identity kernel: Sigma = I/2, flat dual kernel 1/sqrt(2)
    np.testing.assert_allclose(
        dd.dual_kernel([1.0], n), np.full(n, np.sqrt(0.5)), atol=1e-14
    )


def test_dual_kernel_is_shift_invariant():
    n = 40
    u = dd.triangular_kernel(5, n)
    np.testing.assert_allclose(
        dd.dual_kernel(np.roll(u, 7), n), dd.dual_kernel(u, n), atol=1e-12
    )


def test_expected_jacobian_gram_formula_for_general_matrix():
    rng = np.random.default_rng(1234)
    U = rng.standard_normal((6, 9))
    S = dd.expected_jacobian_gram(U)
    for i in range(6):
        for j in range(6):
            a, b = U[i], U[j]
            rho = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
            np.testing.assert_allclose(
                S[i, j],
                0.5 * (1 - np.arccos(np.clip(rho, -1, 1)) / np.pi) * (a @ b),
                atol=1e-13,
            )
    assert np.linalg.eigvalsh(S).min() > -1e-12


def test_expected_jacobian_gram_equals_monte_carlo_average_of_indicator_products():
    """E[1{u_i.c>0} 1{u_j.c>0}] = 1/2 (1 - arccos(rho)/pi), averaged over Gaussian c."""
    rng = np.random.default_rng(1234)
    U = rng.standard_normal((4, 6))
    N = 200_000
    Cs = rng.standard_normal((6, N))
    M = (U @ Cs > 0).astype(float)
    mc = (M @ M.T / N) * (U @ U.T)
    # per-entry standard deviation <= 0.5 |<u_i,u_j>| / sqrt(N); allow 6 of them
    tol = 6 * 0.5 * np.abs(U @ U.T) / np.sqrt(N)
    assert np.all(np.abs(mc - dd.expected_jacobian_gram(U)) <= tol + 1e-12)


BAD = [
    (lambda: dd.dual_kernel(np.zeros(3), 8), "all zeros"),
    (lambda: dd.dual_kernel(np.ones(9), 8), "no longer than n = 8"),
    (lambda: dd.dual_kernel([1.0, np.inf], 8), "finite"),
    (lambda: dd.expected_jacobian_gram(np.ones(3)), "U must be 2-dimensional"),
    (lambda: dd.expected_jacobian_gram(np.zeros((2, 2))), "no zero row"),
    (lambda: dd.relu_gram_factor([1.5]), r"\[-1, 1\]"),
]


@pytest.mark.parametrize(("call", "message"), BAD)
def test_bad_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
