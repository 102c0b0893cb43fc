"""Tests of dd_lib.sketching: min-norm solution and Theorem 1 of the CS paper."""

import numpy as np
import pytest

import dd_lib as dd
from dd_lib.sketching import geometric_example_bound, min_norm_solution, theorem1_bound


def _problem(n=20, N=35, m=8, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    J = rng.standard_normal((n, N))
    x = rng.standard_normal(n)
    return A, J, x


def test_min_norm_solution_solves_and_has_least_norm():
    A, J, x = _problem()
    y = A @ x
    c = min_norm_solution(A, J, y)
    np.testing.assert_allclose(A @ J @ c, y, atol=1e-10)
    np.testing.assert_allclose(c, np.linalg.pinv(A @ J) @ y, atol=1e-10)
    # c lies in the row space of AJ, so any other solution is longer
    M = A @ J
    null = np.eye(M.shape[1]) - np.linalg.pinv(M) @ M
    other = c + null @ np.random.default_rng(1).standard_normal(M.shape[1])
    np.testing.assert_allclose(M @ other, y, atol=1e-10)
    assert np.linalg.norm(other) > np.linalg.norm(c)
    np.testing.assert_allclose(null @ c, 0, atol=1e-10)


def test_gradient_descent_from_zero_reaches_the_min_norm_solution():
    A, J, x = _problem(n=10, N=16, m=5, seed=3)
    M = A @ J
    eta = 1.0 / np.linalg.norm(M, 2) ** 2
    _, coefs = dd.gd_least_squares(M, A @ x, eta, 20000, return_coefficients=True)
    np.testing.assert_allclose(coefs[-1], min_norm_solution(A, J, A @ x), atol=1e-8)


def test_estimate_depends_only_on_left_singular_vectors_and_values():
    # x_hat = J c_hat is the same for J = W S and for J = W S V^T with any orthonormal V
    rng = np.random.default_rng(4)
    n, N, m = 12, 30, 6
    W, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = 0.8 ** np.arange(1, n + 1)
    V, _ = np.linalg.qr(rng.standard_normal((N, n)))
    A = rng.standard_normal((m, n)) / np.sqrt(m)
    x = rng.standard_normal(n)
    J1, J2 = W * s, (W * s) @ V.T
    x1 = J1 @ min_norm_solution(A, J1, A @ x)
    x2 = J2 @ min_norm_solution(A, J2, A @ x)
    np.testing.assert_allclose(x1, x2, atol=1e-10)


def test_theorem1_bound_formula_and_indexing():
    n = 9
    W = dd.trig_basis(n)
    s = np.sqrt(0.5 ** np.arange(1, n + 1))
    x = W[:, 0] + 2 * W[:, 3]
    b, first, tail = theorem1_bound(s, W, x, 6, return_terms=True)
    assert first == pytest.approx(1 / s[0] ** 2 + 4 / s[3] ** 2)
    # 1-based i > 2m/3 = 4: i = 5..9, i.e. 0-based 4..8
    assert tail == pytest.approx(np.sum(s[4:] ** 2))
    assert b == pytest.approx(first * tail)
    assert theorem1_bound(s, W, x, 6) == pytest.approx(b)
    # m = 7: floor(14/3) = 4 skipped as well; m = 8: floor(16/3) = 5
    assert theorem1_bound(s, W, x, 7, return_terms=True)[2] == pytest.approx(
        np.sum(s[4:] ** 2)
    )
    assert theorem1_bound(s, W, x, 8, return_terms=True)[2] == pytest.approx(
        np.sum(s[5:] ** 2)
    )
    # order of sigma (with the columns of W) does not matter
    perm = np.random.default_rng(0).permutation(n)
    assert theorem1_bound(s[perm], W[:, perm], x, 6) == pytest.approx(b)


def test_theorem1_bound_zero_singular_values():
    W = np.eye(4)
    s = np.array([1.0, 0.5, 0.0, 0.0])
    x_in_range = np.array([1.0, 1.0, 0.0, 0.0])
    # m = 1: nothing skipped, first factor 1/1 + 1/0.25 = 5, tail 1 + 0.25
    assert theorem1_bound(s, W, x_in_range, 1) == pytest.approx(5 * 1.25)
    # m = 3: the two non-zero singular values are skipped, tail 0: exact recovery is
    # promised
    assert theorem1_bound(s, W, x_in_range, 3) == 0.0
    assert theorem1_bound(s, W, np.array([1.0, 0.0, 1.0, 0.0]), 3) == np.inf


def test_theorem1_holds_on_random_draws():
    # the bound with C = 1 holds with room to spare for a geometric spectrum (measured
    # in the chapter)
    rng = np.random.default_rng(5)
    n, m = 48, 18
    W = dd.trig_basis(n)[:, dd.frequency_order(n)]
    s = np.sqrt(0.85 ** np.arange(1, n + 1))
    J = W * s
    for _ in range(20):
        A = rng.standard_normal((m, n)) / np.sqrt(m)
        x = W[:, : m // 3] @ rng.standard_normal(m // 3)
        err2 = np.sum((J @ min_norm_solution(A, J, A @ x) - x) ** 2)
        assert err2 <= theorem1_bound(s, W, x, m)
        assert theorem1_bound(s, W, x, m) <= geometric_example_bound(
            0.85, m, np.linalg.norm(x)
        ) * (1 + 1e-12)


def test_geometric_example_bound_dominates_theorem1_bound():
    n = 60
    W = dd.trig_basis(n)[:, dd.frequency_order(n)]
    rng = np.random.default_rng(6)
    for gamma in [0.5, 0.8, 0.95]:
        s = np.sqrt(gamma ** np.arange(1, n + 1))
        for m in range(3, n + 1, 4):
            x = W[:, : m // 3] @ rng.standard_normal(m // 3)
            assert theorem1_bound(s, W, x, m) <= geometric_example_bound(
                gamma, m, np.linalg.norm(x)
            ) * (1 + 1e-12)
    assert geometric_example_bound(0.5, 6) == pytest.approx(0.25 / 0.5)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.ones((3, 4)), np.ones((5, 6)), np.ones(3)), "as many columns"),
        ((np.ones((3, 4)), np.ones((4, 6)), np.ones(2)), "y must have length"),
        ((np.ones(4), np.ones((4, 6)), np.ones(1)), "A must be 2-dimensional"),
        ((np.ones((3, 4)), np.full((4, 6), np.inf), np.ones(3)), "finite"),
        ((np.ones((3, 4)), np.ones((4, 6)), np.array(["a", "b", "c"])), "real numbers"),
    ],
)
def test_min_norm_solution_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        min_norm_solution(*args)


