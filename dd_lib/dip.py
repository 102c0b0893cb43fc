"""A compact deep image prior (Ulyanov, Vedaldi & Lempitsky, 2018).

Taught in chapter 6 (the comparison generator of the denoising paper's
Figures 1 and 2 and Table 1).

The network is the "skip" encoder-decoder of the deep-image-prior paper: at each
of its scales the encoder halves the resolution with a strided 3x3 convolution
and applies a second 3x3 convolution; a skip branch (a 1x1 convolution with a few
channels) carries the features of that scale to the decoder, which concatenates
them with the upsampled deeper features and applies a 3x3 and a 1x1
convolution.  Every convolution is followed by batch normalisation and a leaky
ReLU (slope 0.2); padding is by reflection; upsampling is bilinear; a 1x1
convolution and a sigmoid give the image.  The input is fixed random noise,
uniform on ``[0, 0.1)``, of the output's size.  For denoising, the authors
perturb the input at every iteration with Gaussian noise of standard deviation
1/30 (``input_noise_std``).

With ``channels=(128,)*5``, ``skip_channels=(4,)*5`` and 32 input channels this is
the authors' denoising network; the book-scale sizes are smaller (``dd.sizes``).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ._checks import check_int, check_size
from .config import get_device

__all__ = ["DeepImagePrior"]


def _conv_bn_act(
    c_in: int, c_out: int, kernel: int, stride: int = 1
) -> list[nn.Module]:
    pad = (kernel - 1) // 2
    layers: list[nn.Module] = []
    if pad:
        layers.append(nn.ReflectionPad2d(pad))
    layers += [
        nn.Conv2d(c_in, c_out, kernel, stride=stride, bias=True),
        nn.BatchNorm2d(c_out, track_running_stats=False),
        nn.LeakyReLU(0.2),
    ]
    return layers


class _Scale(nn.Module):
    """One scale: [skip branch | encoder -> deeper scales -> upsample] -> decoder."""

    def __init__(
        self, c_in: int, down: Sequence[int], up: Sequence[int], skip: Sequence[int]
    ) -> None:
        super().__init__()
        c_down, c_up, c_skip = down[0], up[0], skip[0]
        self.skip = nn.Sequential(*_conv_bn_act(c_in, c_skip, 1)) if c_skip else None
        deeper: list[nn.Module] = _conv_bn_act(
            c_in, c_down, 3, stride=2
        ) + _conv_bn_act(c_down, c_down, 3)
        if len(down) > 1:
            deeper.append(_Scale(c_down, down[1:], up[1:], skip[1:]))
            c_deep = up[1]
        else:
            c_deep = c_down
        deeper.append(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False))
        self.deeper = nn.Sequential(*deeper)
        self.decode = nn.Sequential(
            nn.BatchNorm2d(c_skip + c_deep, track_running_stats=False),
            *_conv_bn_act(c_skip + c_deep, c_up, 3),
            *_conv_bn_act(c_up, c_up, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        deep = self.deeper(x)
        if self.skip is not None:
            deep = torch.cat([self.skip(x), deep], dim=1)
        return self.decode(deep)


def _layout(x: torch.Tensor) -> torch.memory_format:
    """channels_last if ``x`` is stored that way (see :func:`dd_lib.fit`), else
    contiguous."""
    if not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last):
        return torch.channels_last
    return torch.contiguous_format


class DeepImagePrior(nn.Module):
    """The deep image prior's encoder-decoder with skip connections.

    Taught in chapter 6.  ``net()`` returns the image, shape ``(1, c, H, W)``.

    Parameters
    ----------
    out_size : int or tuple of int
        Output size ``(H, W)``; each side a positive multiple of ``2**len(channels)``.
    channels : sequence of int, default (128, 128, 128, 128, 128)
        Channels of the encoder and decoder at each scale (the number of scales is
        its length).
    skip_channels : sequence of int, optional
        Channels of the skip branch at each scale (default 4 at every scale; 0
        removes a skip connection).
    in_channels : int, default 32
        Channels of the random input.
    out_channels : int, default 1
        Output channels (1 grey, 3 colour).
    input_noise_std : float, default 0.0
        Standard deviation of the Gaussian perturbation added to the input at every
        forward pass in training mode (the authors use 1/30 for denoising).
    seed : int, optional
        Seed for the input, the initial weights and the input perturbations.
    device : torch.device or str, optional
        Where the network lives (default :func:`dd_lib.get_device`).

    Raises
    ------
    ValueError
        For non-positive channel counts, mismatched lengths, or an output size the
        network's downsampling cannot handle.

    Examples
    --------
    >>> net = DeepImagePrior(
    ...     32,
    ...     channels=(8, 8),
    ...     skip_channels=(2, 2),
    ...     in_channels=4,
    ...     seed=0,
    ...     device="cpu",
    ... )
    >>> tuple(net().shape), net.num_parameters()
    ((1, 1, 32, 32), 3861)
    """

    #: :func:`dd_lib.fit` keeps this network in the default (NCHW) memory layout: its
    #: 3x3 convolutions with few channels ran 1.8x slower channels_last on a CPU.
    prefers_channels_last = False

    #: The fixed random input (a buffer, registered in ``__init__``).
    input: torch.Tensor

    def __init__(
        self,
        out_size: int | tuple[int, int],
        channels: Sequence[int] = (128,) * 5,
        skip_channels: Sequence[int] | None = None,
        in_channels: int = 32,
        out_channels: int = 1,
        *,
        input_noise_std: float = 0.0,
        seed: int | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        chans = [check_int(c, "channels[i]", 1) for c in channels]
        if not chans:
            raise ValueError(
                "channels must list at least one scale, e.g. (128, 128, 128, 128, 128)"
            )
        skips = (
            [4] * len(chans)
            if skip_channels is None
            else [check_int(c, "skip_channels[i]", 0) for c in skip_channels]
        )
        if len(skips) != len(chans):
            raise ValueError(
                f"skip_channels must have one entry per scale ({len(chans)}), "
                f"got {len(skips)}"
            )
        c_in = check_int(in_channels, "in_channels", 1)
        c_out = check_int(out_channels, "out_channels", 1)
        if not (input_noise_std >= 0):
            raise ValueError(f"input_noise_std must be >= 0, got {input_noise_std!r}")
        size = check_size(out_size, "out_size", 2)
        factor = 2 ** len(chans)
        if any(s < factor or s % factor for s in size):
            raise ValueError(
                f"out_size {out_size!r} must be two sides, each a positive multiple of "
                f"2**len(channels) = {factor}"
            )
        self.out_size = size
        self.input_noise_std = float(input_noise_std)
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        net_input = 0.1 * torch.rand((1, c_in, *size), generator=gen)
        with torch.random.fork_rng(devices=[]):
            if gen is not None:
                torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
            self.net = nn.Sequential(
                _Scale(c_in, chans, chans, skips),
                nn.Conv2d(chans[0], c_out, 1, bias=True),
                nn.Sigmoid(),
            )
        self.register_buffer("input", net_input)
        dev = get_device() if device is None else torch.device(device)
        self._noise_gen = torch.Generator(device=dev)
        self._noise_gen.manual_seed(
            seed if seed is not None else int(torch.randint(0, 2**31 - 1, (1,)))
        )
        self.to(dev)

    def forward(self) -> torch.Tensor:
        x = self.input
        if self.training and self.input_noise_std > 0:
            noise = torch.randn(
                x.shape, generator=self._noise_gen, device=x.device, dtype=x.dtype
            )
            x = x + self.input_noise_std * noise.contiguous(memory_format=_layout(x))
        return self.net(x)

    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
