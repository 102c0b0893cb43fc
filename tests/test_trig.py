"""Tests of dd_lib.trig and dd_lib.kernels: Definition 1, circulant matrices,
kernels."""

import numpy as np
import pytest

import dd_lib as dd


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
    np.testing.assert_array_equal(
        dd.trig_frequencies(n), [0, 1, 2, 3, 4, 5, 6, 5, 4, 3, 2, 1]
    )
    np.testing.assert_array_equal(dd.frequency_order(6), [0, 1, 5, 2, 4, 3])


@pytest.mark.parametrize("n", [16, 17])
def test_trig_basis_diagonalises_random_symmetric_circulants(n):
    rng = np.random.default_rng(1234)
    half = rng.standard_normal(n // 2 + 1)
    u = np.array([half[min(i, n - i)] for i in range(n)])  # u[i] = u[n-i]
    W = dd.trig_basis(n)
    D = W.T @ dd.circulant(u, n) @ W
    np.testing.assert_allclose(D, np.diag(np.diag(D)), atol=1e-12)
    np.testing.assert_allclose(np.diag(D), np.fft.fft(u).real, atol=1e-12)


def test_circulant_is_circular_convolution():
    rng = np.random.default_rng(1234)
    n = 10
    u = rng.standard_normal(4)
    c = rng.standard_normal(n)
    U = dd.circulant(u, n)
    upad = np.r_[u, np.zeros(n - 4)]
    expected = np.array(
        [sum(upad[(i - j) % n] * c[j] for j in range(n)) for i in range(n)]
    )
    np.testing.assert_allclose(U @ c, expected, atol=1e-12)
    np.testing.assert_allclose(U[:, 0], upad)


@pytest.mark.parametrize("n", [9, 32])
def test_circulant_singular_values_are_abs_dft(n):
    rng = np.random.default_rng(1234)
    u = rng.standard_normal(5)  # asymmetric
    s = np.linalg.svd(dd.circulant(u, n), compute_uv=False)
    np.testing.assert_allclose(
        np.sort(s), np.sort(np.abs(np.fft.fft(u, n))), atol=1e-12
    )


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
    (lambda: dd.triangular_kernel(0, 8), "half_width"),
    (lambda: dd.triangular_kernel(5, 8), "at most n/2"),
    (lambda: dd.gaussian_kernel(-1, 8), "std"),
]


@pytest.mark.parametrize(("call", "message"), BAD)
def test_bad_input_raises_clear_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