def test_theorem1_bound_bad_input():
    W = dd.trig_basis(6)
    s = np.ones(6)
    x = np.ones(6)
    with pytest.raises(ValueError, match="non-negative"):
        theorem1_bound(-s, W, x, 3)
    with pytest.raises(ValueError, match="n x n"):
        theorem1_bound(s, W[:, :5], x, 3)
    with pytest.raises(ValueError, match="orthonormal"):
        theorem1_bound(s, W + 0.1, x, 3)
    with pytest.raises(ValueError, match="x must have length"):
        theorem1_bound(s, W, np.ones(5), 3)
    with pytest.raises(ValueError, match="m must satisfy"):
        theorem1_bound(s, W, x, 7)
    with pytest.raises(ValueError, match="m must be an integer"):
        theorem1_bound(s, W, x, 0)
    with pytest.raises(ValueError, match="m must be an integer"):
        theorem1_bound(s, W, x, 3.0)
    with pytest.raises(ValueError, match="finite"):
        theorem1_bound(np.r_[s[:5], np.nan], W, x, 3)


def test_geometric_example_bound_bad_input():
    with pytest.raises(ValueError, match="gamma must lie in"):
        geometric_example_bound(1.0, 12)
    with pytest.raises(ValueError, match="gamma"):
        geometric_example_bound(-0.5, 12)
    with pytest.raises(ValueError, match="m must be"):
        geometric_example_bound(0.5, 0)
    with pytest.raises(ValueError, match="signal_norm"):
        geometric_example_bound(0.5, 12, 0.0)
