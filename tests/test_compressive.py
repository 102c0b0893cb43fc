"""Unit tests of the classical compressed-sensing reconstructions of chapter 8
(:mod:`dd_lib.compressive`): the SigPy wrapper of the operators, minimum norm,
l1-wavelet, TV, biharmonic inpainting, weight tuning and input validation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import dd_lib as dd
from dd_lib import compressive as cs

CPU = "cpu"
N = 32  # image side of the reconstruction tests


def _piecewise_constant(n: int = N) -> np.ndarray:
    """Two overlapping rectangles on a grey background."""
    x = np.full((n, n), 0.2)
    x[4:20, 6:26] = 0.8
    x[12:28, 16:24] = 0.5
    return x


def _smooth(n: int = N) -> np.ndarray:
    """A smooth image with values in [0.15, 0.85]."""
    u = np.linspace(-1.0, 1.0, n)
    X, Y = np.meshgrid(u, u)
    return 0.5 + 0.35 * np.cos(1.5 * X) * np.sin(2.0 * Y + 0.3)


def _gaussian(m: int, side: int, seed: int = 0) -> dd.GaussianMeasurement:
    return dd.GaussianMeasurement(m, (1, side, side), seed=seed, device=CPU)


# ------------------------------------------------------------ the SigPy wrapper
@pytest.mark.parametrize("kind", ["gaussian", "signs-fourier", "mask"])
def test_sigpy_linop_adjoint_identity_and_forward(kind: str) -> None:
    rng = np.random.default_rng(3)
    shape = (6, 5)
    op: Any
    if kind == "gaussian":  # the dense NumPy path
        op = dd.GaussianMeasurement(11, (1, *shape), seed=1, device=CPU)
    elif kind == "signs-fourier":  # the torch path (forward and adjoint)
        op = dd.RandomSignsFourier(11, (1, *shape), seed=1, device=CPU)
    else:
        op = dd.PixelMask(shape, keep=0.4, seed=1, device=CPU)
    L = cs.as_sigpy_linop(op, dtype=np.float64)
    assert tuple(L.ishape) == shape
    x = rng.standard_normal(shape)
    z = rng.standard_normal(L.oshape)
    assert np.vdot(L(x), z) == pytest.approx(np.vdot(x, L.H(z)), rel=1e-10)
    # the wrapper computes what the torch operator computes (float32 there)
    assert np.allclose(L(x), cs.cs_measure(op, x).reshape(L.oshape), atol=1e-5)


def test_sigpy_linop_rejects_colour_and_foreign_operators() -> None:
    colour = dd.GaussianMeasurement(10, (3, 4, 4), seed=0, device=CPU)
    with pytest.raises(ValueError, match="grey images"):
        cs.as_sigpy_linop(colour)
    with pytest.raises(ValueError, match="operator must be"):
        cs.as_sigpy_linop(np.eye(4))


# ------------------------------------------------------------------ min-norm
def test_min_norm_equals_numpy_pinv() -> None:
    rng = np.random.default_rng(0)
    A = _gaussian(20, 8)
    y = rng.standard_normal(20)
    expected = np.linalg.pinv(A.matrix().double().numpy()) @ y
    got = cs.cs_reconstruct("min-norm", A, y, clip=False)
    assert got.shape == (8, 8)
    assert np.allclose(got.reshape(-1), expected, rtol=1e-4, atol=1e-5)
    # a torch tensor is accepted as the measurements
    got_t = cs.cs_reconstruct("min-norm", A, torch.as_tensor(y), clip=False)
    assert np.allclose(got_t, got)


def test_zero_filled_is_the_masked_image() -> None:
    rng = np.random.default_rng(1)
    M = dd.PixelMask((8, 8), keep=0.5, seed=2, device=CPU)
    y = rng.uniform(size=(8, 8))  # values at unobserved pixels are ignored
    expected = y * M.mask.numpy()
    assert np.array_equal(cs.cs_reconstruct("zero-filled", M, y), expected)
    assert np.array_equal(cs.cs_reconstruct("min-norm", M, y), expected)


# ---------------------------------------------------- the sparsity-based methods
# Measured (32 x 32, m = n/2 Gaussian measurements, seeds 0-2, default weights and
# iterations): piecewise constant: min-norm 10.8-10.9 dB, l1-wavelet 62.8-63.2 dB,
# TV 76.8-78.4 dB; smooth: min-norm 8.7-9.0 dB, l1-wavelet 33.2-33.5 dB, TV
# 41.5-41.7 dB.  The asserted gains are about half of the measured ones.
@pytest.mark.parametrize(
    ("image", "method", "gain"),
    [
        ("piecewise constant", "TV", 30.0),
        ("piecewise constant", "l1-wavelet", 25.0),
        ("smooth", "TV", 15.0),
        ("smooth", "l1-wavelet", 12.0),
    ],
)
def test_sparse_methods_beat_min_norm(image: str, method: str, gain: float) -> None:
    x = _piecewise_constant() if image == "piecewise constant" else _smooth()
    A = _gaussian(N * N // 2, N)
    y = cs.cs_measure(A, x)
    p_min_norm = dd.psnr(x, cs.cs_reconstruct("min-norm", A, y))
    p_method = dd.psnr(x, cs.cs_reconstruct(method, A, y))
    assert p_method > p_min_norm + gain


def test_biharmonic_beats_zero_filling() -> None:
    # measured (32 x 32 smooth image, 30% of the pixels, seeds 0-2): zero-filled
    # 6.6 dB, biharmonic 49.1-50.6 dB
    x = _smooth()
    M = dd.PixelMask((N, N), keep=0.3, seed=0, device=CPU)
    y = cs.cs_measure(M, x)
    p_zero = dd.psnr(x, cs.cs_reconstruct("zero-filled", M, y))
    p_bih = dd.psnr(x, cs.cs_reconstruct("biharmonic", M, y))
    assert p_bih > p_zero + 20.0


def test_defaults_deterministic_and_clipped() -> None:
    x = _smooth(16)
    A = _gaussian(128, 16)
    y = cs.cs_measure(A, x)
    for method in ("l1-wavelet", "TV"):
        a = cs.cs_reconstruct(method, A, y, max_iter=30)
        b = cs.cs_reconstruct(method, A, y, lamda=cs.CS_WEIGHTS[method], max_iter=30)
        assert np.array_equal(a, b)  # the default weight, and a fixed power start
        assert a.shape == (16, 16)
        assert a.dtype == np.float64
        assert a.min() >= 0.0
        assert a.max() <= 1.0
    M = dd.PixelMask((16, 16), keep=0.5, seed=0, device=CPU)
    ym = cs.cs_measure(M, x)
    a = cs.cs_reconstruct("TV", M, ym, max_iter=30)
    b = cs.cs_reconstruct("TV", M, ym, lamda=cs.MASK_WEIGHTS["TV"], max_iter=30)
    assert np.array_equal(a, b)


def test_method_tables() -> None:
    assert cs.CS_METHODS == ("min-norm", "l1-wavelet", "TV")
    assert set(cs.MASK_METHODS) == {"zero-filled", "biharmonic", "l1-wavelet", "TV"}
    for table in (cs.CS_WEIGHTS, cs.MASK_WEIGHTS, cs.CS_ITERATIONS):
        assert set(table) == {"l1-wavelet", "TV"}
        assert all(v > 0 for v in table.values())
    for method, grid in cs.CS_WEIGHT_GRIDS.items():
        assert cs.CS_WEIGHTS[method] in grid
        assert cs.MASK_WEIGHTS[method] in grid


# ------------------------------------------------------------------ tuning
def test_tune_cs_weight_returns_a_grid_value_and_one_psnr_each() -> None:
    x = _smooth(16)
    A = _gaussian(128, 16)
    grid = [1e-3, 1e-2, 1e-1]
    lam, psnrs = cs.tune_cs_weight("TV", x, A, grid=grid, max_iter=40)
    assert lam in grid
    assert psnrs.shape == (3,)
    assert np.all(np.isfinite(psnrs))
    assert lam == grid[int(np.argmax(psnrs))]
    # given measurements (here: with noise) are used instead of the noiseless ones
    noisy = cs.cs_measure(A, x) + 0.05 * np.random.default_rng(0).standard_normal(128)
    _, p_noisy = cs.tune_cs_weight("TV", x, A, grid=grid, y=noisy, max_iter=40)
    assert not np.allclose(p_noisy, psnrs)


# ------------------------------------------------------------------ validation
def _cases() -> dict[str, tuple[Any, ...]]:
    A = _gaussian(20, 8)
    M = dd.PixelMask((8, 8), keep=0.5, seed=0, device=CPU)
    y, ym = np.zeros(20), np.zeros((8, 8))
    return {
        "unknown method": (("ISTA", A, y), {}, "unknown method"),
        "biharmonic needs a mask": (("biharmonic", A, y), {}, "needs a dd.PixelMask"),
        "zero-filled needs a mask": (("zero-filled", A, y), {}, "needs a dd.PixelMask"),
        "not an operator": (("TV", np.eye(64), y), {}, "operator must be"),
        "y too short": (("TV", A, np.zeros(19)), {}, "20 measurements"),
        "y of the wrong mask size": (("TV", M, np.zeros((8, 7))), {}, "64 measure"),
        "y not finite": (("TV", A, np.full(20, np.nan)), {}, "finite"),
        "lamda zero": (("TV", A, y), {"lamda": 0.0}, "lamda"),
        "lamda negative": (("l1-wavelet", M, ym), {"lamda": -1e-3}, "lamda"),
        "lamda for min-norm": (("min-norm", A, y), {"lamda": 1e-3}, "has none"),
        "max_iter zero": (("TV", A, y), {"max_iter": 0}, "max_iter"),
        "max_iter not an int": (("TV", A, y), {"max_iter": 2.5}, "max_iter"),
    }


@pytest.mark.parametrize("case", list(_cases()))
def test_cs_reconstruct_rejects(case: str) -> None:
    args, kwargs, match = _cases()[case]
    with pytest.raises(ValueError, match=match):
        cs.cs_reconstruct(*args, **kwargs)


def test_tune_and_measure_reject() -> None:
    x = _smooth(8)
    A = _gaussian(20, 8)
    with pytest.raises(ValueError, match="only l1-wavelet and TV"):
        cs.tune_cs_weight("min-norm", x, A)
    with pytest.raises(ValueError, match="at least one"):
        cs.tune_cs_weight("TV", x, A, grid=[])
    with pytest.raises(ValueError, match="grid"):
        cs.tune_cs_weight("TV", x, A, grid=[1e-3, -1.0])
    with pytest.raises(ValueError, match="operator's shape"):
        cs.cs_measure(A, np.zeros((8, 9)))


# ---- cs_comparison: networks and classical methods on the same measurements

_CFG = dict(
    size=16,
    depth=2,
    k=16,
    steps=60,
    lr=0.01,
    record_every=5,
    dip_channels=[4, 4],
    dip_skip=2,
    dip_input=4,
    steps_dip=20,
)


def test_cs_comparison_table_and_consistency():
    cases = [("moon", "gaussian", 0.5), ("moon", "mask", 0.5)]
    out = dd.cs_comparison(cases, _CFG, networks=("DD", "DIP"), workers=1)
    assert out["labels"] == ["moon, gaussian 0.5", "moon, mask 0.5"]
    for row in ("DD", "DD (oracle)", "DIP", "DIP (oracle)", "TV"):
        assert np.all(np.isfinite(out["psnr"][row])), row
    # by default each operator's own methods: biharmonic and zero-filling for the
    # mask only, min-norm for the Gaussian operator only (on a mask it is zero-filling)
    for row, applies in (("biharmonic", 1), ("zero-filled", 1), ("min-norm", 0)):
        assert np.isfinite(out["psnr"][row][applies]), row
        assert np.isnan(out["psnr"][row][1 - applies]), row
    # the oracle is at least as close to the image as the delivered iterate (the fit
    # scores its iterates in float32, the table in float64: 1e-7 dB apart when equal)
    assert np.all(out["psnr"]["DD (oracle)"] >= out["psnr"]["DD"] - 1e-4)
    # the table's numbers are the estimates' numbers
    label = out["labels"][0]
    x = out["clean"][label]
    for method, est in out["estimates"][label].items():
        assert out["psnr"][method][0] == pytest.approx(dd.psnr(x, est)), method
    # the measurements are the operator's, noiseless
    A = out["operators"][label]
    assert np.allclose(out["measurements"][label], dd.cs_measure(A, x))
    assert A.m == 128
    fit = out["fits"][label, "DD"]
    assert fit.iterations[-1] == _CFG["steps"]


def test_cs_comparison_noise_and_seeds():
    case = [("moon", "fourier", 0.25)]
    clean = dd.cs_comparison(case, _CFG, methods=(), workers=1, seed=3)
    noisy = dd.cs_comparison(case, _CFG, methods=(), workers=1, seed=3, noise=0.1)
    label = clean["labels"][0]
    assert noisy["labels"] == [label + ", noise 0.1"]
    y0, y1 = clean["measurements"][label], noisy["measurements"][noisy["labels"][0]]
    rel = np.linalg.norm(y1 - y0) / np.linalg.norm(y0)
    # noise 0.1 relative to the rms measurement: about 0.1 of ||y|| (64 entries)
    assert 0.05 < rel < 0.15
    assert set(clean["psnr"]) == {"DD", "DD (oracle)"}


def test_cs_comparison_noise_per_case():
    # a case's own level overrides the global one (0 here); the same case with two
    # levels is two cases that share the operator, so y1 - y0 is the noise alone
    cases = [("moon", "fourier", 0.25), ("moon", "fourier", 0.25, 0.1)]
    out = dd.cs_comparison(cases, _CFG, workers=1, seed=3)
    assert out["labels"] == ["moon, fourier 0.25", "moon, fourier 0.25, noise 0.1"]
    ops = [out["operators"][label] for label in out["labels"]]
    assert torch.equal(ops[0].rows, ops[1].rows)
    assert torch.equal(ops[0].signs, ops[1].signs)
    y0, y1 = (out["measurements"][label] for label in out["labels"])
    rel = np.linalg.norm(y1 - y0) / np.linalg.norm(y0)
    assert 0.05 < rel < 0.15
    # by default the noisy case runs no classical method (weights tuned noiseless)
    assert np.isnan(out["psnr"]["TV"][1])
    assert not np.isnan(out["psnr"]["TV"][0])
    # another image with the same kind and fraction is another case: its own draw
    other = dd.cs_comparison(
        [("moon", "fourier", 0.25), ("camera", "fourier", 0.25)],
        _CFG,
        methods=(),
        workers=1,
        seed=3,
        device="cpu",
    )
    a, b = (other["operators"][label] for label in other["labels"])
    assert torch.equal(a.rows, ops[0].rows)
    assert not torch.equal(a.rows, b.rows)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(cases=[]), "at least one"),
        (dict(cases=[("moon", "gaussian", 0.5, -0.1)]), "noise"),
        (dict(cases=[("moon", "gaussian", 0.5, 0.0, 1)]), "kind in"),
        (dict(cases=[("moon", "radon", 0.5)]), "kind in"),
        (dict(cases=[("moon", "gaussian", 1.5)]), r"\(0, 1\]"),
        (dict(cases=[("moon", "gaussian", 0.001)]), "1 <= m <= n"),
        (dict(cases=[("moon", "mask", 0.5)] * 2), "twice"),
        (dict(networks=("GAN",)), "networks"),
        (dict(methods=("BM3D",)), "methods"),
        (dict(noise=-1.0), "noise"),
        (dict(config=dict(size=16)), "config lacks"),
        (dict(config=dict(size=16, lr=0.01, record_every=5), networks=("DIP",)), "dip"),
    ],
)
def test_cs_comparison_bad_input(kwargs, match):
    args = dict(cases=[("moon", "gaussian", 0.5)], config=_CFG, workers=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        dd.cs_comparison(**args)


def test_cs_comparison_dip_alone_needs_no_decoder_sizes():
    cfg = {k: v for k, v in _CFG.items() if k not in ("depth", "k", "steps")}
    out = dd.cs_comparison(
        [("moon", "mask", 0.5)], cfg, networks=("DIP",), methods=(), workers=1
    )
    assert set(out["psnr"]) == {"DIP", "DIP (oracle)"}
    assert out["fits"]["moon, mask 0.5", "DIP"].iterations[-1] == _CFG["steps_dip"]
