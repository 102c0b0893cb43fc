"""One fitting engine for every un-trained generator of the course.

Taught in chapter 6; chapters 7-9 use it for their fits.

:func:`fit` minimises the mean squared residual ``||A(G(C)) - y||^2 / m`` over the
generator's weights ``C`` with Adam, SGD with momentum or plain gradient descent,
starting from the generator's random initialisation.  (The papers write
``1/2 ||A(G(C)) - y||^2``; the two differ by the constant factor ``2/m``, which Adam
ignores and a gradient-descent step size absorbs.)  It records the loss, and, when
a clean ``reference`` is given, the MSE and PSNR of the network output to it,
keeps snapshots of the output, the oracle best iterate, an optional early-stopping
iteration, and the relative distance of each layer's weights from their
initialisation.

Speed (measured in ``benchmarks/fit_speed.py``): 2-D networks are stored
``channels_last``, which makes the deep decoder's 1x1 convolutions 2-3x faster on
CPUs.  bfloat16 autocast (float32 master weights) is available with
``precision="bfloat16"`` (or ``"auto"``: bfloat16 where the device runs it natively)
but is not the default: on a 64x64 denoising fit its best PSNR agreed with float32
within 0.12 dB, yet single iterates differed by up to 1 dB, because Adam at
``lr = 0.01`` makes the PSNR curve oscillate by about 1 dB from step to step and the
two precisions follow different oscillations.  Printed results would then depend on
the machine.  (Where the CPU has no native bfloat16, AVX2 only, bfloat16 is emulated and
3-5x slower; with AVX512-BF16 it is 2.3-2.7x faster.)  The deep image prior is kept in
NCHW: its 3x3 convolutions with few channels ran 1.8x slower channels_last.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from ._checks import check_int, check_nonnegative, check_positive
from .images import to_image, to_tensor

__all__ = [
    "FitResult",
    "FitJob",
    "fit",
    "fit_many",
    "discrepancy_stop",
    "bf16_supported",
    "identity",
]

Precision = Literal["auto", "float32", "bfloat16"]
_OPTIMIZERS = ("adam", "sgd", "gd")
_DEFAULT_LR = {"adam": 0.01, "sgd": 0.1, "gd": 0.1}


def identity(x: torch.Tensor) -> torch.Tensor:
    """The identity measurement operator (denoising): ``A(x) = x``.

    Taught in chapter 6.

    Examples
    --------
    >>> import torch
    >>> bool(torch.equal(identity(torch.ones(2)), torch.ones(2)))
    True
    """
    return x


def bf16_supported(device: torch.device | str) -> bool:
    """Whether bfloat16 autocast runs natively (fast) on ``device``.

    Taught in chapter 6.  On a CUDA device: :func:`torch.cuda.is_bf16_supported`; on
    the CPU: oneDNN's bfloat16 support (AVX512-BF16 or AMX), without which bfloat16
    is emulated and slower than float32.

    Examples
    --------
    >>> isinstance(bf16_supported("cpu"), bool)
    True
    """
    dev = torch.device(device)
    if dev.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if dev.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


class DiscrepancyStop:
    """The rule made by :func:`discrepancy_stop` (a class, so that it can be sent to the
    worker processes of :func:`fit_many`)."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold

    def __call__(self, iteration: int, loss: float) -> bool:
        return loss <= self.threshold

    def __repr__(self) -> str:
        return f"DiscrepancyStop(threshold={self.threshold:.6g})"


def discrepancy_stop(sigma: float, factor: float = 1.0) -> DiscrepancyStop:
    """Morozov's discrepancy principle as a stopping rule for :func:`fit`.

    Taught in chapter 6.  Stop at the first iteration whose mean squared residual
    ``||G(C_t) - y||^2 / m`` is at most ``factor * sigma**2``: the network then
    explains the measurements as well as the true image would (for which the
    residual is the noise, of mean square ``sigma**2``).  It needs the noise level,
    not the clean image.

    Parameters
    ----------
    sigma : float
        Standard deviation of the noise (per entry, same units as ``y``).
    factor : float, default 1.0
        Safety factor (Morozov's ``tau >= 1`` squared); 1 stops exactly at the noise
        level.

    Returns
    -------
    callable
        ``rule(iteration, loss) -> bool``.

    Examples
    --------
    >>> rule = discrepancy_stop(0.1)
    >>> rule(10, 0.02), rule(11, 0.0099)
    (False, True)
    """
    sigma = check_positive(sigma, "sigma")
    factor = check_positive(factor, "factor")
    return DiscrepancyStop(factor * sigma**2)


