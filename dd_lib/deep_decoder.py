"""The deep decoder of Heckel & Hand (2019), as used by both papers.

Taught in chapter 6; chapter 7 studies its Jacobian and training dynamics.

One block of the network is a 1x1 convolution (a linear combination of the
channels, no bias), bilinear 2x upsampling (``align_corners=False``: a fixed
convolution with the kernel ``[1/4, 3/4, 3/4, 1/4]`` along each axis, see
chapter 2), a ReLU and *channel normalisation*.  Channel normalisation is
batch normalisation with batch size one and affine parameters; it always
normalises with the statistics of the current output, also when the image is
read out (``track_running_stats=False``).  A network of depth ``d`` has
``d + 1`` blocks, the last one without upsampling, followed by a 1x1
convolution to the output channels and a sigmoid.  Its input is a fixed random
tensor, uniform on ``[0, 0.1)``, of spatial size ``out_size / 2**d``.

The trainable parameter count is ``(d+1) k^2 + 2 k (d+1) + k c``: ``d+1`` mixing
matrices of size ``k x k``, a scale and a shift per channel and block, and the
``k x c`` output weights.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._checks import check_int, check_size
from .config import get_device

__all__ = ["DeepDecoder", "deep_decoder_parameter_count"]


def deep_decoder_parameter_count(channels: int, depth: int, out_channels: int) -> int:
    """Trainable parameters of a deep decoder: ``(d+1) k^2 + 2 k (d+1) + k c``.

    Taught in chapter 6.

    Parameters
    ----------
    channels : int
        Channels ``k`` per layer, at least 1.
    depth : int
        Number of upsampling blocks ``d``, at least 0.
    out_channels : int
        Output channels ``c`` (1 grey, 3 colour), at least 1.

    Returns
    -------
    int
        The number of trainable parameters.

    Examples
    --------
    >>> deep_decoder_parameter_count(64, 4, 1)
    21184
    >>> deep_decoder_parameter_count(512, 5, 3)  # the paper's DD-O for colour images
    1580544
    """
    k = check_int(channels, "channels", 1)
    d = check_int(depth, "depth", 0)
    c = check_int(out_channels, "out_channels", 1)
    return (d + 1) * k * k + 2 * k * (d + 1) + k * c


def _check_out_size(out_size: Any, depth: int, ndim: int) -> tuple[int, ...]:
    size = check_size(out_size, "out_size", ndim)
    factor = 2**depth
    for s in size:
        if s < factor or s % factor:
            raise ValueError(
                f"out_size {size} cannot be reached by {depth} upsampling steps of 2x: "
                f"each side must be a positive multiple of 2**depth = {factor} "
                f"(e.g. {factor * max(1, round(s / factor))})"
            )
    return size


class DeepDecoder(nn.Module):
    """The deep decoder: an un-trained image generator with fixed convolutions only.

    Taught in chapter 6.  ``net()`` returns the image, shape ``(1, c, H, W)``
    (or ``(1, c, n)`` for ``ndim=1``), with values in ``(0, 1)`` (or any real values
    with ``output="linear"``).

    Parameters
    ----------
    out_size : int or tuple of int
        Output size ``(H, W)`` (an int means square), or ``n`` for ``ndim=1``.  Each
        side must be a positive multiple of ``2**depth``.
    channels : int, default 64
        Channels ``k`` in every layer.
    depth : int, default 4
        Number of upsampling blocks ``d``; the network has ``d + 1`` blocks.
    out_channels : int, default 1
        Output channels ``c`` (1 for grey, 3 for colour images).
    ndim : {2, 1}, default 2
        Spatial dimension: 2 for images, 1 for signals (linear upsampling).
    learnable_input : bool, default False
        Also train the input tensor (off in the papers).
    output : {"sigmoid", "linear"}, default "sigmoid"
        The last layer: the papers' sigmoid for images in ``(0, 1)``, or none, for
        outputs of any sign such as the real and imaginary parts of MRI images
        (chapter 9; the authors' MRI code has no output sigmoid).  The weights are
        the same for the same seed.
    seed : int, optional
        Seed for the random input and the initial weights (PyTorch's default
        initialisation); without it the global torch generator is used.
    device : torch.device or str, optional
        Where the network lives (default :func:`dd_lib.get_device`).

    Raises
    ------
    ValueError
        If ``channels < 1``, ``depth < 0``, ``out_channels < 1``, ``ndim`` is not 1
        or 2, ``output`` is unknown, or ``out_size`` cannot be reached by ``depth``
        2x upsamplings.

    Examples
    --------
    >>> net = DeepDecoder(
    ...     64, channels=16, depth=3, out_channels=3, seed=0, device="cpu"
    ... )
    >>> tuple(net().shape), tuple(net.input.shape)
    ((1, 3, 64, 64), (1, 16, 8, 8))
    >>> net.num_parameters() == deep_decoder_parameter_count(16, 3, 3)
    True
    """

    def __init__(
        self,
        out_size: int | tuple[int, ...],
        channels: int = 64,
        depth: int = 4,
        out_channels: int = 1,
        *,
        ndim: int = 2,
        learnable_input: bool = False,
        output: str = "sigmoid",
        seed: int | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        k = check_int(channels, "channels", 1)
        d = check_int(depth, "depth", 0)
        c = check_int(out_channels, "out_channels", 1)
        if ndim not in (1, 2):
            raise ValueError(f"ndim must be 1 (signals) or 2 (images), got {ndim!r}")
        if output not in ("sigmoid", "linear"):
            raise ValueError(f"output must be 'sigmoid' or 'linear', got {output!r}")
        self.output = output
        self.out_size = _check_out_size(out_size, d, ndim)
        self.channels, self.depth, self.out_channels, self.ndim = k, d, c, ndim
        conv = nn.Conv2d if ndim == 2 else nn.Conv1d
        norm = nn.BatchNorm2d if ndim == 2 else nn.BatchNorm1d
        mode = "bilinear" if ndim == 2 else "linear"

        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        in_size = tuple(s // 2**d for s in self.out_size)
        net_input = 0.1 * torch.rand((1, k, *in_size), generator=gen)

        def build() -> nn.Sequential:
            layers: list[nn.Module] = []
            for i in range(d + 1):
                layers.append(conv(k, k, kernel_size=1, bias=False))
                if i < d:
                    layers.append(
                        nn.Upsample(scale_factor=2, mode=mode, align_corners=False)
                    )
                layers.append(nn.ReLU())
                # channel normalisation: batch statistics of this one image, always
                layers.append(norm(k, affine=True, track_running_stats=False))
            layers.append(conv(k, c, kernel_size=1, bias=False))
            if output == "sigmoid":
                layers.append(nn.Sigmoid())
            return nn.Sequential(*layers)

        if gen is None:
            self.net = build()
        else:
            # PyTorch's default initialisation, drawn from a stream fixed by the seed
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
                self.net = build()
        if learnable_input:
            self.input = nn.Parameter(net_input)
        else:
            self.register_buffer("input", net_input)
        self.to(get_device() if device is None else torch.device(device))

    def forward(self) -> torch.Tensor:
        return self.net(self.input)

    def num_parameters(self) -> int:
        """Number of trainable parameters (equals :func:`deep_decoder_parameter_count`
        unless the input is learnable)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def mixing_layers(self) -> list[nn.Module]:
        """The 1x1 convolutions (the matrices ``C_0, ..., C_d`` and the output weights),
        in order."""
        return [m for m in self.net if isinstance(m, (nn.Conv1d, nn.Conv2d))]

    def extra_repr(self) -> str:
        return (
            f"out_size={self.out_size}, channels={self.channels}, depth={self.depth}, "
            f"out_channels={self.out_channels}"
            + (", output='linear'" if self.output == "linear" else "")
        )
