"""The Jacobian of a generator with respect to its weights, and what chapter 7 measures
with it.

Taught in chapter 7.

For a generator ``G(C)`` with output in ``R^n`` and a chosen set of trainable
weights ``C`` (``N`` numbers), the Jacobian ``J(C)`` is the ``n x N`` matrix
``[J]_{ij} = d G(C)_i / d c_j``.  Gradient descent on ``1/2 ||G(C) - y||^2`` moves
the output by ``-eta J J^T (G(C) - y)`` to first order, so the left singular vectors
of ``J`` with large singular values are the directions fitted first (chapters 1-4).

* :func:`jacobian` computes ``J`` either vectorised with :mod:`torch.func`
  (``functional_call`` + ``jacrev``: one forward pass, then all ``n`` vector-Jacobian
  products at once through ``vmap``), or with the slow loop of one
  :func:`torch.autograd.grad` call per output entry (for comparison and tests).
* :func:`jacobian_spectrum` returns its singular values and leading left singular
  vectors.
* :func:`trig_alignment` says how close each singular vector is to one frequency of the
  trigonometric basis of chapter 2 (``basis="dft"``, circular) or of the cosine basis of
  the DCT-II (``basis="dct"``, the natural basis of signals with reflected borders);
  :func:`subspace_overlap` compares two sets of vectors.
* :func:`jacobian_transpose_norms` gives ``||J(C_0)^T y||`` over many random
  initialisations ``C_0`` (the denoising paper's Figure 12).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from ._checks import as_real_array, check_int
from .trig import trig_basis, trig_frequencies

__all__ = [
    "jacobian",
    "jacobian_spectrum",
    "frequency_energy",
    "trig_alignment",
    "subspace_overlap",
    "jacobian_transpose_norms",
]

Array = NDArray[np.float64]
_BASES = ("dft", "dct")


def _check_basis(basis: Any) -> str:
    if basis not in _BASES:
        raise ValueError(
            "basis must be 'dft' (circular trigonometric) or 'dct' (DCT-II cosines), "
            f"got {basis!r}"
        )
    return basis


def _dct_basis(n: int) -> Array:
    """Orthonormal DCT-II basis, column ``f`` = ``c_f cos(pi f (j + 1/2) / n)``."""
    import scipy.fft

    return scipy.fft.idct(np.eye(n), type=2, norm="ortho", axis=0)


def _select(model: nn.Module, params: Sequence[str] | None) -> list[str]:
    named = dict(model.named_parameters())
    if params is None:
        names = [n for n, p in named.items() if p.requires_grad]
    else:
        if isinstance(params, str):
            raise ValueError(
                "params must be a sequence of parameter names, not one string"
            )
        names = list(params)
        unknown = [n for n in names if n not in named]
        if unknown:
            raise ValueError(
                f"unknown parameter names {unknown}; the model has {list(named)}"
            )
    if not names:
        raise ValueError("no parameters selected: the Jacobian would have no columns")
    if len(set(names)) != len(names):
        raise ValueError("params lists a name twice")
    return names


def jacobian(
    model: nn.Module,
    params: Sequence[str] | None = None,
    *,
    method: str = "vectorized",
    chunk_size: int | None = None,
) -> torch.Tensor:
    """Jacobian of the generator output ``model()`` (flattened) with respect to chosen
    weights.

    Taught in chapter 7.

    Parameters
    ----------
    model : torch.nn.Module
        A generator whose ``forward()`` takes no argument (e.g.
        :class:`dd_lib.ConvGenerator`, :class:`dd_lib.DeepDecoder`).  Batch
        normalisation must not track running statistics (the course's generators do
        not), so that evaluating the output changes nothing.
    params : sequence of str, optional
        Names from ``model.named_parameters()`` (default: every parameter with
        ``requires_grad``).  The columns are these parameters flattened, in this order.
    method : {"vectorized", "loop"}, default "vectorized"
        ``"vectorized"``: :func:`torch.func.jacrev` of
        :func:`torch.func.functional_call` (all vector-Jacobian products of one forward
        pass in a single ``vmap``).
        ``"loop"``: one :func:`torch.autograd.grad` call per output entry.
    chunk_size : int, optional
        Rows per ``vmap`` chunk of the vectorised method (default: all at once; smaller
        chunks save memory).

    Returns
    -------
    torch.Tensor, shape (n, N)
        ``n`` output entries, ``N`` selected weights; float32 on the model's device.

    Raises
    ------
    ValueError
        For an unknown method or parameter name, an empty selection or a bad chunk size.

    Examples
    --------
    >>> net = ConvGenerator(
    ...     16, channels=4, depth=2, ndim=1, fixed_output=True, seed=0, device="cpu"
    ... )
    >>> J = jacobian(net, net.mixing_weight_names())
    >>> tuple(J.shape)
    (16, 32)
    >>> bool(
    ...     torch.allclose(
    ...         J, jacobian(net, net.mixing_weight_names(), method="loop"), atol=1e-5
    ...     )
    ... )
    True
    """
    if method not in ("vectorized", "loop"):
        raise ValueError(f"method must be 'vectorized' or 'loop', got {method!r}")
    if chunk_size is not None:
        chunk_size = check_int(chunk_size, "chunk_size", 1)
    names = _select(model, params)
    named = dict(model.named_parameters())
    chosen = {n: named[n] for n in names}
    if method == "loop":
        with torch.enable_grad():
            leaves = [chosen[n] for n in names]
            req = [p.requires_grad for p in leaves]
            for p in leaves:
                p.requires_grad_(True)
            try:
                out = model().reshape(-1)
                rows = []
                for i in range(out.numel()):
                    grads = torch.autograd.grad(
                        out[i],
                        leaves,
                        retain_graph=i < out.numel() - 1,
                        allow_unused=True,
                    )
                    rows.append(
                        torch.cat(
                            [
                                (g if g is not None else torch.zeros_like(p)).reshape(
                                    -1
                                )
                                for g, p in zip(grads, leaves, strict=True)
                            ]
                        )
                    )
            finally:
                for p, r in zip(leaves, req, strict=True):
                    p.requires_grad_(r)
        return torch.stack(rows)

    from torch.func import functional_call, jacrev

    fixed = {n: p.detach() for n, p in model.named_parameters() if n not in chosen}
    fixed.update(dict(model.named_buffers()))

    def f(sel: dict[str, torch.Tensor]) -> torch.Tensor:
        return functional_call(model, {**fixed, **sel}, ()).reshape(-1)

    primal = {n: p.detach() for n, p in chosen.items()}
    jac = jacrev(f, chunk_size=chunk_size)(primal)
    n_out = next(iter(jac.values())).shape[0]
    return torch.cat([jac[n].reshape(n_out, -1) for n in names], dim=1)


def jacobian_spectrum(J: Any, n_vectors: int = 0) -> tuple[Array, Array]:
    """Singular values of ``J`` (descending) and its ``n_vectors`` leading left singular
    vectors.

    Taught in chapter 7.  Computed in float64 from the eigendecomposition of the
    ``n x n`` Gram matrix ``J J^T`` (cheap when ``n`` is much smaller than the number of
    weights); singular values below about ``1e-8`` times the largest are at the level of
    rounding.  Each vector's sign is fixed so that its largest-magnitude entry is
    positive.

    Parameters
    ----------
    J : array_like or torch.Tensor, shape (n, N)
        A finite real matrix.
    n_vectors : int, default 0
        Number of leading left singular vectors to return (``0 <= n_vectors <= n``).

    Returns
    -------
    sigma : ndarray, shape (min(n, N),)
        Singular values, largest first.
    W : ndarray, shape (n, n_vectors)
        Orthonormal columns, ``W[:, s]`` belonging to ``sigma[s]``.

    Raises
    ------
    ValueError
        If ``J`` is not a finite 2-D real matrix or ``n_vectors`` is out of range.

    Examples
    --------
    >>> sigma, W = jacobian_spectrum(np.diag([1.0, 3.0, 2.0]), 1)
    >>> sigma.round(6).tolist(), W[:, 0].round(6).tolist()
    ([3.0, 2.0, 1.0], [0.0, 1.0, 0.0])
    """
    if isinstance(J, torch.Tensor):
        J = J.detach().cpu().double().numpy()
    J = as_real_array(J, "J", ndim=2)
    n, N = J.shape
    n_vectors = check_int(n_vectors, "n_vectors", 0)
    if n_vectors > n:
        raise ValueError(
            f"n_vectors must be at most the number of rows n = {n}, got {n_vectors}"
        )
    if n <= N:
        evals, evecs = np.linalg.eigh(J @ J.T)
        order = np.argsort(evals)[::-1]
        sigma = np.sqrt(np.clip(evals[order], 0.0, None))
        W = evecs[:, order[:n_vectors]]
    else:
        U, sigma, _ = np.linalg.svd(J, full_matrices=False)
        W = U[:, :n_vectors]
    if n_vectors:
        idx = np.argmax(np.abs(W), axis=0)
        W = W * np.sign(W[idx, np.arange(W.shape[1])])
    return sigma, W


def frequency_energy(W: Any, basis: str = "dft") -> Array:
    """Share of each column's energy at each frequency of the trigonometric or cosine
    basis.

    Taught in chapter 7.  With ``basis="dft"`` row ``f`` is ``E_f(w)``: the sum of the
    squared coefficients of the unit vector ``w`` on the functions of
    :func:`dd_lib.trig_basis` with frequency ``f`` (``f`` periods over the ``n``
    samples; cosine and sine; one function for ``f = 0`` and ``f = n/2``).  With
    ``basis="dct"`` row ``f`` is the squared coefficient on the orthonormal DCT-II
    function ``cos(pi f (j + 1/2) / n)`` (``f`` half-periods;
    ``scipy.fft.dct(..., norm="ortho")``), the basis of signals continued by reflection
    at both ends rather than periodically.
    Each column sums to 1.  ``E[:p + 1].sum(0)`` is the energy within the lowest
    ``p + 1`` frequencies.

    Parameters
    ----------
    W : array_like, shape (n,) or (n, r)
        Vectors as columns (normalised here; each must be non-zero).
    basis : {"dft", "dct"}, default "dft"

    Returns
    -------
    ndarray, shape (n // 2 + 1, r) for ``"dft"``, (n, r) for ``"dct"``

    Raises
    ------
    ValueError
        For non-finite input, a zero column, more than 2 dimensions or an unknown basis.

    Examples
    --------
    >>> n = 16
    >>> E = frequency_energy(np.cos(2 * np.pi * 2 * np.arange(n) / n) + 1.0)
    >>> E[:, 0].round(3).tolist()[:4]
    [0.667, 0.0, 0.333, 0.0]
    >>> E = frequency_energy(np.cos(np.pi * 3 * (np.arange(n) + 0.5) / n), basis="dct")
    >>> E.shape, E[:5, 0].round(6).tolist()
    ((16, 1), [0.0, 0.0, 0.0, 1.0, 0.0])
    """
    basis = _check_basis(basis)
    W = as_real_array(W, "W")
    if W.ndim == 1:
        W = W[:, None]
    if W.ndim != 2:
        raise ValueError(
            f"W must be a vector (n,) or a matrix (n, r), got shape {W.shape}"
        )
    norms = np.linalg.norm(W, axis=0)
    if np.any(norms == 0):
        raise ValueError("every column of W must be non-zero")
    n = W.shape[0]
    if basis == "dct":
        return (_dct_basis(n).T @ (W / norms)) ** 2
    coeff2 = (trig_basis(n).T @ (W / norms)) ** 2
    energy = np.zeros((n // 2 + 1, W.shape[1]))
    np.add.at(energy, trig_frequencies(n), coeff2)
    return energy


def trig_alignment(W: Any, basis: str = "dft") -> tuple[Array, NDArray[np.int64]]:
    """How close each column of ``W`` is to a single frequency of the trigonometric
    basis.

    Taught in chapter 7.  Expand a unit vector ``w`` in the basis of chapter 2
    (:func:`dd_lib.trig_basis`) and add the squared coefficients of the functions of
    each frequency ``f`` (the cosine and the sine of ``f``; one function for ``f = 0``
    and ``f = n/2``): ``E_f(w)``, which sum to 1.  The **alignment** is
    ``max_f E_f(w)``, the share of the energy at the dominant frequency, and that
    frequency is returned too.  It is 1 exactly when ``w`` is a trigonometric function
    of one frequency (any phase: a singular value shared by a cosine and a sine can come
    with any rotation of the pair), and about ``2/n`` for a random vector.  With
    ``basis="dct"`` the energies are those of :func:`frequency_energy` in the DCT-II
    basis: a non-periodic cosine ``cos(pi f (j + 1/2) / n)`` scores 1 there, but only
    about 0.5-0.7 in the circular basis (its ends do not match up periodically).

    Calibrate before reading a value: a singular vector is only determined up to
    rotations within a cluster of nearly equal singular values, so vectors of a matrix
    whose leading singular values are close (a finite-width network) score low even
    when their span is exactly that of the lowest frequencies.  Compare spans instead:
    the mean over ``r`` orthonormal vectors of their energy in the lowest ``r``
    functions (``frequency_energy(W[:, :r], basis)[:p + 1].sum(0).mean()``, with
    ``p + 1`` the frequencies that hold those ``r`` functions) is
    :func:`subspace_overlap` with their span.

    Parameters
    ----------
    W : array_like, shape (n,) or (n, r)
        Vectors as columns (normalised here; each must be non-zero).
    basis : {"dft", "dct"}, default "dft"

    Returns
    -------
    alignment : ndarray, shape (r,)
        In ``(0, 1]``.
    frequency : ndarray of int, shape (r,)
        Dominant frequency of each column (periods over the ``n`` samples; half-periods
        for ``"dct"``).

    Raises
    ------
    ValueError
        For non-finite input, a zero column, or more than 2 dimensions.

    Examples
    --------
    >>> n = 64
    >>> j = np.arange(n)
    >>> a, f = trig_alignment(
    ...     np.stack([np.cos(2 * np.pi * 3 * j / n + 0.4), np.ones(n)], axis=1)
    ... )
    >>> a.round(6).tolist(), f.tolist()
    ([1.0, 1.0], [3, 0])
    >>> c = np.cos(np.pi * 3 * (j + 0.5) / n)
    >>> (
    ...     round(float(trig_alignment(c, basis="dct")[0][0]), 6),
    ...     bool(trig_alignment(c)[0][0] < 0.7),
    ... )
    (1.0, True)
    """
    energy = frequency_energy(W, basis)
    return energy.max(axis=0), energy.argmax(axis=0).astype(np.int64)


def subspace_overlap(A: Any, B: Any) -> float:
    """Overlap ``||A^T B||_F^2 / r`` of the spans of two sets of ``r`` orthonormal
    columns.

    Taught in chapter 7.  1 when the spans agree, 0 when they are orthogonal; for
    random ``r``-dimensional subspaces of ``R^n`` about ``r/n``.  It does not depend on
    the signs or the rotation of the vectors within the span.

    Parameters
    ----------
    A, B : array_like, shape (n, r)
        Orthonormal columns (e.g. leading singular vectors at two iterations).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If the shapes differ or the input is not finite.

    Examples
    --------
    >>> I = np.eye(4)
    >>> subspace_overlap(I[:, :2], I[:, [1, 0]]), subspace_overlap(I[:, :2], I[:, 2:])
    (1.0, 0.0)
    """
    A = as_real_array(A, "A", ndim=2)
    B = as_real_array(B, "B", ndim=2)
    if A.shape != B.shape:
        raise ValueError(
            f"A and B must have the same shape, got {A.shape} and {B.shape}"
        )
    return float(np.sum((A.T @ B) ** 2) / A.shape[1])


def _transpose_norms_fn(
    ref: nn.Module, Yt: torch.Tensor
) -> Callable[
    [dict[str, torch.Tensor], dict[str, torch.Tensor], dict[str, torch.Tensor]],
    torch.Tensor,
]:
    """``||J^T y||`` for each row ``y`` of ``Yt`` at one initialisation, as a function
    of its (selected, other) parameters and buffers, to be ``vmap``-ped over a stack
    of initialisations of the architecture of ``ref``.

    Built by this factory (not inside the loop over chunks of
    :func:`jacobian_transpose_norms`) so that ``ref`` and ``Yt`` are bound now, not
    looked up when the function runs.
    """
    from torch.func import functional_call, vjp, vmap

    def one(
        sel_i: dict[str, torch.Tensor],
        rest_i: dict[str, torch.Tensor],
        buf_i: dict[str, torch.Tensor],
    ) -> torch.Tensor:
        def f(s: dict[str, torch.Tensor]) -> torch.Tensor:
            return functional_call(ref, {**rest_i, **buf_i, **s}, ()).reshape(-1)

        # vjp returns (output, pullback) without has_aux; its annotation is the union
        # with the has_aux triple, so index rather than unpack two.
        pullback = vjp(f, sel_i)[1]
        grads = vmap(pullback)(Yt)[0]
        return torch.sqrt(
            sum(g.reshape(Yt.shape[0], -1).pow(2).sum(1) for g in grads.values())
        )

    return one


def jacobian_transpose_norms(
    make_model: Callable[[int], nn.Module],
    ys: Any,
    seeds: Sequence[int],
    *,
    params: Sequence[str] | None = None,
    batch: int = 1,
) -> Array:
    """``||J(C_0)^T y||_2`` for several targets ``y`` at many random initialisations
    ``C_0``.

    Taught in chapter 7 (the denoising paper's Figure 12).  ``J^T y`` is the gradient of
    ``<G(C), y>``: one backward pass per target.  The targets of one initialisation
    share its forward pass (a batched vector-Jacobian product).  With ``batch > 1``,
    ``batch`` initialisations are stacked (:func:`torch.func.stack_module_state`) and
    evaluated in one ``vmap``; on a GPU that is faster, on a small CPU often not.

    Parameters
    ----------
    make_model : callable
        ``make_model(seed) -> nn.Module``: a freshly initialised generator (all of the
        same architecture when ``batch > 1``).
    ys : array_like, shape (r, *out_shape) or (r, n)
        The targets, each with as many entries as the output.
    seeds : sequence of int
        One initialisation per seed.
    params : sequence of str, optional
        Weights of the Jacobian (default: all trainable ones).
    batch : int, default 1
        Initialisations per ``vmap`` call.

    Returns
    -------
    ndarray, shape (len(seeds), r)

    Raises
    ------
    ValueError
        For targets whose size does not match the output, an empty list of seeds, or a
        bad batch.

    Examples
    --------
    >>> make = lambda s: ConvGenerator(
    ...     16, channels=4, depth=2, ndim=1, seed=s, device="cpu"
    ... )
    >>> ys = np.stack([np.ones(16), np.zeros(16)])
    >>> norms = jacobian_transpose_norms(make, ys, seeds=range(3))
    >>> norms.shape, bool(np.all(norms[:, 0] > 0)), float(norms[:, 1].max())
    ((3, 2), True, 0.0)
    >>> bool(
    ...     np.allclose(
    ...         norms,
    ...         jacobian_transpose_norms(make, ys, seeds=range(3), batch=3),
    ...         rtol=1e-4,
    ...     )
    ... )
    True
    """
    seeds = [check_int(s, "seed", 0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must list at least one initialisation")
    batch = check_int(batch, "batch", 1)
    Y = as_real_array(ys, "ys")
    if Y.ndim < 2:
        raise ValueError(
            f"ys must be (r, ...) with one target per row, got shape {Y.shape}"
        )
    out = np.zeros((len(seeds), Y.shape[0]))
    for start in range(0, len(seeds), batch):
        chunk = seeds[start : start + batch]
        models = [make_model(s) for s in chunk]
        names = _select(models[0], params)
        ref = models[0]
        with torch.no_grad():
            n_out = ref().numel()
        if Y[0].size != n_out:
            raise ValueError(
                f"each target must have {n_out} entries (the output size), "
                f"got {Y[0].size}"
            )
        device = next(ref.parameters()).device
        Yt = torch.as_tensor(
            Y.reshape(Y.shape[0], -1), dtype=torch.float32, device=device
        )
        if len(models) == 1:
            leaves = [dict(ref.named_parameters())[n] for n in names]
            o = ref().reshape(-1)
            g = torch.autograd.grad(o, leaves, grad_outputs=Yt, is_grads_batched=True)
            # ``names`` is never empty (_select), so the sum is a Tensor, not its
            # start value 0.
            sq = cast(
                torch.Tensor, sum(gi.reshape(Yt.shape[0], -1).pow(2).sum(1) for gi in g)
            )
            out[start] = torch.sqrt(sq).detach().cpu().numpy()
            continue
        from torch.func import stack_module_state, vmap

        p_stack, b_stack = stack_module_state(models)
        sel = {n: p_stack[n] for n in names}
        rest = {n: v for n, v in p_stack.items() if n not in sel}
        res = vmap(_transpose_norms_fn(ref, Yt))(sel, rest, b_stack)
        out[start : start + len(chunk)] = res.detach().cpu().numpy()
    return out