@dataclass
class FitResult:
    """What :func:`fit` returns.  Taught in chapter 6.

    Attributes
    ----------
    iterations : ndarray of int
        The recorded iterations ``t`` (0 is the initialisation; the last is the final
        one).
    loss : ndarray
        Mean squared residual ``||A(G(C_t)) - y||^2 / m`` at those iterations.
    mse, psnr : ndarray or None
        MSE and PSNR (dB, peak 1) of ``G(C_t)`` to the reference, when one was given.
    output : ndarray
        The final network output as an image (``(H, W)``, ``(H, W, 3)`` or ``(n,)``).
    best_iteration, best_psnr, best_output :
        The recorded iterate with the highest PSNR. **An oracle**: it needs the clean
        image, which a denoiser does not have.  ``None`` without a reference.
    stopped_at : int or None
        The first recorded iteration at which ``stop`` fired, else ``None``.
    stop_output : ndarray or None
        The network output at ``stopped_at`` (the estimate the stopping rule delivers).
    lowest_loss_iteration, lowest_loss_output :
        The recorded iterate with the smallest training loss: what a fit "run to
        convergence" delivers without the clean image, robust to the step-to-step
        oscillations of Adam that make the last iterate a lottery.
    snapshots : dict
        ``{t: image}`` for the requested snapshot iterations that were reached.
    weight_distance : dict or None
        ``{layer name: ||W_t - W_0|| / ||W_0||}`` per recorded iteration, with
        ``track_weights``.
    wall_time : float
        Seconds spent in the optimisation loop.
    precision : str
        ``"float32"`` or ``"bfloat16"``: what the forward/backward passes used.

    Examples
    --------
    >>> import dd_lib as dd
    >>> img = dd.test_image("camera", 16)
    >>> res = dd.fit(
    ...     dd.DeepDecoder(16, channels=4, depth=1, seed=0, device="cpu"),
    ...     img,
    ...     steps=20,
    ...     record_every=5,
    ...     progress=False,
    ... )
    >>> res.iterations.tolist(), res.first_below(res.loss[0]) == 0
    ([0, 5, 10, 15, 20], True)
    """

    iterations: NDArray[np.int64]
    loss: NDArray[np.float64]
    mse: NDArray[np.float64] | None
    psnr: NDArray[np.float64] | None
    output: NDArray[np.float64]
    best_iteration: int | None
    best_psnr: float | None
    best_output: NDArray[np.float64] | None
    stopped_at: int | None
    stop_output: NDArray[np.float64] | None = None
    lowest_loss_iteration: int = 0
    lowest_loss_output: NDArray[np.float64] | None = None
    snapshots: dict[int, NDArray[np.float64]] = field(default_factory=dict)
    weight_distance: dict[str, NDArray[np.float64]] | None = None
    wall_time: float = 0.0
    precision: str = "float32"

    def first_below(self, level: float, curve: str = "loss") -> int | None:
        """First recorded iteration at which ``curve`` (``"loss"`` or ``"mse"``) is at
        most ``level`` (``None`` if it never is)."""
        values = getattr(self, curve)
        if values is None:
            raise ValueError(
                f"this fit recorded no {curve!r} (give a reference for 'mse')"
            )
        hit = np.flatnonzero(values <= level)
        return int(self.iterations[hit[0]]) if hit.size else None


def _as_measurement(
    y: Any, shape: tuple[int, ...] | None, device: torch.device
) -> torch.Tensor:
    if y.is_complex() if isinstance(y, torch.Tensor) else np.iscomplexobj(y):
        raise ValueError(
            "y is complex; fit real measurements (for complex data, e.g. k-space, "
            "pass its real and imaginary parts as channels, or an operator that "
            "returns real values)"
        )
    if isinstance(y, torch.Tensor):
        t = y.detach().to(device=device, dtype=torch.float32)
    else:
        arr = np.asarray(y, dtype=np.float64)
        t = (
            to_tensor(arr, device=device)
            if shape is not None
            else torch.as_tensor(arr, dtype=torch.float32, device=device)
        )
    if not torch.isfinite(t).all():
        raise ValueError(
            "y contains non-finite values (nan or inf); measurements must be finite"
        )
    if shape is not None and tuple(t.shape) != shape:
        raise ValueError(
            f"y has shape {tuple(t.shape)} but the generator outputs {shape}; give y "
            "in the image layout of the output ((H, W) grey, (H, W, C) colour, or the "
            "tensor shape) or pass an operator"
        )
    return t


