"""Time one optimisation step of every kind of network fit the chapters run.

    python book/tools/step_times.py          # paper sizes, on the default device
    python book/tools/step_times.py --scale book --steps 2 5 --out /tmp/t.json

Chapters 6-9 spend nearly all their time fitting networks. This script builds each
kind of fit from the chapter's sizes (``dd_lib.SIZES[chapter][scale]``: network,
image size, forward operator, optimiser, learning rate, recording interval) and runs
it from a fresh network for ``s1`` steps (a warm-up), then for ``s1`` and for
``s2`` steps. The time per step is
``(t2 - t1) / (s2 - s1)``: the difference removes the set-up (building the network,
cuDNN's algorithm search, first-call compilation). Multiplying these times by the
number of steps each chapter runs gives its expected time at that scale
(``book/running_at_paper_scale.md``).

The results go to a JSON file (default
``book/paper_scale/step_times/<device>.json``), with the provenance of the run (the
same fields as ``paper_scale.py`` writes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import paper_scale  # the provenance helpers

import dd_lib as dd
from dd_lib.denoisers import _network_specs

ROOT = Path(__file__).resolve().parents[2]

#: a fit: returns the seconds a run of ``steps`` steps took, from a fresh network
Run = Callable[[int], float]


def _timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _image(size: int, channels: int) -> np.ndarray:
    if channels == 3:
        return dd.test_image("astronaut", size)
    return dd.test_image("camera", size, grey=True)


def _arch(cls: type, args: tuple) -> str:
    """The widths in a chapter-6 network's arguments (size, ..., channels out)."""
    if cls is dd.DeepDecoder:
        return f"k={args[1]} d={args[2]}"
    return f"{args[1]} skip {args[2][0]} input {args[3]}"


def _fit_run(
    build: Callable[[], torch.nn.Module],
    target: np.ndarray,
    *,
    operator: Callable[[torch.Tensor], torch.Tensor] | None,
    optimizer: str,
    lr: float,
    record_every: int,
    track_weights: bool = False,
) -> Run:
    def run(steps: int) -> float:
        model = build()
        if operator is None:
            y: Any = target + 0.1 * np.random.default_rng(0).standard_normal(
                target.shape
            )
            reference: Any = target
        else:
            x = torch.as_tensor(target, dtype=torch.float32, device=dd.get_device())
            with torch.no_grad():
                y = operator(x.reshape(1, 1, *target.shape))
            reference = None
        return _timed(
            lambda: dd.fit(
                model,
                y,
                operator,
                steps=steps,
                optimizer=optimizer,
                lr=lr,
                reference=reference,
                record_every=record_every,
                track_weights=track_weights,
                progress=False,
            )
        )

    return run


