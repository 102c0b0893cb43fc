"""Unit tests of the compressive-sensing operators of chapter 8:
:class:`dd_lib.GaussianMeasurement` and :class:`dd_lib.RandomSignsFourier`."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from torch import nn

import dd_lib as dd
from dd_lib.operators import GaussianMeasurement, RandomSignsFourier

CPU = "cpu"
OPERATORS: dict[str, Callable[..., nn.Module]] = {
    "gaussian": GaussianMeasurement,
    "signs-fourier": RandomSignsFourier,
}
# (m, shape): odd and even n, one and three channels, 1-D and 2-D
CASES = [(7, (1, 6, 5)), (16, (1, 8, 8)), (9, (1, 7, 5)), (5, (3, 3, 1)), (4, (1, 9))]


def _op(kind: str, m: int, shape: tuple[int, ...], seed: int = 0) -> nn.Module:
    """A float64 operator, for identities checked to rounding error."""
    return OPERATORS[kind](m, shape, seed=seed, device=CPU).double()


def _tensor(rng: np.random.Generator, *shape: int) -> torch.Tensor:
    return torch.as_tensor(rng.standard_normal(shape))


# --------------------------------------------------------- both operators: algebra
@pytest.mark.parametrize("kind", OPERATORS)
@pytest.mark.parametrize(("m", "shape"), CASES)
def test_adjoint_identity(kind: str, m: int, shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    A = _op(kind, m, shape)
    x, z = _tensor(rng, 1, *shape), _tensor(rng, m)
    lhs = float(torch.dot(A(x), z))
    rhs = float(torch.sum(x * A.adjoint(z)))
    assert lhs == pytest.approx(rhs, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("kind", OPERATORS)
@pytest.mark.parametrize(("m", "shape"), CASES)
def test_matrix_agrees_with_forward_and_adjoint(
    kind: str, m: int, shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(2)
    A = _op(kind, m, shape)
    M = A.matrix()
    n = int(np.prod(shape))
    assert tuple(M.shape) == (m, n)
    x, z = _tensor(rng, 1, *shape), _tensor(rng, m)
    torch.testing.assert_close(M @ x.reshape(-1), A(x), rtol=0, atol=1e-12)
    torch.testing.assert_close(
        (M.T @ z).reshape(1, *shape), A.adjoint(z), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("kind", OPERATORS)
@pytest.mark.parametrize(("m", "shape"), CASES)
def test_pinv_is_the_minimum_norm_solution(
    kind: str, m: int, shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(3)
    A = OPERATORS[kind](m, shape, seed=0, device=CPU)  # float32, as in the chapter
    y = torch.as_tensor(rng.standard_normal(m), dtype=torch.float32)
    x = A.pinv(y)
    assert x.shape == (1, *shape)
    assert x.dtype == torch.float32
    M = A.matrix().double().numpy()
    expected = np.linalg.pinv(M) @ y.double().numpy()
    scale = np.linalg.norm(expected)
    np.testing.assert_allclose(
        x.double().numpy().reshape(-1), expected, atol=1e-5 * scale
    )
    torch.testing.assert_close(A(x), y, rtol=0, atol=1e-5 * float(y.abs().max()))
    # in float64 to rounding error
    A64 = _op(kind, m, shape)
    expected64 = np.linalg.pinv(A64.matrix().numpy()) @ y.double().numpy()
    x64 = A64.pinv(y.double()).numpy().reshape(-1)
    np.testing.assert_allclose(x64, expected64, atol=1e-11 * scale)


# ------------------------------------------------- RandomSignsFourier: its structure
@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 10, 16])
def test_real_fourier_transform_is_the_trig_basis(n: int) -> None:
    """With m = n every coefficient is kept, in order: A = T diag(d)."""
    A = _op("signs-fourier", n, (n,))
    assert A.rows.tolist() == list(range(n))
    T = A.matrix() * A.signs  # undo the signs of the columns
    np.testing.assert_allclose((T.T @ T).numpy(), np.eye(n), rtol=0, atol=1e-10)
    np.testing.assert_allclose((T @ T.T).numpy(), np.eye(n), rtol=0, atol=1e-10)
    np.testing.assert_allclose(T.numpy(), dd.trig_basis(n).T, rtol=0, atol=1e-10)


@pytest.mark.parametrize(("m", "shape"), [*CASES, (1, (1, 5)), (64, (1, 8, 8))])
def test_rows_are_orthogonal(m: int, shape: tuple[int, ...]) -> None:
    A = _op("signs-fourier", m, shape)
    n = int(np.prod(shape))
    M = A.matrix()
    np.testing.assert_allclose(
        (M @ M.T).numpy(), n / m * np.eye(m), rtol=0, atol=1e-10 * n / m
    )
    y = _tensor(np.random.default_rng(4), m)
    torch.testing.assert_close(A.pinv(y), m / n * A.adjoint(y), rtol=0, atol=1e-14)
    assert A.signs.abs().eq(1).all()
    assert torch.unique(A.rows).numel() == m


def test_large_image_forward_and_adjoint_without_the_matrix() -> None:
    """256 x 256 with m = n/4: the dense matrix (4 GiB) is refused, the products
    run and keep A A^T = (n/m) I."""
    n = 256 * 256
    A = RandomSignsFourier(n // 4, (1, 256, 256), seed=0, device=CPU)
    with pytest.raises(ValueError, match="forward and adjoint"):
        A.matrix()
    z = torch.as_tensor(np.random.default_rng(5).standard_normal(n // 4))
    torch.testing.assert_close(A.double()(A.adjoint(z)), 4 * z, rtol=0, atol=1e-10)


# -------------------------------------------- both operators: the same moments
SEEDS = 400  # operators averaged over in the moment tests


def _standard_errors(samples: np.ndarray) -> np.ndarray:
    return samples.std(axis=0, ddof=1) / np.sqrt(samples.shape[0])


@pytest.mark.parametrize("kind", OPERATORS)
def test_norm_is_preserved_in_expectation(kind: str) -> None:
    """E ||A x||^2 = ||x||^2: the average over SEEDS operators is within four
    standard errors (of that sample) of ||x||^2."""
    m, shape = 5, (1, 3, 4)
    x = _tensor(np.random.default_rng(6), 1, *shape)
    energy = np.array(
        [float(torch.sum(_op(kind, m, shape, seed=s)(x) ** 2)) for s in range(SEEDS)]
    )
    target = float(torch.sum(x**2))
    assert abs(energy.mean() - target) <= 4 * _standard_errors(energy)


@pytest.mark.parametrize("kind", OPERATORS)
def test_expected_gram_is_identity(kind: str) -> None:
    """E[A^T A] = I: every entry of the average of A^T A over SEEDS operators is
    within five standard errors (of that sample) of the identity's (n^2 entries
    are tested at once)."""
    m, shape = 5, (1, 3, 4)
    n = int(np.prod(shape))
    grams = []
    for s in range(SEEDS):
        M = _op(kind, m, shape, seed=s).matrix()
        grams.append((M.T @ M).numpy())
    G = np.stack(grams)
    err = np.abs(G.mean(axis=0) - np.eye(n))
    assert np.all(err <= 5 * _standard_errors(G) + 1e-12)
    diag = np.diagonal(G, axis1=1, axis2=2).mean(axis=1)
    off = G[:, ~np.eye(n, dtype=bool)].mean(axis=1)
    assert abs(diag.mean() - 1) <= 5 * _standard_errors(diag) + 1e-12
    assert abs(off.mean()) <= 5 * _standard_errors(off) + 1e-12


# ------------------------------------------------------- both operators: seeds
@pytest.mark.parametrize("kind", OPERATORS)
def test_same_seed_same_operator(kind: str) -> None:
    a = OPERATORS[kind](7, (1, 6, 5), seed=3, device=CPU).matrix()
    b = OPERATORS[kind](7, (1, 6, 5), seed=3, device=CPU).matrix()
    c = OPERATORS[kind](7, (1, 6, 5), seed=4, device=CPU).matrix()
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


def test_gaussian_matrix_is_unchanged() -> None:
    """Chapter 8's numbers depend on the matrix: its definition, entry for entry."""
    m, shape = 10, (1, 4, 4)
    gen = torch.Generator().manual_seed(0)
    expected = torch.randn((m, 16), generator=gen) / np.sqrt(m)
    A = GaussianMeasurement(m, shape, seed=0, device=CPU)
    assert torch.equal(A.matrix(), expected)
    assert A.matrix().dtype == torch.float32
    x = torch.rand(1, *shape, generator=gen)
    assert torch.equal(A(x), expected @ x.reshape(-1))


