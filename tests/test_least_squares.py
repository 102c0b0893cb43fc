"""Tests of dd_lib.least_squares: Proposition 1, the min-norm limit, bound (2), the
filter."""

import numpy as np
import pytest

import dd_lib as dd


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
    rng = np.random.default_rng(1234)
    J = _decaying_matrix(*shape)
    y = rng.standard_normal(shape[0])
    eta = 0.9 / np.linalg.norm(J, 2) ** 2
    r_gd = dd.gd_least_squares(J, y, eta, 200)
    r_cf = dd.gd_residual_closed_form(J, y, eta, 200)
    assert r_gd.shape == r_cf.shape == (201, shape[0])
    np.testing.assert_allclose(r_gd[0], y)
    np.testing.assert_allclose(r_gd, r_cf, atol=1e-10)


def test_gradient_descent_converges_to_min_norm_solution():
    rng = np.random.default_rng(1234)
    J = _decaying_matrix(15, 40, seed=3)  # wide: infinitely many solutions
    y = rng.standard_normal(15)
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
    rng = np.random.default_rng(1234)
    n, p = 60, 4
    J = _decaying_matrix(n, n, seed=5)
    W = np.linalg.svd(J)[0]
    s = np.linalg.svd(J, compute_uv=False)
    x = W[:, :p] @ rng.standard_normal(p)
    z = 0.3 * rng.standard_normal(n) / np.sqrt(n)
    eta = 1.0 / s[0] ** 2
    r = dd.gd_least_squares(J, x + z, eta, 300)
    err = np.linalg.norm((x + z - r) - x, axis=1)
    t = np.arange(301)[:, None]
    bound = (1 - eta * s[p - 1] ** 2) ** t[:, 0] * np.linalg.norm(x) + np.sqrt(
        np.sum(((1 - eta * s**2) ** t - 1) ** 2 * (W.T @ z) ** 2, axis=1)
    )
    assert np.all(err <= bound + 1e-12)


BAD = [
    (
        lambda: dd.gd_least_squares(np.eye(3), np.ones(3), 0.0, 5),
        "eta must be a finite number > 0",
    ),
    (
        lambda: dd.gd_least_squares(np.eye(3), np.ones(3), -1.0, 5),
        "eta must be a finite number > 0",
    ),
    (lambda: dd.gd_least_squares(np.eye(3), np.ones(3), 2.0, 5), "stability limit"),
    (
        lambda: dd.gd_least_squares(np.eye(3), np.ones(3), 0.5, -1),
        "steps must be an integer >= 0",
    ),
    (lambda: dd.gd_least_squares(np.eye(3), np.ones(4), 0.5, 3), "y must have length"),
    (
        lambda: dd.gd_least_squares(np.eye(3), np.ones((3, 1)), 0.5, 3),
        "y must be 1-dimensional",
    ),
    (lambda: dd.gd_residual_closed_form(np.eye(3), [1, np.nan, 0], 0.5, 3), "finite"),
    (lambda: dd.gd_residual_closed_form(np.eye(3), np.ones(3), float("nan"), 3), "eta"),
]


@pytest.mark.parametrize(("call", "message"), BAD)
def test_bad_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    ("sigma_shape", "tau"),
    [
        ((), 3),
        ((5,), 3),
        ((5,), np.arange(4)),
        ((2, 3), np.arange(6).reshape(2, 3)),
        ((), np.arange(7)),
    ],
)
def test_gd_residual_factor_broadcasts_tau_then_sigma(sigma_shape, tau):
    rng = np.random.default_rng(7)
    sigma = rng.uniform(0.0, 1.0, sigma_shape)
    f = dd.gd_residual_factor(sigma, 0.9, tau)
    assert np.shape(f) == np.shape(tau) + np.shape(sigma)
    tau_b = np.reshape(tau, np.shape(tau) + (1,) * np.ndim(sigma))
    np.testing.assert_allclose(
        f, (1 - 0.9 * np.asarray(sigma) ** 2) ** tau_b, rtol=1e-14
    )


def test_gd_residual_factor_is_gradient_descent_in_the_svd_basis():
    """Each coefficient <w_i, r_t> of gradient descent is <w_i, y> times the filter."""
    rng = np.random.default_rng(8)
    J = _decaying_matrix(25, 30, seed=2)
    y = rng.standard_normal(25)
    eta = 1.5 / np.linalg.norm(J, 2) ** 2  # above 1/||J||^2: bases can be negative
    W, s, _ = np.linalg.svd(J)
    r = dd.gd_least_squares(J, y, eta, 60)
    f = dd.gd_residual_factor(s, eta, np.arange(61))
    assert f.shape == (61, 25)
    np.testing.assert_allclose(r @ W, f * (W.T @ y), atol=1e-10)
    assert np.any(f[1] < 0)


def test_gd_residual_factor_non_integer_tau_and_zero_sigma():
    # at eta sigma^2 = 1 the component is fitted in one step, 0^0 = 1 at tau = 0
    np.testing.assert_allclose(
        dd.gd_residual_factor([1.0, 0.0], 1.0, [0, 1, 2.5]), [[1, 1], [0, 1], [0, 1]]
    )
    assert float(dd.gd_residual_factor(0.5, 1.0, 0.5)) == pytest.approx(np.sqrt(0.75))
    # stable but above 1/max(sigma)^2: negative bases are allowed for integer tau
    assert float(dd.gd_residual_factor([1.0, 2.0], 0.499, 3)[1]) == pytest.approx(
        (1 - 0.499 * 4) ** 3
    )
    # all-zero spectrum: no stability limit on eta, nothing is ever fitted
    np.testing.assert_array_equal(
        dd.gd_residual_factor(np.zeros(3), 100.0, 4), np.ones(3)
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0, 2.0], 0.5, 3), "stability limit 2/max\\(sigma\\)\\^2"),
        (([1.0], 0.5, -1), "tau must be >= 0"),
        (([1.0], 0.5, [0, -2]), "tau must be >= 0"),
        (([1.0], 1.5, 0.5), "tau must be integers"),
        (([-1.0], 0.5, 1), "non-negative"),
        (([1.0, np.nan], 0.5, 1), "finite"),
        (([1.0], 0.0, 1), "eta must be a finite number > 0"),
        (([1.0], 0.5, [np.inf]), "finite"),
    ],
)
def test_gd_residual_factor_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        dd.gd_residual_factor(*args)