def _layer_weights(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: p for name, p in model.named_parameters() if p.ndim >= 2}


def fit(
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
    """Fit an un-trained generator ``G = model`` to measurements ``y = A(x) (+ noise)``.

    Taught in chapter 6.  Minimises ``||A(G(C)) - y||^2 / m`` from the model's current
    (random) weights.  ``model()`` must return the image, shape ``(1, c, ...)``.

    Parameters
    ----------
    model : torch.nn.Module
        The generator (e.g. :class:`dd_lib.DeepDecoder`,
        :class:`dd_lib.DeepImagePrior`); it is trained in place and stays on its device.
    y : array_like or torch.Tensor
        Measurements.  Without ``operator``: an image of the output's size, ``(H, W)``
        (grey), ``(H, W, C)`` (colour) or the tensor shape ``(1, C, H, W)``.  With an
        operator: whatever ``operator(model())`` returns.
    operator : callable, optional
        The forward map ``A`` on tensors (default: identity, i.e. denoising).
    steps : int
        Number of optimisation steps, at least 1.
    optimizer : {"adam", "sgd", "gd"}, default "adam"
        Adam; SGD with ``momentum``; or plain gradient descent (SGD without momentum).
    lr : float, optional
        Learning rate (default 0.01 for Adam, as in the authors' comparisons; 0.1 else).
    momentum : float, default 0.9
        Momentum of ``"sgd"``.
    reference : array_like, optional
        Clean image (same layout as ``y`` without operator), to record MSE and PSNR.
    record_every : int, default 1
        Record every ``record_every``-th iteration (and always the first and last).
    snapshots : iterable of int
        Iterations at which to keep a copy of the output (0 = initialisation).
    stop : callable, optional
        ``stop(t, loss) -> bool`` is evaluated at every recorded iteration; at the first
        ``True`` the fit ends (e.g. :func:`discrepancy_stop`), unless ``run_past_stop``.
    run_past_stop : bool, default False
        Keep fitting after ``stop`` fired, to compare the rule's iterate
        (``stop_output``) with later ones and with the oracle, from one run.
    track_weights : bool, default False
        Record ``||W_t - W_0||_F / ||W_0||_F`` for each weight tensor (chapter 7).
    precision : {"float32", "bfloat16", "auto"}, default "float32"
        ``"bfloat16"`` runs forward and backward passes under bfloat16 autocast (float32
        master weights); ``"auto"`` does so where :func:`bf16_supported` says the device
        runs it natively.  See the module notes for why float32 is the default.
    channels_last : bool, optional
        Store 2-D networks ``channels_last``.  Default: the model's own preference, its
        attribute ``prefers_channels_last`` (True when absent): the deep decoder's 1x1
        convolutions run 1.4-3x faster that way on CPUs, the deep image prior's 3x3
        convolutions with few channels 1.8x slower (21.3 against 11.7 ms per step at
        64x64, measured on a 2-core AVX512 CPU).
    progress : bool, default True
        Show a ``tqdm`` progress bar.
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    FitResult

    Raises
    ------
    ValueError
        For ``steps < 1``, an unknown optimiser or precision, non-finite ``y``, a ``y``
        or ``reference`` whose shape does not match, or non-positive ``lr`` or
        ``record_every``.

    Examples
    --------
    >>> import numpy as np, dd_lib as dd
    >>> img = dd.test_image("camera", 32)
    >>> net = dd.DeepDecoder(32, channels=8, depth=2, seed=0, device="cpu")
    >>> res = dd.fit(
    ...     net, img, steps=50, reference=img, progress=False, precision="float32"
    ... )
    >>> bool(res.loss[-1] < res.loss[0]), res.iterations[-1], res.output.shape
    (True, np.int64(50), (32, 32))
    """
    options = _validate_options(
        steps=steps,
        optimizer=optimizer,
        lr=lr,
        momentum=momentum,
        record_every=record_every,
        snapshots=snapshots,
        precision=precision,
    )
    problem = _prepare(model, y, operator, reference, precision, channels_last)
    opt = _make_optimizer(problem.params, options)
    recorder = _Recorder(
        model,
        problem.reference,
        record_every=options.record_every,
        snapshots=options.snapshots,
        stop=stop,
        track_weights=track_weights,
    )
    from tqdm.auto import tqdm  # imported here: notebooks get the widget bar

    bar = tqdm(
        total=options.steps,
        desc=desc or type(model).__name__,
        disable=not progress,
        leave=False,
    )
    start = time.perf_counter()
    final_out = _optimise(
        model, problem, opt, recorder, options.steps, run_past_stop, bar
    )
    wall = time.perf_counter() - start
    bar.close()
    return recorder.result(final_out, wall, problem.precision)


@dataclass(frozen=True)
class _Options:
    """The validated scalar options of :func:`fit`."""

    steps: int
    optimizer: str
    lr: float
    momentum: float
    record_every: int
    snapshots: frozenset[int]


def _validate_options(
    *,
    steps: int,
    optimizer: str,
    lr: float | None,
    momentum: float,
    record_every: int,
    snapshots: Iterable[int],
    precision: str,
) -> _Options:
    """Check :func:`fit`'s options; fill in the optimiser's default step size."""
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
    snap_set = frozenset(check_int(s, "snapshot iteration", 0) for s in snapshots)
    return _Options(steps, optimizer, lr, momentum, record_every, snap_set)


@dataclass
class _Problem:
    """The model's trainable parameters and the tensors of one fit, on its device."""

    params: list[nn.Parameter]
    operator: Callable[[torch.Tensor], torch.Tensor]
    y: torch.Tensor
    reference: torch.Tensor | None
    autocast: torch.autocast
    precision: str


def _prepare(
    model: nn.Module,
    y: Any,
    operator: Callable[[torch.Tensor], torch.Tensor] | None,
    reference: Any | None,
    precision: str,
    channels_last: bool | None,
) -> _Problem:
    """Put the model in training mode and its preferred memory layout, bring ``y`` and
    the reference to its device in the output's layout, check their shapes (and the
    operator's), and choose the autocast precision."""
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
        # Module.to accepts memory_format at run time; torch's stub omits it
        model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
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
    return _Problem(
        params, op, y_t, ref_t, autocast, "bfloat16" if use_bf16 else "float32"
    )


def _make_optimizer(
    params: list[nn.Parameter], options: _Options
) -> torch.optim.Optimizer:
    """Adam, SGD with momentum, or plain gradient descent (SGD without momentum)."""
    if options.optimizer == "adam":
        return torch.optim.Adam(params, lr=options.lr)
    momentum = options.momentum if options.optimizer == "sgd" else 0.0
    return torch.optim.SGD(params, lr=options.lr, momentum=momentum)


class _Recorder:
    """Keeps what a fit records: the curves (loss; MSE to the reference; each layer's
    relative distance from its initialisation), the oracle-best and lowest-loss
    iterates, the snapshots, and the iteration at which the stopping rule fired."""

    def __init__(
        self,
        model: nn.Module,
        reference: torch.Tensor | None,
        *,
        record_every: int,
        snapshots: frozenset[int],
        stop: Callable[[int, float], bool] | None,
        track_weights: bool,
    ) -> None:
        self.model = model
        self.reference = reference
        self.record_every = record_every
        self.snapshot_at = snapshots
        self.stop = stop
        self.track_weights = track_weights
        self.weights0 = (
            {k: v.detach().clone() for k, v in _layer_weights(model).items()}
            if track_weights
            else {}
        )
        self.iterations: list[int] = []
        self.loss: list[float] = []
        self.mse: list[float] = []
        self.weight_distance: dict[str, list[float]] = {k: [] for k in self.weights0}
        self.snapshots: dict[int, NDArray[np.float64]] = {}
        # (psnr, iteration, output) and (loss, iteration, output)
        self.best: tuple[float, int | None, torch.Tensor | None] = (
            -math.inf,
            None,
            None,
        )
        self.lowest: tuple[float, int, torch.Tensor | None] = (math.inf, 0, None)
        self.stopped_at: int | None = None
        self.stop_output: torch.Tensor | None = None

    def wants(self, t: int) -> bool:
        """Whether iteration ``t`` is recorded or snapshotted (needs the loss value)."""
        return t % self.record_every == 0 or t in self.snapshot_at

    def observe(self, t: int, out: torch.Tensor, loss_value: float) -> bool:
        """Record iterate ``t`` of the loop (before its step); True when the stopping
        rule fires here for the first time."""
        recorded = t % self.record_every == 0
        if recorded:
            self._record(t, out, loss_value)
        if t in self.snapshot_at:
            self.snapshots[t] = to_image(out.detach().float())
        return recorded and self._check_stop(
            t, loss_value, lambda: out.detach().float().clone()
        )

    def observe_final(self, t: int, out: torch.Tensor, loss_value: float) -> None:
        """Record the iterate after the last step (always recorded)."""
        self._record(t, out, loss_value)
        if t in self.snapshot_at:
            self.snapshots[t] = to_image(out)
        self._check_stop(t, loss_value, lambda: out)

    def _check_stop(
        self, t: int, loss_value: float, output: Callable[[], torch.Tensor]
    ) -> bool:
        if self.stop is None or self.stopped_at is not None:
            return False
        if not self.stop(t, loss_value):
            return False
        self.stopped_at, self.stop_output = t, output()
        return True

    def _record(self, t: int, out: torch.Tensor, loss_value: float) -> None:
        self.iterations.append(t)
        self.loss.append(loss_value)
        if loss_value < self.lowest[0]:
            self.lowest = (loss_value, t, out.detach().float().clone())
        if self.reference is not None:
            with torch.no_grad():
                mse = float(torch.mean((out.float() - self.reference) ** 2))
            self.mse.append(mse)
            p = 10 * math.log10(1.0 / mse) if mse > 0 else math.inf
            if p > self.best[0]:
                self.best = (p, t, out.detach().float().clone())
        if self.weights0:
            current = dict(self.model.named_parameters())
            for k, w0 in self.weights0.items():
                w = current[k].detach()
                distance = torch.linalg.norm(w - w0) / torch.linalg.norm(w0)
                self.weight_distance[k].append(float(distance))

    def result(self, final_out: torch.Tensor, wall: float, precision: str) -> FitResult:
        """The :class:`FitResult` of the fit that ended with output ``final_out``."""
        has_ref = self.reference is not None
        psnr = None
        if has_ref:
            with np.errstate(divide="ignore"):
                psnr = 10 * np.log10(1.0 / np.asarray(self.mse))
        best_psnr, best_t, best_out = self.best
        _, lowest_t, lowest_out = self.lowest
        return FitResult(
            iterations=np.asarray(self.iterations, dtype=np.int64),
            loss=np.asarray(self.loss),
            mse=np.asarray(self.mse) if has_ref else None,
            psnr=psnr,
            output=to_image(final_out),
            best_iteration=best_t,
            best_psnr=None if best_t is None else float(best_psnr),
            best_output=None if best_out is None else to_image(best_out),
            stopped_at=self.stopped_at,
            stop_output=None
            if self.stop_output is None
            else to_image(self.stop_output),
            lowest_loss_iteration=lowest_t,
            lowest_loss_output=None if lowest_out is None else to_image(lowest_out),
            snapshots=self.snapshots,
            weight_distance={k: np.asarray(v) for k, v in self.weight_distance.items()}
            if self.track_weights
            else None,
            wall_time=wall,
            precision=precision,
        )


def _optimise(
    model: nn.Module,
    problem: _Problem,
    opt: torch.optim.Optimizer,
    recorder: _Recorder,
    steps: int,
    run_past_stop: bool,
    bar: Any,
) -> torch.Tensor:
    """The optimisation loop; returns the output the fit delivers (the last iterate,
    or the stopping rule's iterate when it fired and ``run_past_stop`` is False)."""
    for t in range(steps):
        opt.zero_grad(set_to_none=True)
        with problem.autocast:
            out = model()
            residual = problem.operator(out.float()) - problem.y
        loss = torch.mean(residual**2)
        loss.backward()
        if recorder.wants(t):
            fired = recorder.observe(t, out, float(loss.detach()))
            if fired and not run_past_stop:
                assert recorder.stop_output is not None  # set by observe when it fires
                return recorder.stop_output
        opt.step()
        bar.update(1)
    with torch.no_grad(), problem.autocast:
        final_out = model().float()
        final_loss = float(torch.mean((problem.operator(final_out) - problem.y) ** 2))
    recorder.observe_final(steps, final_out, final_loss)
    return final_out


@dataclass
class FitJob:
    """One fit for :func:`fit_many`: how to build the generator, and what to fit.

    Taught in chapter 6.  The generator is built inside the process that fits it, as
    ``model(*model_args, **model_kwargs)``; ``fit_kwargs`` are passed to :func:`fit`
    (``y``, ``steps``, ``reference``, ``stop``, ...).  Everything must be picklable.

    Examples
    --------
    >>> import dd_lib as dd
    >>> job = FitJob(
    ...     dd.DeepDecoder,
    ...     (16,),
    ...     dict(channels=4, depth=1, seed=0, device="cpu"),
    ...     dict(y=dd.test_image("camera", 16), steps=5, progress=False),
    ... )
    >>> job.build().num_parameters()  # (d+1) k^2 + 2k(d+1) + kc with k=4, d=1, c=1
    52
    """

    model: type
    model_args: tuple = ()
    model_kwargs: dict = field(default_factory=dict)
    fit_kwargs: dict = field(default_factory=dict)

    def build(self) -> nn.Module:
        """Construct the generator."""
        return self.model(*self.model_args, **self.model_kwargs)

    def run(self) -> FitResult:
        """Build the generator and fit it (in this process)."""
        return fit(self.build(), **self.fit_kwargs)


_POOL: Any = None


def _worker_init() -> None:
    torch.set_num_threads(1)


def _run_job(job: FitJob) -> FitResult:
    return job.run()


def _pool(workers: int) -> Any:
    global _POOL
    if _POOL is None or _POOL._max_workers != workers:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        if _POOL is not None:
            _POOL.shutdown()
        _POOL = ProcessPoolExecutor(
            workers, mp_context=mp.get_context("spawn"), initializer=_worker_init
        )
    return _POOL


def fit_many(
    jobs: list[FitJob], workers: int | None = None, *, progress: bool = True
) -> list[FitResult]:
    """Run independent fits, in parallel worker processes where that is faster.

    Taught in chapter 6.  On a CPU the fits run in ``workers`` processes (default 2
    when the machine has at least 2 cores), each with **one** thread: for the small
    networks of the book a deep-decoder step runs at 89 iterations/s on one thread
    against 99 on two (64x64, k = 64, on the course's 2-core CPU), so two
    single-threaded fits side by side nearly double the throughput.  (Two processes
    that *each* use every core slow each other down by an order of magnitude: never do
    that.)  Jobs whose ``device`` is a GPU, and ``workers=1``, run one after the other
    in this process.  Results come back in the order of ``jobs``; with two or more
    workers they do not depend on how many, since every worker fits with one thread.

    Parameters
    ----------
    jobs : list of FitJob
        The fits.
    workers : int, optional
        Number of worker processes (default: 2 on a CPU with at least 2 cores, else 1).
    progress : bool, default True
        A progress bar over the jobs.

    Returns
    -------
    list of FitResult

    Examples
    --------
    >>> import dd_lib as dd
    >>> img = dd.test_image("camera", 16)
    >>> jobs = [
    ...     FitJob(
    ...         dd.DeepDecoder,
    ...         (16,),
    ...         dict(channels=4, depth=1, seed=s, device="cpu"),
    ...         dict(y=img, steps=5, progress=False),
    ...     )
    ...     for s in range(2)
    ... ]
    >>> [len(r.loss) for r in fit_many(jobs, workers=1, progress=False)]
    [6, 6]
    """
    import os

    jobs = list(jobs)
    if not all(isinstance(j, FitJob) for j in jobs):
        raise ValueError("jobs must be a list of dd.FitJob")
    on_gpu = any(
        str(j.model_kwargs.get("device", "cpu")).startswith("cuda") for j in jobs
    )
    if workers is None:
        workers = 2 if (os.cpu_count() or 1) >= 2 and not on_gpu else 1
    workers = check_int(workers, "workers", 1)
    from tqdm.auto import tqdm

    if workers == 1 or len(jobs) <= 1:
        if len(jobs) == 1 and workers > 1:
            return [_pool(workers).submit(_run_job, jobs[0]).result()]
        return [
            j.run() for j in tqdm(jobs, desc="fits", disable=not progress, leave=False)
        ]
    futures = [_pool(workers).submit(_run_job, j) for j in jobs]
    return [
        f.result()
        for f in tqdm(futures, desc="fits", disable=not progress, leave=False)
    ]