# ------------------------------------------------- both operators: with autograd
@pytest.mark.parametrize("kind", OPERATORS)
def test_gradients_flow(kind: str) -> None:
    m, shape = 16, (1, 8, 8)
    rng = np.random.default_rng(7)
    A = OPERATORS[kind](m, shape, seed=0, device=CPU)
    y = torch.as_tensor(rng.standard_normal(m), dtype=torch.float32)
    x = torch.as_tensor(rng.random((1, *shape)), dtype=torch.float32)
    x.requires_grad_(True)
    loss = torch.sum((A(x) - y) ** 2)
    loss.backward()
    assert x.grad is not None
    assert torch.isfinite(x.grad).all()
    assert float(x.grad.abs().max()) > 0
    # autograd's gradient is 2 A^T (A x - y)
    with torch.no_grad():
        expected = 2 * A.adjoint(A(x) - y)
    torch.testing.assert_close(x.grad, expected, rtol=1e-5, atol=1e-5)
    # and through the adjoint
    z = y.clone().requires_grad_(True)
    torch.sum(A.adjoint(z) ** 2).backward()
    assert z.grad is not None
    assert torch.isfinite(z.grad).all()
    assert float(z.grad.abs().max()) > 0


@pytest.mark.parametrize("kind", OPERATORS)
def test_fit_a_deep_decoder_through_the_operator(kind: str) -> None:
    """The decoder's output (1, 1, 16, 16), channels-last inside dd.fit, measured
    with shape (1, 16, 16): the fit runs and the loss falls."""
    x = dd.test_image("camera", 16)
    A = OPERATORS[kind](64, (1, 16, 16), seed=0, device=CPU)
    net = dd.DeepDecoder(16, channels=8, depth=2, seed=0, device=CPU)
    assert A(net()).shape == (64,)
    res = dd.fit(net, A(dd.to_tensor(x)), A, steps=40, reference=x, progress=False)
    assert res.loss[-1] < 0.5 * res.loss[0]


