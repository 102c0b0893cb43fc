"""``dd.fit`` split into named steps records exactly what the single function did.

The oracle is the old function body, frozen in ``tests/reference/fit_before_split.py``.
Both run in this process on the same freshly seeded generators, so every recorded
number must be bit-identical on any machine (no tolerance).  The problems cover each
branch of the loop: recording every few iterations, snapshots at recorded and
unrecorded iterations and after the last step, a stopping rule that ends the fit, one
that fires while the fit runs on, one that fires only after the last step, weight
tracking, an operator, the three optimisers, the deep image prior's NCHW layout, a 1-D
decoder and a colour image.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from reference.fit_before_split import fit_before_split

import dd_lib as dd

STEPS = 24


class StopAt:
    """Fires from iteration ``t0`` on (picklable, deterministic)."""

    def __init__(self, t0: int) -> None:
        self.t0 = t0

    def __call__(self, t: int, loss: float) -> bool:
        return t >= self.t0


def _grey() -> tuple[Callable[[], torch.nn.Module], dict[str, Any]]:
    img = dd.test_image("camera", 16)
    noisy = dd.add_noise(img, 0.1, seed=3)

    def build() -> torch.nn.Module:
        return dd.DeepDecoder(16, channels=8, depth=2, seed=1, device="cpu")

    return build, dict(y=noisy, reference=img)


def _colour_masked() -> tuple[Callable[[], torch.nn.Module], dict[str, Any]]:
    img = dd.test_image("chelsea", 16)
    mask = dd.PixelMask((16, 16), keep=0.5, seed=4, device="cpu")
    y = mask(dd.to_tensor(img, device="cpu"))

    def build() -> torch.nn.Module:
        return dd.DeepDecoder(
            16, channels=8, depth=2, out_channels=3, seed=2, device="cpu"
        )

    return build, dict(y=y, operator=mask, reference=img)


def _dip() -> tuple[Callable[[], torch.nn.Module], dict[str, Any]]:
    img = dd.test_image("camera", 16)

    def build() -> torch.nn.Module:
        return dd.DeepImagePrior(
            16, [4, 4], [2, 2], 4, input_noise_std=1 / 30, seed=5, device="cpu"
        )

    return build, dict(y=dd.add_noise(img, 0.1, seed=6), reference=img)


def _signal_1d() -> tuple[Callable[[], torch.nn.Module], dict[str, Any]]:
    x = np.sin(np.linspace(0, 3 * np.pi, 32)) * 0.4 + 0.5
    a = dd.GaussianMeasurement(16, (1, 32), seed=7, device="cpu")
    y = a(torch.as_tensor(x, dtype=torch.float32).reshape(1, 1, 32))

    def build() -> torch.nn.Module:
        return dd.DeepDecoder(32, channels=6, depth=2, ndim=1, seed=8, device="cpu")

    return build, dict(y=y, operator=a, reference=x)


PROBLEMS: dict[str, tuple[Callable[[], Any], dict[str, Any]]] = {
    "grey, recorded every 3, snapshots, rule fires, runs on, weights": (
        _grey,
        dict(
            record_every=3,
            snapshots=(0, 4, 9, STEPS),
            stop=StopAt(6),
            run_past_stop=True,
            track_weights=True,
        ),
    ),
    "grey, the rule ends the fit": (
        _grey,
        dict(record_every=2, snapshots=(0, 3, 30), stop=StopAt(11)),
    ),
    "grey, the rule fires after the last step": (
        _grey,
        dict(record_every=5, stop=StopAt(STEPS), optimizer="gd", lr=0.5),
    ),
    "colour, pixel mask, SGD with momentum": (
        _colour_masked,
        dict(optimizer="sgd", lr=0.2, momentum=0.8, snapshots=(STEPS,)),
    ),
    "deep image prior (NCHW), every iterate": (
        _dip,
        dict(snapshots=(1, 2), track_weights=True),
    ),
    "1-D decoder, Gaussian measurements, rule ends the fit": (
        _signal_1d,
        dict(record_every=4, stop=StopAt(8), track_weights=True),
    ),
}


def _assert_same(new: dd.FitResult, old: dd.FitResult) -> None:
    for name in (
        "iterations",
        "loss",
        "mse",
        "psnr",
        "output",
        "best_iteration",
        "best_psnr",
        "best_output",
        "stopped_at",
        "stop_output",
        "lowest_loss_iteration",
        "lowest_loss_output",
        "precision",
    ):
        a, b = getattr(new, name), getattr(old, name)
        if a is None or b is None:
            assert a is None, name
            assert b is None, name
        else:
            assert np.array_equal(np.asarray(a), np.asarray(b)), name
    assert new.snapshots.keys() == old.snapshots.keys()
    for t in new.snapshots:
        assert np.array_equal(new.snapshots[t], old.snapshots[t]), f"snapshot {t}"
    if old.weight_distance is None:
        assert new.weight_distance is None
    else:
        assert new.weight_distance is not None
        assert new.weight_distance.keys() == old.weight_distance.keys()
        for k, v in old.weight_distance.items():
            assert np.array_equal(new.weight_distance[k], v), k


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_split_fit_records_what_the_single_function_did(name: str) -> None:
    make, options = PROBLEMS[name]
    build, data = make()
    kwargs = dict(data, steps=STEPS, progress=False, **options)
    new = dd.fit(build(), **kwargs)
    old = fit_before_split(build(), **kwargs)
    _assert_same(new, old)


def test_the_problems_exercise_every_branch() -> None:
    """The comparison above is only as strong as its problems: check that they reach
    the branches (a fit ended by its rule, one run past it, one stopped after the last
    step, snapshots, weights)."""
    results = {}
    for name, (make, options) in PROBLEMS.items():
        build, data = make()
        results[name] = dd.fit(build(), steps=STEPS, progress=False, **data, **options)
    ended = results["grey, the rule ends the fit"]
    assert ended.stopped_at == 12
    assert ended.iterations[-1] == 12
    assert sorted(ended.snapshots) == [0, 3]
    ran_on = results["grey, recorded every 3, snapshots, rule fires, runs on, weights"]
    assert ran_on.stopped_at == 6
    assert ran_on.stop_output is not None
    assert ran_on.iterations[-1] == STEPS
    assert sorted(ran_on.snapshots) == [0, 4, 9, STEPS]
    assert ran_on.weight_distance
    assert results["grey, the rule fires after the last step"].stopped_at == STEPS
    signal = results["1-D decoder, Gaussian measurements, rule ends the fit"]
    assert signal.stopped_at == 8
    assert signal.output.ndim == 1
