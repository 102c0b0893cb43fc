"""Mathematical tests of dd_lib.linalg: each test checks a statement of the papers."""

import numpy as np
import pytest

import dd_lib as dd

RNG = np.random.default_rng(1234)


@pytest.mark.parametrize("n", [1, 2, 7, 8, 64, 65, 300])
def test_trig_basis_is_orthonormal(n):
    W = dd.trig_basis(n)
    assert W.shape == (n, n)
    np.testing.assert_allclose(W.T @ W, np.eye(n), atol=1e-12)
    np.testing.assert_allclose(W @ W.T, np.eye(n), atol=1e-12)


def test_trig_basis_matches_definition_1():
    n = 12
    W = dd.trig_basis(n)
    j = np.arange(n)
    s = np.sqrt(n)
    np.testing.assert_allclose(W[:, 0], np.ones(n) / s)
    np.testing.assert_allclose(W[:, 3], np.sqrt(2) * np.cos(2 * np.pi * j * 3 / n) / s)
    np.testing.assert_allclose(W[:, 6], (-1.0) ** j / s)
    np.testing.assert_allclose(W[:, 9], np.sqrt(2) * np.sin(2 * np.pi * j * 9 / n) / s)
    np.testing.assert_array_equal(dd.trig_frequencies(n), [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1])
    np.testing.assert_array_equal(dd.frequency_order(6), [0, 1, 5, 2, 4, 3])