# ------------------------------------------------------------------- invalid input
@pytest.mark.parametrize("kind", OPERATORS)
@pytest.mark.parametrize(
    ("m", "shape", "match"),
    [
        (0, (1, 4, 4), r"1 <= m <= n.*n = 16.*m = 0"),
        (17, (1, 4, 4), r"1 <= m <= n.*n = 16.*m = 17"),
        (2.0, (1, 4, 4), r"m \(the number of measurements\) must be an integer"),
        (True, (1, 4, 4), r"must be an integer"),
        (4, (1, 4.0, 4), r"shape must be a non-empty tuple of positive ints"),
        (4, (1, 0, 4), r"shape must be a non-empty tuple of positive ints"),
        (4, 16, r"shape must be a non-empty tuple of positive ints"),
        (4, (), r"shape must be a non-empty tuple of positive ints"),
    ],
)
def test_invalid_construction(kind: str, m: object, shape: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        OPERATORS[kind](m, shape, seed=0, device=CPU)


@pytest.mark.parametrize("kind", OPERATORS)
def test_invalid_seed(kind: str) -> None:
    with pytest.raises(ValueError, match="seed"):
        OPERATORS[kind](4, (1, 4, 4), seed=-1, device=CPU)


@pytest.mark.parametrize("kind", OPERATORS)
@pytest.mark.parametrize(
    "bad_shape", [(1, 1, 4, 5), (1, 4, 4), (2, 1, 4, 4), (16,), (1, 16)]
)
def test_wrong_input_shape(kind: str, bad_shape: tuple[int, ...]) -> None:
    A = OPERATORS[kind](4, (1, 4, 4), seed=0, device=CPU)
    with pytest.raises(ValueError, match=r"must have shape \(1, \*shape\) = \(1, 1, 4"):
        A(torch.zeros(bad_shape))
    with pytest.raises(ValueError, match=r"torch.Tensor"):
        A(np.zeros((1, 1, 4, 4)))


@pytest.mark.parametrize("kind", OPERATORS)
@pytest.mark.parametrize("method", ["adjoint", "pinv"])
def test_wrong_measurement_shape(kind: str, method: str) -> None:
    A = OPERATORS[kind](4, (1, 4, 4), seed=0, device=CPU)
    for bad in (torch.zeros(5), torch.zeros(1, 4), np.zeros(4)):
        with pytest.raises(ValueError, match=r"of shape \(m,\) = \(4,\)"):
            getattr(A, method)(bad)


# ---------------------------------------------------------------------------- GPU
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("kind", OPERATORS)
def test_cpu_and_gpu_agree(kind: str) -> None:
    m, shape = 16, (1, 8, 8)
    a = OPERATORS[kind](m, shape, seed=0, device=CPU)
    b = OPERATORS[kind](m, shape, seed=0, device="cuda")
    x = torch.rand(1, *shape)
    z = torch.rand(m)
    torch.testing.assert_close(b(x.cuda()).cpu(), a(x), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(
        b.adjoint(z.cuda()).cpu(), a.adjoint(z), rtol=1e-4, atol=1e-5
    )
    torch.testing.assert_close(b.pinv(z.cuda()).cpu(), a.pinv(z), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(b.matrix().cpu(), a.matrix(), rtol=1e-4, atol=1e-6)