def fits(scale: str) -> dict[str, tuple[str, Run, str]]:
    """``{name: (configuration, run, unit)}`` for every kind of fit of chapters 6-9
    (unit: what ``run``'s argument counts, optimisation steps or initialisations)."""
    table: dict[str, tuple[str, Run, str]] = {}
    net: dict[str, Any] = {"seed": 0, "device": dd.get_device()}

    def dip(s: dict[str, Any], c: int, **kw: Any) -> torch.nn.Module:
        chans = s["dip_channels"]
        skips = [s["dip_skip"]] * len(chans)
        kw = {**net, **kw}
        return dd.DeepImagePrior(s["size"], chans, skips, s["dip_input"], c, **kw)

    # chapter 6: the comparison's networks (DD-O, DD-U, DIP), built as it builds them
    s = dd.SIZES["ch6"][scale]
    for c, label in ((3, "colour"), (1, "grey")):
        img = _image(s["size"], c)
        specs = _network_specs(s, c, net["seed"], net["device"])
        for name, (cls, args, kw, _) in specs.items():
            table[f"ch6 {name} {label}"] = (
                f"{cls.__name__} {_arch(cls, args)} {s['size']}^2x{c}, denoising, Adam",
                _fit_run(
                    partial(cls, *args, **kw),
                    img,
                    operator=None,
                    optimizer="adam",
                    lr=0.01,
                    record_every=s["record_every"],
                ),
                "step",
            )

    s = dd.SIZES["ch7"][scale]
    img = _image(s["size"], 1)
    for arch in ("i", "ii", "iii", "iv"):
        if s["channels_arch"] is not None:
            widths = s["channels_arch"][arch]
        else:
            widths = [
                dd.channels_for_factor(arch, f, s["size"], s["depth"])[0]
                for f in s["factors"]
            ]
        for k in sorted(set(widths)):
            table[f"ch7 arch {arch} k={k}"] = (
                f"ConvGenerator {arch} k={k} d={s['depth']} {s['size']}^2, "
                "fit, SGD, weights tracked",
                _fit_run(
                    partial(dd.ConvGenerator, s["size"], k, s["depth"], arch, **net),
                    img,
                    operator=None,
                    optimizer="sgd",
                    lr=s["lr_arch"],
                    record_every=5,
                    track_weights=True,
                ),
                "step",
            )

    # Figure 12: J(C_0)^T y for four targets at many initialisations, in batches
    ys = np.stack([img, img.T, img[::-1], img[:, ::-1]])
    batch = s["jac_batch"]
    for name, make in (
        ("DD", partial(dd.DeepDecoder, s["size"], s["dd_k"], s["depth"])),
        ("DIP", partial(dip, s, 1)),
    ):

        def inits(count: int, make: Callable[..., torch.nn.Module] = make) -> float:
            return _timed(
                lambda: dd.jacobian_transpose_norms(
                    lambda seed: make(seed=seed), ys, range(count), batch=batch
                )
            )

        table[f"ch7 Fig12 {name}"] = (
            f"{name} at {s['size']}^2, J^T y for 4 targets, {batch} initialisations "
            "per vmap",
            inits,
            "initialisation",
        )

    s = dd.SIZES["ch8"][scale]
    img = _image(s["size"], 1)
    n = s["size"] ** 2
    op_cls = (
        dd.RandomSignsFourier if s["operator"] == "fourier" else dd.GaussianMeasurement
    )
    op = op_cls(round(0.25 * n), (1, s["size"], s["size"]), **net)
    table["ch8 DD"] = (
        f"DeepDecoder k={s['k']} d={s['depth']} {s['size']}^2, "
        f"{s['operator']} m=n/4, Adam",
        _fit_run(
            partial(dd.DeepDecoder, s["size"], s["k"], s["depth"], 1, **net),
            img,
            operator=op,
            optimizer="adam",
            lr=s["lr"],
            record_every=s["record_every"],
        ),
        "step",
    )
    table["ch8 DIP"] = (
        f"DeepImagePrior {s['dip_channels']} {s['size']}^2, "
        f"{s['operator']} m=n/4, Adam",
        _fit_run(
            partial(dip, s, 1, input_noise_std=1 / 30),
            img,
            operator=op,
            optimizer="adam",
            lr=s["lr"],
            record_every=s["record_every"],
        ),
        "step",
    )

    s = dd.SIZES["ch9"][scale]
    truth = dd.brain_slice(s["test_z"], s["size"])
    sim = dd.simulate_multicoil(truth, coils=s["coils"], snr_db=s["snr_db"], seed=0)
    mask = dd.cartesian_mask(
        s["size"], acceleration=4, center_fraction=s["center_fractions"][0], seed=0
    )
    for label, maps in (("with maps", sim["sensitivities"]), ("without maps", None)):

        def run(steps: int, maps: Any = maps) -> float:
            return _timed(
                lambda: dd.fit_mri_decoder(
                    sim["kspace"],
                    mask,
                    sensitivities=maps,
                    target=truth,
                    channels=s["channels"],
                    depth=s["depth"],
                    steps=steps,
                    lr=s["lr"],
                    record_every=s["record_every"],
                )
            )

        table[f"ch9 DD {label}"] = (
            f"DeepDecoder k={s['channels']} d={s['depth']} {s['size']}^2, "
            f"{s['coils']} coils, 4x, Adam",
            run,
            "step",
        )
    return table


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("paper", "book"), default="paper")
    parser.add_argument(
        "--steps", type=int, nargs=2, default=(20, 220), metavar=("S1", "S2")
    )
    parser.add_argument("--only", default="", help="run the fits whose name has this")
    parser.add_argument("--out", type=Path, default=None, help="the JSON file")
    args = parser.parse_args(argv)
    s1, s2 = args.steps
    if not 1 <= s1 < s2:
        parser.error("--steps S1 S2 needs 1 <= S1 < S2")
    torch.manual_seed(0)
    device = paper_scale.device_description()
    out = args.out or (
        ROOT / "book" / "paper_scale" / "step_times" / f"{slug(device['device'])}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "scale": args.scale,
        "rows": [],
        "provenance": {**paper_scale.git_state(), **device},
    }
    for name, (config, run, unit) in fits(args.scale).items():
        if args.only not in name:
            continue
        row: dict[str, Any] = {"fit": name, "config": config, "unit": unit}
        try:
            run(s1)  # warm-up: first-call costs that a chapter pays once
            t1, t2 = run(s1), run(s2)
        except torch.OutOfMemoryError as err:  # recorded; the other fits go on
            row["error"] = f"out of memory: {str(err).splitlines()[0]}"
            print(f"{name:24s} out of memory   ({config})", flush=True)
            torch.cuda.empty_cache()
        else:
            ms = 1000 * (t2 - t1) / (s2 - s1)
            row |= {"counts": [s1, s2], "seconds": [round(t1, 4), round(t2, 4)]}
            row["ms_per_unit"] = round(ms, 3)
            print(f"{name:24s} {ms:9.2f} ms per {unit}   ({config})", flush=True)
        record["rows"].append(row)
        # written after every fit, so that a run cut short keeps what it measured
        record["provenance"]["date_utc"] = dt.datetime.now(dt.UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        out.write_text(json.dumps(record, indent=1) + "\n")
    print(f"-> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