@pytest.mark.parametrize("n", [16, 17])
def test_trig_basis_diagonalises_random_symmetric_circulants(n):
    half = RNG.standard_normal(n // 2 + 1)
    u = np.array([half[min(i, n - i)] for i in range(n)])  # u[i] = u[n-i]
    W = dd.trig_basis(n)
    D = W.T @ dd.circulant(u, n) @ W
    np.testing.assert_allclose(D, np.diag(np.diag(D)), atol=1e-12)
    np.testing.assert_allclose(np.diag(D), np.fft.fft(u).real, atol=1e-12)


def test_circulant_is_circular_convolution():
    n = 10
    u = RNG.standard_normal(4)
    c = RNG.standard_normal(n)
    U = dd.circulant(u, n)
    upad = np.r_[u, np.zeros(n - 4)]
    expected = np.array([sum(upad[(i - j) % n] * c[j] for j in range(n)) for i in range(n)])
    np.testing.assert_allclose(U @ c, expected, atol=1e-12)
    np.testing.assert_allclose(U[:, 0], upad)


@pytest.mark.parametrize("n", [9, 32])
def test_circulant_singular_values_are_abs_dft(n):
    u = RNG.standard_normal(5)  # asymmetric
    s = np.linalg.svd(dd.circulant(u, n), compute_uv=False)
    np.testing.assert_allclose(np.sort(s), np.sort(np.abs(np.fft.fft(u, n))), atol=1e-12)


def _kernels(n):
    yield "random asymmetric short", RNG.standard_normal(5)
    yield "random asymmetric full", RNG.standard_normal(n)
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
        np.testing.assert_allclose(D, np.diag(sigma**2), atol=1e-12 * scale * n, err_msg=name)
        # symmetric pairs share a value
        np.testing.assert_allclose(sigma[1:], sigma[1:][::-1], atol=1e-12 * np.sqrt(scale), err_msg=name)


def test_dual_kernel_needs_autocorrelation_not_convolution():
    """For an asymmetric kernel, reading u*u as a plain convolution gives other values."""
    n = 32
    u = np.arange(1.0, 6.0)
    upad = np.r_[u, np.zeros(n - 5)]
    conv = np.fft.ifft(np.fft.fft(upad) ** 2).real
    wrong = np.sqrt(np.abs(np.fft.fft(upad @ upad * dd.relu_gram_factor(np.clip(conv / (upad @ upad), -1, 1)))))
    assert np.max(np.abs(wrong - dd.dual_kernel(u, n))) > 0.1


def test_dual_kernel_trace_identity_and_delta():
    n = 50
    for _, u in _kernels(n):
        sigma = dd.dual_kernel(u, n)
        # trace Sigma = n * ||u||^2 / 2 = sum sigma_i^2
        np.testing.assert_allclose(np.sum(sigma**2), n * np.sum(np.asarray(u) ** 2) / 2, rtol=1e-12)
    # identity kernel: Sigma = I/2, flat dual kernel 1/sqrt(2)
    np.testing.assert_allclose(dd.dual_kernel([1.0], n), np.full(n, np.sqrt(0.5)), atol=1e-14)


def test_dual_kernel_is_shift_invariant():
    n = 40
    u = dd.triangular_kernel(5, n)
    np.testing.assert_allclose(dd.dual_kernel(np.roll(u, 7), n), dd.dual_kernel(u, n), atol=1e-12)


def test_expected_jacobian_gram_formula_for_general_matrix():
    U = RNG.standard_normal((6, 9))
    S = dd.expected_jacobian_gram(U)
    for i in range(6):
        for j in range(6):
            a, b = U[i], U[j]
            rho = a @ b / np.linalg.norm(a) / np.linalg.norm(b)
            np.testing.assert_allclose(S[i, j], 0.5 * (1 - np.arccos(np.clip(rho, -1, 1)) / np.pi) * (a @ b), atol=1e-13)
    assert np.linalg.eigvalsh(S).min() > -1e-12


def test_expected_jacobian_gram_equals_monte_carlo_average_of_indicator_products():
    """E[1{u_i.c>0} 1{u_j.c>0}] = 1/2 (1 - arccos(rho)/pi), averaged over Gaussian c."""
    U = RNG.standard_normal((4, 6))
    N = 200_000
    Cs = RNG.standard_normal((6, N))
    M = (U @ Cs > 0).astype(float)
    mc = (M @ M.T / N) * (U @ U.T)
    # per-entry standard deviation <= 0.5 |<u_i,u_j>| / sqrt(N); allow 6 of them
    tol = 6 * 0.5 * np.abs(U @ U.T) / np.sqrt(N)
    assert np.all(np.abs(mc - dd.expected_jacobian_gram(U)) <= tol + 1e-12)


def _decaying_matrix(n, m, seed=0):
    rng = np.random.default_rng(seed)
    Q1, _ = np.linalg.qr(rng.standard_normal((n, n)))
    Q2, _ = np.linalg.qr(rng.standard_normal((m, m)))
    s = 0.9 ** np.arange(min(n, m))
    S = np.zeros((n, m))
    S[np.arange(len(s)), np.arange(len(s))] = s
    return Q1 @ S @ Q2.T


@pytest.mark.parametrize("shape", [(20, 20), (20, 35), (30, 12)])
def test_proposition_1_closed_form_equals_gradient_descent(shape):
    J = _decaying_matrix(*shape)
    y = RNG.standard_normal(shape[0])
    eta = 0.9 / np.linalg.norm(J, 2) ** 2
    r_gd = dd.gd_least_squares(J, y, eta, 200)
    r_cf = dd.gd_residual_closed_form(J, y, eta, 200)
    assert r_gd.shape == r_cf.shape == (201, shape[0])
    np.testing.assert_allclose(r_gd[0], y)
    np.testing.assert_allclose(r_gd, r_cf, atol=1e-10)


def test_gradient_descent_converges_to_min_norm_solution():
    J = _decaying_matrix(15, 40, seed=3)  # wide: infinitely many solutions
    y = RNG.standard_normal(15)
    eta = 1.0 / np.linalg.norm(J, 2) ** 2
    s_min = np.linalg.svd(J, compute_uv=False).min()
    steps = int(np.ceil(np.log(1e-13) / np.log(1 - eta * s_min**2)))
    r, c = dd.gd_least_squares(J, y, eta, steps, return_coefficients=True)
    c_star = np.linalg.pinv(J) @ y
    np.testing.assert_allclose(c[-1], c_star, atol=1e-9)
    assert np.linalg.norm(r[-1]) < 1e-9
    # every iterate stays in the row space of J (why the limit is the min-norm solution)
    P = np.linalg.pinv(J) @ J
    np.testing.assert_allclose(c @ P.T, c, atol=1e-10)


def test_early_stopping_bound_eq2_holds():
    n, p = 60, 4
    J = _decaying_matrix(n, n, seed=5)
    W = np.linalg.svd(J)[0]
    s = np.linalg.svd(J, compute_uv=False)
    x = W[:, :p] @ RNG.standard_normal(p)
    z = 0.3 * RNG.standard_normal(n) / np.sqrt(n)
    eta = 1.0 / s[0] ** 2
    r = dd.gd_least_squares(J, x + z, eta, 300)
    err = np.linalg.norm((x + z - r) - x, axis=1)
    t = np.arange(301)[:, None]
    bound = (1 - eta * s[p - 1] ** 2) ** t[:, 0] * np.linalg.norm(x) + np.sqrt(
        np.sum(((1 - eta * s**2) ** t - 1) ** 2 * (W.T @ z) ** 2, axis=1)
    )
    assert np.all(err <= bound + 1e-12)


def test_triangular_and_gaussian_kernels():
    n = 16
    u = dd.triangular_kernel(2, n)
    np.testing.assert_allclose(np.linalg.norm(u), 1.0)
    np.testing.assert_allclose(u[[0, 1, n - 1, 2]] / u[0], [1.0, 0.5, 0.5, 0.0])
    g = dd.gaussian_kernel(1.5, n)
    np.testing.assert_allclose(g[1], g[n - 1])
    assert np.argmax(g) == 0


BAD = [
    (lambda: dd.trig_basis(0), "n must be an integer >= 1"),
    (lambda: dd.trig_basis(3.0), "n must be an integer"),
    (lambda: dd.circulant(np.ones(5), 4), "no longer than n = 4"),
    (lambda: dd.circulant(np.ones((2, 2)), 4), "u must be 1-dimensional"),
    (lambda: dd.circulant([1.0, np.nan], 4), "finite"),
    (lambda: dd.circulant([1 + 1j], 4), "real numbers"),
    (lambda: dd.circulant([], 4), "must not be empty"),
    (lambda: dd.dual_kernel(np.zeros(3), 8), "all zeros"),
    (lambda: dd.dual_kernel(np.ones(9), 8), "no longer than n = 8"),
    (lambda: dd.dual_kernel([1.0, np.inf], 8), "finite"),
    (lambda: dd.expected_jacobian_gram(np.ones(3)), "U must be 2-dimensional"),
    (lambda: dd.expected_jacobian_gram(np.zeros((2, 2))), "no zero row"),
    (lambda: dd.gd_least_squares(np.eye(3), np.ones(3), 0.0, 5), "eta must be a finite number > 0"),
    (lambda: dd.gd_least_squares(np.eye(3), np.ones(3), -1.0, 5), "eta must be a finite number > 0"),
    (lambda: dd.gd_least_squares(np.eye(3), np.ones(3), 2.0, 5), "stability limit"),
    (lambda: dd.gd_least_squares(np.eye(3), np.ones(3), 0.5, -1), "steps must be an integer >= 0"),
    (lambda: dd.gd_least_squares(np.eye(3), np.ones(4), 0.5, 3), "y must have length"),
    (lambda: dd.gd_least_squares(np.eye(3), np.ones((3, 1)), 0.5, 3), "y must be 1-dimensional"),
    (lambda: dd.gd_residual_closed_form(np.eye(3), [1, np.nan, 0], 0.5, 3), "finite"),
    (lambda: dd.gd_residual_closed_form(np.eye(3), np.ones(3), float("nan"), 3), "eta"),
    (lambda: dd.triangular_kernel(0, 8), "half_width"),
    (lambda: dd.triangular_kernel(5, 8), "at most n/2"),
    (lambda: dd.gaussian_kernel(-1, 8), "std"),
    (lambda: dd.relu_gram_factor([1.5]), r"\[-1, 1\]"),
]


@pytest.mark.parametrize("call,message", BAD)
def test_bad_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
