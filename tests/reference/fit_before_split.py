"""The fitting loop of ``dd_lib.fit`` as one function, frozen before it was split.

``dd_lib.fit`` was a single 218-line function until issue 15 split it into named steps
(validation, preparation, the optimisation loop and a recorder).  This copy of the old
function body is kept only as the oracle of ``tests/test_fit_split.py``: on a set of
fixed problems the split ``dd.fit`` must record bit-identical curves, outputs, best
iterates, snapshots, stops and weight distances, on whatever machine the tests run (both
run in the same process, so no CPU-dependent rounding separates them).  Do not edit it
to follow later changes of ``dd.fit``'s behaviour; remove the test and this file instead
if ``fit`` is deliberately changed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from dd_lib._checks import check_int, check_nonnegative, check_positive
from dd_lib.fitting import (
    _DEFAULT_LR,
    _OPTIMIZERS,
    FitResult,
    Precision,
    _as_measurement,
    _layer_weights,
    bf16_supported,
    identity,
)
from dd_lib.images import to_image


def fit_before_split(
    model: nn.Module,
    y: Any,
    operator: Callable[[torch.Tensor], torch.Tensor] | None = None,
    *,
    steps: int,
    optimizer: str = "adam",
    lr: float | None = None,
    momentum: float = 0.9,
    reference: Any | None = None,
    record_every: int = 1,
    snapshots: Iterable[int] = (),
    stop: Callable[[int, float], bool] | None = None,
    run_past_stop: bool = False,
    track_weights: bool = False,
    precision: Precision = "float32",
    channels_last: bool | None = None,
    progress: bool = True,
    desc: str | None = None,
) -> FitResult:
    """``dd.fit`` as it was before the split (commit 91c7110), verbatim."""
    steps = check_int(steps, "steps", 1)
    record_every = check_int(record_every, "record_every", 1)
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {_OPTIMIZERS}, got {optimizer!r}")
    if precision not in ("auto", "float32", "bfloat16"):
        raise ValueError(
            f"precision must be 'auto', 'float32' or 'bfloat16', got {precision!r}"
        )
    lr = _DEFAULT_LR[optimizer] if lr is None else check_positive(lr, "lr")
    if check_nonnegative(momentum, "momentum") >= 1:
        raise ValueError(f"momentum must be a number in [0, 1), got {momentum!r}")
    snap_set = {check_int(s, "snapshot iteration", 0) for s in snapshots}

    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameters")
    device = params[0].device
    model.train()
    with torch.no_grad():
        out_shape = tuple(model().shape)
    if channels_last is None:
        channels_last = bool(getattr(model, "prefers_channels_last", True))
    if channels_last and len(out_shape) == 4:
        model.to(memory_format=torch.channels_last)
    op = identity if operator is None else operator
    y_t = _as_measurement(y, out_shape if operator is None else None, device)
    ref_t = None
    if reference is not None:
        ref_t = _as_measurement(reference, out_shape, device)
    if operator is not None:
        with torch.no_grad():
            a_shape = tuple(op(model()).shape)
        if a_shape != tuple(y_t.shape):
            raise ValueError(
                f"operator(model()) has shape {a_shape} "
                f"but y has shape {tuple(y_t.shape)}"
            )

    use_bf16 = precision == "bfloat16" or (
        precision == "auto" and bf16_supported(device)
    )
    if use_bf16 and device.type not in ("cpu", "cuda"):
        use_bf16 = False
    autocast = torch.autocast(
        device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16
    )

    if optimizer == "adam":
        opt: torch.optim.Optimizer = torch.optim.Adam(params, lr=lr)
    else:
        opt = torch.optim.SGD(
            params, lr=lr, momentum=momentum if optimizer == "sgd" else 0.0
        )

    weights0 = (
        {k: v.detach().clone() for k, v in _layer_weights(model).items()}
        if track_weights
        else {}
    )
    rec_t: list[int] = []
    rec_loss: list[float] = []
    rec_mse: list[float] = []
    rec_w: dict[str, list[float]] = {k: [] for k in weights0}
    snaps: dict[int, NDArray[np.float64]] = {}
    best = (-math.inf, None, None)  # psnr, iteration, output
    lowest = (math.inf, 0, None)  # loss, iteration, output
    stopped_at: int | None = None
    stop_out: torch.Tensor | None = None

    def record(t: int, out: torch.Tensor, loss_value: float) -> None:
        nonlocal best, lowest
        rec_t.append(t)
        rec_loss.append(loss_value)
        if loss_value < lowest[0]:
            lowest = (loss_value, t, out.detach().float().clone())
        if ref_t is not None:
            with torch.no_grad():
                mse = float(torch.mean((out.float() - ref_t) ** 2))
            rec_mse.append(mse)
            p = 10 * math.log10(1.0 / mse) if mse > 0 else math.inf
            if p > best[0]:
                best = (p, t, out.detach().float().clone())
        for k, w0 in weights0.items():
            w = dict(model.named_parameters())[k].detach()
            rec_w[k].append(float(torch.linalg.norm(w - w0) / torch.linalg.norm(w0)))

    from tqdm.auto import tqdm  # imported here: notebooks get the widget bar

    bar = tqdm(
        total=steps,
        desc=desc or type(model).__name__,
        disable=not progress,
        leave=False,
    )
    start = time.perf_counter()
    t = 0
    for t in range(steps):
        opt.zero_grad(set_to_none=True)
        with autocast:
            out = model()
            residual = op(out.float()) - y_t
        loss = torch.mean(residual**2)
        loss.backward()
        if t % record_every == 0 or t in snap_set:
            lv = float(loss.detach())
            if t % record_every == 0:
                record(t, out, lv)
            if t in snap_set:
                snaps[t] = to_image(out.detach().float())
            if (
                stop is not None
                and stopped_at is None
                and t % record_every == 0
                and stop(t, lv)
            ):
                stopped_at, stop_out = t, out.detach().float().clone()
                if not run_past_stop:
                    final_out = stop_out
                    break
        opt.step()
        bar.update(1)
    else:
        t = steps
        with torch.no_grad(), autocast:
            final_out = model().float()
            final_loss = float(torch.mean((op(final_out) - y_t) ** 2))
        record(t, final_out, final_loss)
        if t in snap_set:
            snaps[t] = to_image(final_out)
        if stop is not None and stopped_at is None and stop(t, final_loss):
            stopped_at, stop_out = t, final_out
    wall = time.perf_counter() - start
    bar.close()

    psnr = None
    if ref_t is not None:
        mse_arr = np.asarray(rec_mse)
        with np.errstate(divide="ignore"):
            psnr = 10 * np.log10(1.0 / mse_arr)
    return FitResult(
        iterations=np.asarray(rec_t, dtype=np.int64),
        loss=np.asarray(rec_loss),
        mse=np.asarray(rec_mse) if ref_t is not None else None,
        psnr=psnr,
        output=to_image(final_out),
        best_iteration=best[1],
        best_psnr=None if best[1] is None else float(best[0]),
        best_output=None if best[2] is None else to_image(best[2]),
        stopped_at=stopped_at,
        stop_output=None if stop_out is None else to_image(stop_out),
        lowest_loss_iteration=lowest[1],
        lowest_loss_output=None if lowest[2] is None else to_image(lowest[2]),
        snapshots=snaps,
        weight_distance={k: np.asarray(v) for k, v in rec_w.items()}
        if track_weights
        else None,
        wall_time=wall,
        precision="bfloat16" if use_bf16 else "float32",
    )
