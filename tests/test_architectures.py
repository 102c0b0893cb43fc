"""Unit tests of dd_lib.architectures (chapter 7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dd_lib as dd


@pytest.mark.parametrize("arch", ["i", "ii", "iii", "iv"])
@pytest.mark.parametrize("ndim", [1, 2])
def test_shapes_and_parameter_counts(arch: str, ndim: int) -> None:
    net = dd.ConvGenerator(
        16,
        channels=5,
        depth=2,
        architecture=arch,
        out_channels=3 if ndim == 2 else 1,
        ndim=ndim,
        seed=0,
        device="cpu",
    )
    out = net()
    assert tuple(out.shape) == ((1, 3, 16, 16) if ndim == 2 else (1, 1, 16))
    c = 3 if ndim == 2 else 1
    assert net.num_parameters() == dd.architecture_parameter_count(
        arch, 5, 2, c, ndim=ndim
    )
    assert len(net.mixing_weights()) == 2


def test_figure7_decoder() -> None:
    net = dd.ConvGenerator(
        512, channels=64, depth=4, ndim=1, fixed_output=True, seed=0, device="cpu"
    )
    w = net.net[-1].weight
    assert not w.requires_grad
    assert torch.allclose(w.abs(), torch.full_like(w, 1 / 8))
    assert float(w.sum()) == 0.0
    assert sum(p.numel() for p in net.mixing_weights()) == 4 * 64**2
    assert tuple(net.input.shape) == (1, 64, 32)


def test_architecture_i_upsamples_like_the_deep_decoder() -> None:
    # T(u) U with u = [1/4, 3/4, 3/4, 1/4] is linear upsampling (align_corners=False),
    # away from the border
    x = torch.arange(8.0).reshape(1, 1, 8) ** 2
    up = torch.nn.functional.interpolate(
        x, scale_factor=2, mode="linear", align_corners=False
    )
    z = torch.zeros(1, 1, 16)
    z[..., ::2] = x
    u = torch.tensor([0.25, 0.75, 0.75, 0.25]).reshape(1, 1, 4)
    manual = torch.nn.functional.conv1d(z, u, padding=2)[..., 0:16]
    assert torch.allclose(up[..., 2:-2], manual[..., 2:-2])


def test_channels_for_factor_hits_the_target() -> None:
    for arch in ["i", "ii", "iii", "iv"]:
        for factor in [1, 4, 16]:
            k, f = dd.channels_for_factor(arch, factor, 32, depth=3)
            assert f == dd.architecture_parameter_count(arch, k, 3) / 32**2
            assert abs(np.log(f / factor)) < np.log(1.5), (arch, factor, k, f)


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="architecture"):
        dd.ConvGenerator(16, 4, 2, architecture="v")
    with pytest.raises(ValueError, match="multiple"):
        dd.ConvGenerator(18, 4, 2, architecture="i")
    with pytest.raises(ValueError, match="ndim"):
        dd.ConvGenerator(16, 4, 2, ndim=3)
    with pytest.raises(ValueError, match="factor"):
        dd.channels_for_factor("i", 0.0, 16, 2)
    with pytest.raises(ValueError, match="out_size"):
        dd.ConvGenerator(16.0, 4, 2)
    with pytest.raises(ValueError, match="out_size"):
        dd.channels_for_factor("i", 4.0, (16, 16, 16), 2)
    with pytest.raises(ValueError, match="targets"):
        dd.fit_architectures({}, ["i"], [1], depth=2, steps=1)


def test_fit_architectures_table() -> None:
    rng = np.random.default_rng(0)
    x = dd.test_image("phantom", 16)
    z = rng.standard_normal(x.shape)
    tab = dd.fit_architectures(
        {"img": x, "noise": z},
        ["i", "iii"],
        [1, 4],
        depth=2,
        steps=6,
        record_every=3,
        track_weights=True,
    )
    assert tab["rel_loss"].shape == (8, 3)
    assert tab["weight_distance"].shape == (8, 2, 3)
    assert tab["target"].tolist()[:2] == ["img", "noise"]
    assert np.all(tab["weight_distance"][:, :, 0] == 0)


def test_output_scale_scales_only_the_initial_output() -> None:
    for arch in ["i", "iii"]:
        a = dd.ConvGenerator(16, 4, 2, architecture=arch, seed=3, device="cpu")
        b = dd.ConvGenerator(
            16, 4, 2, architecture=arch, output_scale=0.01, seed=3, device="cpu"
        )
        assert torch.allclose(b(), 0.01 * a(), atol=1e-7)
        # the hidden layers and the input are the same draw
        assert all(
            torch.equal(p, q)
            for p, q in zip(a.mixing_weights(), b.mixing_weights(), strict=True)
        )
        assert torch.equal(a.input, b.input)
    fixed = dd.ConvGenerator(
        16, 4, 2, ndim=1, fixed_output=True, output_scale=0.5, seed=0, device="cpu"
    )
    assert torch.allclose(
        fixed.net[-1].weight.abs(), torch.full_like(fixed.net[-1].weight, 0.25)
    )
    with pytest.raises(ValueError, match="output_scale"):
        dd.ConvGenerator(16, 4, 2, output_scale=-1.0)


def test_fit_architectures_explicit_channels_and_small_start() -> None:
    x = dd.test_image("phantom", 16)
    tab = dd.fit_architectures(
        {"img": x},
        ["i", "iv"],
        [1, 4],
        depth=2,
        steps=2,
        record_every=1,
        channels={"i": [3, 5], "iv": [2, 4]},
        output_scale=1e-3,
    )
    assert tab["channels"].tolist() == [3, 5, 2, 4]
    assert tab["factor"].tolist() == [1.0, 4.0, 1.0, 4.0]
    assert np.allclose(
        tab["realised"],
        [
            dd.architecture_parameter_count(a, k, 2) / 256
            for a, k in [("i", 3), ("i", 5), ("iv", 2), ("iv", 4)]
        ],
    )
    # starting near the zero image, the relative loss starts near 1
    # (loss / mean square of the target)
    assert np.all(np.abs(tab["rel_loss"][:, 0] - 1.0) < 0.01)
    with pytest.raises(ValueError, match="one count per factor"):
        dd.fit_architectures(
            {"img": x}, ["i"], [1, 4], depth=2, steps=1, channels={"i": [3]}
        )
