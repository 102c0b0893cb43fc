"""Unit tests of dd_lib.jacobian (chapter 7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dd_lib as dd


def _tiny(seed: int = 0) -> dd.ConvGenerator:
    return dd.ConvGenerator(
        16, channels=4, depth=2, ndim=1, fixed_output=True, seed=seed, device="cpu"
    )


def test_jacobian_matches_loop_and_finite_differences() -> None:
    net = _tiny().double()
    names = net.mixing_weight_names()
    J = dd.jacobian(net, names)
    J_loop = dd.jacobian(net, names, method="loop")
    assert J.shape == (16, 2 * 4 * 4)
    assert torch.allclose(J, J_loop, atol=1e-10)
    # central finite differences, one weight at a time
    params = dict(net.named_parameters())
    eps = 1e-6
    col = 0
    for name in names:
        p = params[name]
        for idx in range(p.numel()):
            with torch.no_grad():
                flat = p.view(-1)
                old = flat[idx].item()
                flat[idx] = old + eps
                plus = net().reshape(-1).clone()
                flat[idx] = old - eps
                minus = net().reshape(-1).clone()
                flat[idx] = old
            fd = (plus - minus) / (2 * eps)
            assert torch.allclose(J[:, col], fd, atol=1e-6, rtol=1e-5), (name, idx)
            col += 1


def test_jacobian_all_parameters_and_chunks() -> None:
    net = _tiny()
    J_all = dd.jacobian(net)
    assert J_all.shape[1] == net.num_parameters()
    assert torch.allclose(dd.jacobian(net, chunk_size=3), J_all, atol=1e-6)


def test_jacobian_bad_input() -> None:
    net = _tiny()
    with pytest.raises(ValueError, match="method"):
        dd.jacobian(net, method="fast")
    with pytest.raises(ValueError, match="unknown parameter"):
        dd.jacobian(net, ["nope"])
    with pytest.raises(ValueError, match="sequence"):
        dd.jacobian(net, "net.1.weight")
    with pytest.raises(ValueError, match="chunk_size"):
        dd.jacobian(net, chunk_size=0)


def test_spectrum_matches_numpy_svd() -> None:
    rng = np.random.default_rng(0)
    J = rng.standard_normal((20, 50))
    sigma, W = dd.jacobian_spectrum(J, 5)
    U, s, _ = np.linalg.svd(J, full_matrices=False)
    assert np.allclose(sigma, s)
    assert np.allclose(np.abs(W.T @ U[:, :5]), np.eye(5), atol=1e-8)
    sigma_t, _ = dd.jacobian_spectrum(J.T, 0)  # tall: SVD path
    assert np.allclose(sigma_t, s)
    with pytest.raises(ValueError, match="n_vectors"):
        dd.jacobian_spectrum(J, 21)
    with pytest.raises(ValueError, match="J must be 2-dimensional"):
        dd.jacobian_spectrum(np.ones(3))


def test_alignment_and_energy() -> None:
    n = 64
    W = dd.trig_basis(n)
    a, f = dd.trig_alignment(W)
    assert np.allclose(a, 1.0)
    assert np.array_equal(f, dd.trig_frequencies(n))
    rng = np.random.default_rng(1)
    v = rng.standard_normal((n, 200))
    E = dd.frequency_energy(v)
    assert E.shape == (n // 2 + 1, 200)
    assert np.allclose(E.sum(0), 1.0)
    a_rand, _ = dd.trig_alignment(v)
    assert a_rand.mean() < 0.25  # a random vector spreads over ~n/2 frequencies
    with pytest.raises(ValueError, match="non-zero"):
        dd.trig_alignment(np.zeros((4, 2)))


def test_dct_basis_energy_and_calibration() -> None:
    n = 64
    j = np.arange(n)
    cosines = np.stack([np.cos(np.pi * f * (j + 0.5) / n) for f in range(n)], axis=1)
    a, f = dd.trig_alignment(cosines, basis="dct")
    assert np.allclose(a, 1.0)
    assert np.array_equal(f, np.arange(n))
    E = dd.frequency_energy(cosines[:, [1, 3]] + 0.0, basis="dct")
    assert E.shape == (n, 2)
    assert np.allclose(E.sum(0), 1.0)
    # a non-periodic cosine is not one frequency of the circular basis (the issue's
    # calibration numbers)
    a_dft, _ = dd.trig_alignment(cosines[:, [1, 3, 5, 7]])
    assert np.all(a_dft < 0.75)
    assert np.all(a_dft > 0.4)
    # agrees with scipy's orthonormal DCT-II
    import scipy.fft

    v = np.random.default_rng(3).standard_normal(n)
    assert np.allclose(
        dd.frequency_energy(v, basis="dct")[:, 0],
        scipy.fft.dct(v / np.linalg.norm(v), norm="ortho") ** 2,
    )
    # energy in the lowest functions = overlap of spans (the chapter's subspace measure)
    Q, _ = np.linalg.qr(np.random.default_rng(4).standard_normal((n, 4)))
    B = cosines[:, :4] / np.linalg.norm(cosines[:, :4], axis=0)
    assert dd.frequency_energy(Q, basis="dct")[:4].sum(0).mean() == pytest.approx(
        dd.subspace_overlap(Q, B)
    )
    with pytest.raises(ValueError, match="basis"):
        dd.frequency_energy(v, basis="wavelet")
    with pytest.raises(ValueError, match="basis"):
        dd.trig_alignment(v, basis="DFT")


def test_subspace_overlap() -> None:
    rng = np.random.default_rng(2)
    Q, _ = np.linalg.qr(rng.standard_normal((10, 3)))
    R, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    assert dd.subspace_overlap(Q, Q @ R) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="same shape"):
        dd.subspace_overlap(Q, Q[:, :2])


def test_jacobian_transpose_norms_equal_explicit_jacobian() -> None:
    rng = np.random.default_rng(3)
    ys = rng.standard_normal((2, 16))
    norms = dd.jacobian_transpose_norms(_tiny, ys, seeds=[0, 1])
    for row, seed in enumerate([0, 1]):
        J = dd.jacobian(_tiny(seed)).double().numpy()
        assert np.allclose(norms[row], np.linalg.norm(J.T @ ys.T, axis=0), rtol=1e-4)
    batched = dd.jacobian_transpose_norms(_tiny, ys, seeds=[0, 1], batch=2)
    assert np.allclose(batched, norms, rtol=1e-4)
    with pytest.raises(ValueError, match="entries"):
        dd.jacobian_transpose_norms(_tiny, np.ones((1, 8)), seeds=[0])
    with pytest.raises(ValueError, match="seeds"):
        dd.jacobian_transpose_norms(_tiny, ys, seeds=[])
