"""The four convolutional generators of the denoising paper's appendix B.

Taught in chapter 7.

Each architecture builds the channels of layer ``i + 1`` from those of layer ``i``
(appendix B of Heckel & Soltanolkotabi, ICLR 2020) as

.. math::

    b_{i+1,\\ell} = \\mathrm{ReLU}\\Big(\\sum_{j=1}^{k} M(c_{ij\\ell})\\, b_{ij}\\Big),

followed by channel normalisation (batch normalisation with batch size one and
affine parameters, as in the deep decoder), where ``T(c)`` is convolution with
the kernel ``c``, ``u`` the fixed linear-interpolation kernel and ``U`` the 2x
zero-insertion upsampling:

* ``"i"``   ``M(c) = c T(u) U``: 2x linear/bilinear upsampling and 1x1 mixing (the deep
  decoder);
* ``"ii"``  ``M(c) = c T(u)``: 1x1 mixing and a fixed 4-tap (4x4 in 2-D) interpolation
  kernel, no upsampling;
* ``"iii"`` ``M(c) = T(c)``: trainable 3-tap (3x3) convolutions, no upsampling;
* ``"iv"``  ``M(c) = T(c) U``: trainable transposed convolutions, kernel 4, stride 2
  (the DC-GAN generator).

``T(u) U`` with ``u = [1/4, 3/4, 3/4, 1/4]`` *is* PyTorch's linear upsampling with
``align_corners=False`` (chapter 2), which is how ``"i"`` is implemented.  The
architectures with upsampling (``"i"``, ``"iv"``) start from a random input of size
``out_size / 2**depth``; the others from an input of the output's size.  A last 1x1
convolution maps the ``k`` channels to the output channels, with no sigmoid (so that
zero-mean noise can be fitted).  With ``fixed_output=True`` its weights are fixed
to ``+-1/sqrt(k)`` (half of each sign) and not trained, as in the authors' code for
the 1-D decoder of Figure 7.  ``output_scale`` multiplies the output layer's initial
weights: with a small value the initial output is near zero, so a fitting curve starts
at the target's own energy instead of far above it (chapter 7, Figure 8).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_int, check_nonnegative, check_positive, check_size
from .config import get_device

__all__ = [
    "ARCHITECTURES",
    "ConvGenerator",
    "architecture_parameter_count",
    "channels_for_factor",
    "fit_architectures",
]

#: Architecture key -> (short description, upsamples?, trainable kernel taps or None).
ARCHITECTURES: dict[str, tuple[str, bool, int | None]] = {
    "i": ("bilinear upsampling + 1x1 mixing (deep decoder)", True, None),
    "ii": ("fixed interpolation kernel + 1x1 mixing", False, None),
    "iii": ("trainable 3x3 convolutions", False, 3),
    "iv": ("trainable transposed 4x4 convolutions, stride 2 (DC-GAN)", True, 4),
}


def _check_arch(architecture: Any) -> str:
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"architecture must be one of {list(ARCHITECTURES)}, got {architecture!r}"
        )
    return architecture


def architecture_parameter_count(
    architecture: str,
    channels: int,
    depth: int,
    out_channels: int = 1,
    *,
    ndim: int = 2,
    fixed_output: bool = False,
) -> int:
    """Trainable parameters of :class:`ConvGenerator`.

    Taught in chapter 7.  ``d`` layers of ``k`` channels: ``d k^2 s^ndim`` mixing or
    kernel weights (``s = 1`` for ``"i"``/``"ii"``, 3 for ``"iii"``, 4 for ``"iv"``),
    ``2 d k`` normalisation parameters, and ``k c`` output weights (none with
    ``fixed_output``).

    Parameters
    ----------
    architecture : {"i", "ii", "iii", "iv"}
        See :data:`ARCHITECTURES`.
    channels : int
        Channels ``k`` per layer, at least 1.
    depth : int
        Number of layers ``d``, at least 1.
    out_channels : int, default 1
        Output channels ``c``.
    ndim : {1, 2}, default 2
        Spatial dimension.
    fixed_output : bool, default False
        Output weights fixed (not counted).

    Returns
    -------
    int

    Raises
    ------
    ValueError
        For an unknown architecture, ``ndim`` not 1 or 2, or counts below their minimum.

    Examples
    --------
    >>> architecture_parameter_count(
    ...     "i", 64, 4, ndim=1, fixed_output=True
    ... )  # Figure 7: 4 x 64^2 + BN
    16896
    >>> architecture_parameter_count("iii", 8, 2)
    1192
    """
    arch = _check_arch(architecture)
    k = check_int(channels, "channels", 1)
    d = check_int(depth, "depth", 1)
    c = check_int(out_channels, "out_channels", 1)
    if ndim not in (1, 2):
        raise ValueError(f"ndim must be 1 or 2, got {ndim!r}")
    taps = ARCHITECTURES[arch][2] or 1
    return d * k * k * taps**ndim + 2 * d * k + (0 if fixed_output else k * c)


def channels_for_factor(
    architecture: str,
    factor: float,
    out_size: int | tuple[int, ...],
    depth: int,
    out_channels: int = 1,
    *,
    ndim: int = 2,
) -> tuple[int, float]:
    """Channels ``k`` whose over-parameterisation factor (parameters / output size) is
    closest to ``factor``.

    Taught in chapter 7.  The output size counts every output entry
    (``H W c``, or ``n c`` in 1-D).

    Parameters
    ----------
    architecture : {"i", "ii", "iii", "iv"}
    factor : float
        Target ratio of trainable parameters to output entries, ``> 0``.
    out_size : int or tuple of int
        Output side(s) (an int means square in 2-D).
    depth : int
        Number of layers ``d``.
    out_channels : int, default 1
    ndim : {1, 2}, default 2

    Returns
    -------
    (int, float)
        ``k`` and the factor it realises (``architecture_parameter_count / output
        size``).

    Raises
    ------
    ValueError
        For a non-positive factor or any invalid argument of
        :func:`architecture_parameter_count`.

    Examples
    --------
    >>> k, f = channels_for_factor("i", 4.0, 32, depth=3)
    >>> k, round(f, 2)
    (36, 4.04)
    """
    factor = check_positive(factor, "factor")
    if ndim not in (1, 2):
        raise ValueError(f"ndim must be 1 or 2, got {ndim!r}")
    n_out = math.prod(check_size(out_size, "out_size", ndim)) * check_int(
        out_channels, "out_channels", 1
    )
    best: tuple[float, int, float] | None = None
    k = 1
    while True:
        f = (
            architecture_parameter_count(
                architecture, k, depth, out_channels, ndim=ndim
            )
            / n_out
        )
        err = abs(math.log(f / factor))
        if best is None or err < best[0]:
            best = (err, k, f)
        if f > factor:
            break
        k += 1
    return best[1], best[2]


class _FixedInterpolation(nn.Module):
    """Depthwise convolution with the fixed kernel u = [1, 3, 3, 1] / 8 (outer product
    in 2-D)."""

    kernel: torch.Tensor  # a buffer, registered in __init__

    def __init__(self, channels: int, ndim: int, shift: int) -> None:
        super().__init__()
        u = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8.0
        kernel = u if ndim == 1 else torch.outer(u, u)
        self.register_buffer(
            "kernel", kernel.expand(channels, 1, *kernel.shape).clone()
        )
        self.ndim, self.channels = ndim, channels
        # a 4-tap kernel is centred between two samples: alternate the padding so the
        # half-sample shifts of consecutive layers cancel
        self.pad = (1, 2) if shift % 2 == 0 else (2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.pad(x, self.pad * self.ndim, mode="reflect")
        conv = F.conv1d if self.ndim == 1 else F.conv2d
        return conv(x, self.kernel, groups=self.channels)


class ConvGenerator(nn.Module):
    """A convolutional generator of appendix B, architecture i), ii), iii) or iv).

    Taught in chapter 7.  ``net()`` returns the output, shape ``(1, c, H, W)``
    (``(1, c, n)`` for ``ndim=1``); see the module notes for the four layer maps
    ``M(c)``.

    Parameters
    ----------
    out_size : int or tuple of int
        Output size; for ``"i"`` and ``"iv"`` each side a multiple of ``2**depth``.
    channels : int
        Channels ``k`` per layer.
    depth : int
        Number of layers ``d``, at least 1.
    architecture : {"i", "ii", "iii", "iv"}, default "i"
    out_channels : int, default 1
    ndim : {1, 2}, default 2
    fixed_output : bool, default False
        Fix the output weights to ``+-1/sqrt(k)`` (not trained), as for Figure 7.
    output_scale : float, default 1.0
        Factor (``>= 0``) on the output layer's initial weights (PyTorch's default
        initialisation, or the fixed ``+-1/sqrt(k)``).  The initial output is
        ``output_scale`` times that of ``output_scale=1``: a small value (e.g. 0.01)
        starts the fit near the zero image.  The other layers are unchanged.
    seed : int, optional
        Seed of the random input and the initial weights.
    device : torch.device or str, optional

    Raises
    ------
    ValueError
        For an unknown architecture, invalid counts, a negative ``output_scale``, or an
        output size that the upsampling layers cannot reach.

    Examples
    --------
    >>> net = ConvGenerator(
    ...     512, channels=64, depth=4, ndim=1, fixed_output=True, seed=0, device="cpu"
    ... )
    >>> tuple(net().shape), [tuple(w.shape) for w in net.mixing_weights()][:1]
    ((1, 1, 512), [(64, 64, 1)])
    >>> net.num_parameters() == architecture_parameter_count(
    ...     "i", 64, 4, ndim=1, fixed_output=True
    ... )
    True
    >>> ConvGenerator(
    ...     16, channels=4, depth=2, architecture="iv", seed=0, device="cpu"
    ... )().shape
    torch.Size([1, 1, 16, 16])
    >>> a = ConvGenerator(16, 4, 2, seed=0, device="cpu")()
    >>> b = ConvGenerator(16, 4, 2, output_scale=0.01, seed=0, device="cpu")()
    >>> bool(torch.allclose(b, 0.01 * a))
    True
    """

    def __init__(
        self,
        out_size: int | tuple[int, ...],
        channels: int,
        depth: int,
        architecture: str = "i",
        out_channels: int = 1,
        *,
        ndim: int = 2,
        fixed_output: bool = False,
        output_scale: float = 1.0,
        seed: int | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        arch = _check_arch(architecture)
        output_scale = check_nonnegative(output_scale, "output_scale")
        k = check_int(channels, "channels", 1)
        d = check_int(depth, "depth", 1)
        c = check_int(out_channels, "out_channels", 1)
        if ndim not in (1, 2):
            raise ValueError(f"ndim must be 1 (signals) or 2 (images), got {ndim!r}")
        size = check_size(out_size, "out_size", ndim)
        upsamples = ARCHITECTURES[arch][1]
        if upsamples and any(s % 2**d for s in size):
            raise ValueError(
                f"architecture {arch!r} upsamples {d} times: "
                f"each side of out_size {size} must be a multiple of "
                f"2**depth = {2**d}"
            )
        if not upsamples and arch == "ii" and any(s < 3 for s in size):
            raise ValueError(
                f"out_size {size} is too small for the 4-tap interpolation kernel "
                "(sides >= 3)"
            )
        self.architecture, self.channels, self.depth, self.ndim = arch, k, d, ndim
        self.out_size = size
        conv = nn.Conv1d if ndim == 1 else nn.Conv2d
        deconv = nn.ConvTranspose1d if ndim == 1 else nn.ConvTranspose2d
        norm = nn.BatchNorm1d if ndim == 1 else nn.BatchNorm2d
        pad_mode: Literal["reflect"] = "reflect"
        mode = "linear" if ndim == 1 else "bilinear"

        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        in_size = tuple(s // 2**d for s in size) if upsamples else size
        net_input = 0.1 * torch.rand((1, k, *in_size), generator=gen)
        with torch.random.fork_rng(devices=[]):
            if gen is not None:
                torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            layers: list[nn.Module] = []
            for i in range(d):
                if arch == "i":
                    layers += [
                        nn.Upsample(scale_factor=2, mode=mode, align_corners=False),
                        conv(k, k, 1, bias=False),
                    ]
                elif arch == "ii":
                    layers += [
                        conv(k, k, 1, bias=False),
                        _FixedInterpolation(k, ndim, i),
                    ]
                elif arch == "iii":
                    layers += [
                        conv(k, k, 3, padding=1, padding_mode=pad_mode, bias=False)
                    ]
                else:
                    layers += [deconv(k, k, 4, stride=2, padding=1, bias=False)]
                layers += [nn.ReLU(), norm(k, affine=True, track_running_stats=False)]
            out = conv(k, c, 1, bias=False)
            if fixed_output:
                signs = torch.ones(k)
                signs[1::2] = -1.0
                with torch.no_grad():
                    out.weight.copy_(
                        (signs / math.sqrt(k)).expand(c, k).reshape(out.weight.shape)
                    )
                out.weight.requires_grad_(False)
            if output_scale != 1.0:
                with torch.no_grad():
                    out.weight.mul_(output_scale)
            layers.append(out)
            self.net = nn.Sequential(*layers)
        self.register_buffer("input", net_input)
        self.to(get_device() if device is None else torch.device(device))

    def forward(self) -> torch.Tensor:
        return self.net(self.input)

    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def mixing_weights(self) -> list[nn.Parameter]:
        """The weights of the ``d`` hidden layers (mixing matrices or kernels), in
        order."""
        # The stubs type a convolution's weight as Tensor; it is an nn.Parameter.
        return [
            cast(nn.Parameter, m.weight)
            for m in list(self.net)[:-1]
            if isinstance(
                m, (nn.Conv1d, nn.Conv2d, nn.ConvTranspose1d, nn.ConvTranspose2d)
            )
        ]

    def mixing_weight_names(self) -> list[str]:
        """Names (as in ``named_parameters``) of :meth:`mixing_weights`."""
        ids = {id(w) for w in self.mixing_weights()}
        return [name for name, p in self.named_parameters() if id(p) in ids]

    def extra_repr(self) -> str:
        return (
            f"architecture={self.architecture!r}, out_size={self.out_size}, "
            f"channels={self.channels}, depth={self.depth}"
        )


def fit_architectures(
    targets: Mapping[str, Any],
    architectures: Sequence[str],
    factors: Sequence[float],
    *,
    depth: int,
    steps: int,
    optimizer: str = "sgd",
    lr: float = 0.05,
    record_every: int = 5,
    seed: int = 0,
    track_weights: bool = False,
    output_scale: float = 1.0,
    channels: Mapping[str, Sequence[int]] | None = None,
    device: torch.device | str | None = None,
) -> dict[str, Any]:
    """Fit every target with every architecture at every over-parameterisation factor.

    Taught in chapter 7 (the denoising paper's Figures 8, 9 and 10).  For each
    architecture and factor the channels come from :func:`channels_for_factor` (or from
    ``channels``); every target is fitted from the same initialisation (``seed``) with
    :func:`dd_lib.fit`.

    Parameters
    ----------
    targets : mapping of str to array_like
        Name -> image ``(H, W)`` (all of the same size).
    architectures : sequence of {"i", "ii", "iii", "iv"}
    factors : sequence of float
        Target over-parameterisation factors.
    depth : int
        Layers ``d``.
    steps : int
        Optimiser steps per fit.
    optimizer, lr :
        Passed to :func:`dd_lib.fit` (default SGD with momentum 0.9, as the authors'
        code).
    record_every : int, default 5
    seed : int, default 0
        Seed of the initialisation (the same for every target).
    track_weights : bool, default False
        Record the per-layer relative weight distance (Figure 9).
    output_scale : float, default 1.0
        Passed to :class:`ConvGenerator` (a small value starts every fit near the zero
        image).
    channels : mapping of str to sequence of int, optional
        Explicit channel counts, ``channels[architecture][j]`` for ``factors[j]`` (e.g.
        the authors' ``k`` at paper scale); ``"factor"`` then still holds the nominal
        factor and ``"realised"`` the factor these channels give.
    device : torch.device or str, optional
        Where the networks are fitted (default :func:`dd_lib.get_device`: the GPU
        when there is one, which paper scale needs).

    Returns
    -------
    dict
        A table, one row per (architecture, factor, target): ``"architecture"``,
        ``"factor"`` (target), ``"realised"`` (parameters / output size),
        ``"channels"``, ``"target"`` (arrays of length R); ``"iterations"`` (T,);
        ``"rel_loss"`` (R, T), the loss divided by the target's mean square
        ``||y||^2 / n``; ``"wall"`` (R,) seconds; with ``track_weights`` also
        ``"weight_distance"`` (R, d, T) for the ``d`` hidden layers.

    Raises
    ------
    ValueError
        For no targets, targets of different shapes, or invalid sizes.

    Examples
    --------
    >>> x = test_image("phantom", 16)
    >>> tab = fit_architectures(
    ...     {"img": x}, ["i"], [1.0], depth=2, steps=10, record_every=5
    ... )
    >>> (
    ...     tab["rel_loss"].shape,
    ...     tab["channels"].tolist(),
    ...     bool(tab["rel_loss"][0, -1] < tab["rel_loss"][0, 0]),
    ... )
    ((1, 3), [10], True)
    >>> tab = fit_architectures(
    ...     {"img": x},
    ...     ["i"],
    ...     [1.0],
    ...     depth=2,
    ...     steps=2,
    ...     channels={"i": [4]},
    ...     output_scale=0.01,
    ... )
    >>> tab["channels"].tolist(), round(float(tab["realised"][0]), 3)
    ([4], 0.203)
    """
    from .fitting import fit

    imgs, size = _check_fit_targets(targets, channels, architectures, factors)
    rows: dict[str, list[Any]] = {k: [] for k in _ARCHITECTURE_TABLE_COLUMNS}
    wd: list[Any] = []
    iterations = None
    for arch in architectures:
        _check_arch(arch)
        for j, factor in enumerate(factors):
            if channels is None:
                k, realised = channels_for_factor(arch, factor, size, depth)
            else:
                k = check_int(channels[arch][j], "channels", 1)
                n_weights = architecture_parameter_count(arch, k, depth)
                realised = n_weights / math.prod(size)
            for name, y in imgs.items():
                net = ConvGenerator(
                    size,
                    k,
                    depth,
                    arch,
                    output_scale=output_scale,
                    seed=seed,
                    device=device,
                )
                res = fit(
                    net,
                    y,
                    steps=steps,
                    optimizer=optimizer,
                    lr=lr,
                    record_every=record_every,
                    track_weights=track_weights,
                    progress=False,
                )
                iterations = res.iterations
                rows["architecture"].append(arch)
                rows["factor"].append(float(factor))
                rows["realised"].append(realised)
                rows["channels"].append(k)
                rows["target"].append(name)
                rows["rel_loss"].append(res.loss / np.mean(y**2))
                rows["wall"].append(res.wall_time)
                if track_weights:
                    names = net.mixing_weight_names()
                    # fit(track_weights=True) always records the weight distances
                    assert res.weight_distance is not None
                    wd.append(np.stack([res.weight_distance[nm] for nm in names]))
    table: dict[str, Any] = {k: np.asarray(v) for k, v in rows.items()}
    table["iterations"] = np.asarray(iterations)
    if track_weights:
        table["weight_distance"] = np.stack(wd)
    return table


_ARCHITECTURE_TABLE_COLUMNS = (
    "architecture",
    "factor",
    "realised",
    "channels",
    "target",
    "rel_loss",
    "wall",
)


def _check_fit_targets(
    targets: Mapping[str, Any],
    channels: Mapping[str, Sequence[int]] | None,
    architectures: Sequence[str],
    factors: Sequence[float],
) -> tuple[dict[str, np.ndarray], tuple[int, ...]]:
    """:func:`fit_architectures`' targets as float arrays and their common shape;
    checks that they are grey images of one shape and that ``channels`` gives one
    count per factor for every architecture."""
    if not targets:
        raise ValueError("targets must name at least one image")
    imgs = {name: np.asarray(y, dtype=np.float64) for name, y in targets.items()}
    shapes = {y.shape for y in imgs.values()}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(
            "targets must be grey images (H, W) of one shape, "
            f"got shapes {sorted(shapes)}"
        )
    if channels is not None:
        for arch in architectures:
            if arch not in channels or len(channels[arch]) != len(factors):
                raise ValueError(
                    f"channels must give one count per factor ({len(factors)}) "
                    "for every architecture; "
                    f"got {dict(channels)!r}"
                )
    return imgs, next(iter(shapes))
