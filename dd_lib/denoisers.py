"""Classical denoisers, through their libraries (never re-implemented).

Taught in chapter 6, as the baselines of the denoising comparison.

- BM3D (Dabov et al., 2007): the ``bm3d`` package (4.0.3, a non-commercial licence);
  :func:`bm3d.bm3d` for grey and :func:`bm3d.bm3d_rgb` for colour images.
- Total variation (Rudin, Osher & Fatemi, 1992):
  :func:`skimage.restoration.denoise_tv_chambolle`.
- Non-local means (Buades, Coll & Morel, 2005):
  :func:`skimage.restoration.denoise_nl_means`.
- Wavelet shrinkage (BayesShrink, Chang, Yu & Vetterli, 2000):
  :func:`skimage.restoration.denoise_wavelet`.
- BM3D for noise shared by the colour channels (Table 1's protocol of the denoising
  paper), ``"BM3D (luminance)"``: identical noise in R, G and B lies along the grey
  direction ``(1, 1, 1)/sqrt(3)``, with standard deviation ``sqrt(3) sigma`` there and
  none in the two chrominance directions.  This variant denoises the orthonormal
  luminance ``(R + G + B)/sqrt(3)`` with grey BM3D at ``sqrt(3) sigma`` and keeps the
  (noise-free) chrominance of the noisy image: the correctly specified BM3D for that
  protocol, where :func:`bm3d.bm3d_rgb` assumes independent noise of level ``sigma``
  in every channel.

Every denoiser is given the true noise standard deviation ``sigma``.  The one free
parameter of TV, NL-means and wavelets is written as a multiple ``strength`` of
``sigma`` (TV weight, NL-means filter parameter ``h``, wavelet noise level);
:func:`tune_strength` chooses it on an image outside the comparison.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, denoise_wavelet

from ._checks import as_real_array, check_int, check_positive
from .metrics import psnr

__all__ = [
    "CLASSICAL_DENOISERS",
    "SHARED_NOISE_DENOISERS",
    "COMPARISON_METHODS",
    "denoise",
    "tune_strength",
    "denoising_comparison",
]

Array = NDArray[np.float64]

#: The classical denoisers of the comparison and the default strength of each
#: (a multiple of sigma; BM3D takes sigma itself and has no free parameter here).
CLASSICAL_DENOISERS: dict[str, float] = {
    "BM3D": 1.0,
    "TV": 1.0,
    "NL-means": 0.8,
    "wavelet": 1.0,
}
#: Denoisers for colour images whose noise is the same in every channel (``add_noise``'s
#: ``protocol="shared"``); same strength convention.
SHARED_NOISE_DENOISERS: dict[str, float] = {"BM3D (luminance)": 1.0}


def _channel_axis(img: Array) -> int | None:
    return -1 if img.ndim == 3 else None


def denoise(
    method: str, noisy: Any, sigma: float, strength: float | None = None
) -> Array:
    """Denoise an image with a classical method, given the noise level.

    Taught in chapter 6.

    Parameters
    ----------
    method : {"BM3D", "TV", "NL-means", "wavelet", "BM3D (luminance)"}
        The denoiser.  ``"BM3D (luminance)"`` is for colour images whose noise is the
        same in the three channels (it needs ``(H, W, 3)``; see the module docstring).
    noisy : array_like
        Noisy image, ``(H, W)`` grey or ``(H, W, 3)`` colour, values about ``[0, 1]``.
    sigma : float
        True noise standard deviation (on the ``[0, 1]`` scale), positive.
    strength : float, optional
        The method's parameter as a multiple of ``sigma`` (default
        :data:`CLASSICAL_DENOISERS`): TV weight ``strength * sigma``; NL-means
        ``h = strength * sigma`` (patch 5, search distance 6, ``fast_mode``);
        wavelet noise estimate ``strength * sigma`` (BayesShrink, soft thresholds,
        ``db1``, the library's defaults); BM3D ``sigma_psd = strength * sigma``.

    Returns
    -------
    ndarray
        The estimate, clipped to ``[0, 1]``, same shape as ``noisy``.

    Examples
    --------
    >>> import dd_lib as dd
    >>> x = dd.test_image("camera", 64)
    >>> y = dd.add_noise(x, 0.1, seed=0)
    >>> bool(dd.psnr(x, denoise("TV", y, 0.1)) > dd.psnr(x, y))
    True
    """
    known = {**CLASSICAL_DENOISERS, **SHARED_NOISE_DENOISERS}
    if method not in known:
        raise ValueError(f"unknown method {method!r}; choose one of {list(known)}")
    img = as_real_array(noisy, "noisy")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] != 3):
        raise ValueError(f"noisy must be (H, W) or (H, W, 3), got shape {img.shape}")
    if method in SHARED_NOISE_DENOISERS and img.ndim != 3:
        raise ValueError(
            f"{method!r} is for colour images (H, W, 3) with shared noise, "
            f"got shape {img.shape}"
        )
    sigma = check_positive(sigma, "sigma")
    s = known[method] if strength is None else check_positive(strength, "strength")
    ch = _channel_axis(img)
    if method == "BM3D (luminance)":
        import bm3d

        lum = img.sum(axis=-1) / np.sqrt(
            3.0
        )  # orthonormal luminance: all of the shared noise
        lum_hat = np.asarray(bm3d.bm3d(lum, np.sqrt(3.0) * s * sigma), dtype=np.float64)
        out = (
            img + ((lum_hat - lum) / np.sqrt(3.0))[..., None]
        )  # chrominance of the noisy image kept
    elif method == "BM3D":
        import bm3d  # imported lazily: only this method needs it

        out = (
            bm3d.bm3d_rgb(img, s * sigma)
            if img.ndim == 3
            else bm3d.bm3d(img, s * sigma)
        )
    elif method == "TV":
        out = denoise_tv_chambolle(img, weight=s * sigma, channel_axis=ch)
    elif method == "NL-means":
        out = denoise_nl_means(
            img,
            h=s * sigma,
            sigma=sigma,
            patch_size=5,
            patch_distance=6,
            fast_mode=True,
            channel_axis=ch,
        )
    else:
        out = denoise_wavelet(
            img,
            sigma=s * sigma,
            method="BayesShrink",
            mode="soft",
            channel_axis=ch,
            rescale_sigma=True,
        )
    return np.clip(np.asarray(out, dtype=np.float64), 0.0, 1.0)


def tune_strength(
    method: str,
    clean: Any,
    noisy: Any,
    sigma: float,
    grid: Sequence[float] | None = None,
) -> tuple[float, Array]:
    """Choose a denoiser's strength (multiple of ``sigma``) by PSNR on a tuning image.

    Taught in chapter 6.  Use an image that is *not* in the comparison, so that the
    comparison is not tuned on its own test data.

    Parameters
    ----------
    method : str
        One of :data:`CLASSICAL_DENOISERS`.
    clean, noisy : array_like
        The tuning image and its noisy version.
    sigma : float
        True noise standard deviation.
    grid : sequence of float, optional
        Strengths to try (default: 0.25 to 4 in 13 log-spaced steps; BM3D: 1 only).

    Returns
    -------
    strength : float
        The grid value with the highest PSNR.
    psnrs : ndarray
        PSNR (dB) for every grid value.

    Examples
    --------
    >>> import dd_lib as dd
    >>> x = dd.test_image("moon", 32)
    >>> y = dd.add_noise(x, 0.1, seed=1)
    >>> s, p = tune_strength("TV", x, y, 0.1, grid=[0.5, 1.0, 2.0])
    >>> s in (0.5, 1.0, 2.0), p.shape
    (True, (3,))
    """
    clean_arr = as_real_array(clean, "clean")
    if grid is None:
        grid = (
            [1.0]
            if method == "BM3D"
            else list(np.round(np.geomspace(0.25, 4.0, 13), 3))
        )
    if len(grid) == 0:
        raise ValueError("grid must contain at least one strength")
    scores = np.array([psnr(clean_arr, denoise(method, noisy, sigma, g)) for g in grid])
    return float(grid[int(np.argmax(scores))]), scores


#: The rows of :func:`denoising_comparison`, in order.  "oracle" rows need the clean
#: image to choose the stopping iteration; the others do not.  "DD-O (fixed t)" stops
#: at an iteration tuned on other images (the paper's protocol: a fixed 1500);
#: "BM3D (luminance)" is defined for shared colour noise only (NaN elsewhere).
COMPARISON_METHODS: tuple[str, ...] = (
    "noisy",
    "DD-O (rule)",
    "DD-O (fixed t)",
    "DD-O (oracle)",
    "DD-U (no stopping)",
    "DIP (rule)",
    "DIP (oracle)",
    "BM3D",
    "BM3D (luminance)",
    "TV",
    "NL-means",
    "wavelet",
)

#: Images on which :func:`denoising_comparison` tunes DD-O's fixed stopping iteration,
#: per kind (the same images tune the classical strengths in chapter 6).
TUNING_IMAGES: dict[str, str] = {"grey": "moon", "colour": "chelsea"}


def denoising_comparison(
    cases: Sequence[tuple[str, float, str]],
    config: dict[str, Any],
    strengths: dict[str, dict[str, float]] | None = None,
    *,
    seed: int = 0,
    tune_sigma: float = 25 / 255,
    tune_window: int = 11,
    tune_steps: int = 400,
    snapshots: Sequence[int] = (),
    device: Any = "cpu",
    workers: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """The denoising comparison of chapter 6 (denoising paper, Table 1 and Figure 2).

    Taught in chapter 6.  For each case (image, noise level, protocol) and each of
    ``config["draws"]`` draws of the noise and of the networks' initialisation, the
    noisy image is denoised by: an over-parameterised deep decoder (DD-O), stopped by
    the discrepancy principle (:func:`dd_lib.discrepancy_stop`, needs only ``sigma``),
    at a fixed iteration tuned on another image (:data:`TUNING_IMAGES`, the paper's
    protocol) and, for reference, at the oracle iteration (needs the clean image); an
    under-parameterised deep decoder (DD-U) run for ``steps_under`` iterations,
    delivering the iterate with the lowest training loss; the deep image prior, stopped
    by the rule and at the oracle; and the classical denoisers, all given the true
    ``sigma`` (for shared colour noise also BM3D on the luminance, correctly specified).

    Parameters
    ----------
    cases : sequence of (name, sigma, protocol)
        Test image name (:data:`dd_lib.TEST_IMAGES`), noise standard deviation, and
        ``"independent"`` or ``"shared"`` (see :func:`dd_lib.add_noise`).
    config : dict
        Sizes, as in ``dd.sizes("ch6")``: ``size``, ``depth``, ``k_over``, ``k_under``,
        ``dip_channels``, ``dip_skip``, ``dip_input``, ``steps_over``, ``steps_under``,
        ``steps_dip``, ``record_every`` and ``draws`` (default 1).
    strengths : dict, optional
        ``{"grey": {method: strength}, "colour": {...}}`` for TV, NL-means and wavelet
        (from :func:`tune_strength`); default :data:`CLASSICAL_DENOISERS`.
    seed : int, default 0
        Base seed: draw ``j`` of case ``i`` uses noise seed ``seed + 1000 j + i`` and
        network seed ``seed + j``; the tuning fits use noise seed ``seed + 999``.
    tune_sigma : float, default 25/255
        Noise level (independent noise) of the tuning images.
    tune_window : int, default 11
        The fixed iteration maximises the tuning fit's PSNR curve averaged over this
        many recorded iterates (a moving average): Adam's step-to-step oscillation of
        the PSNR would otherwise pick one lucky iterate.
    tune_steps : int, default 400
        Iterations of the tuning fits (at most ``steps_over``); the tuned iteration lies
        among them.
    snapshots : sequence of int, optional
        Iterations at which the DD-O fits of draw 0 keep their output
        (:attr:`dd_lib.FitResult.snapshots`), e.g. for a slider.
    device : torch.device or str, default "cpu"
        Where the networks run.
    workers : int, optional
        Worker processes for the fits (:func:`dd_lib.fit_many`; default 2 on a CPU).
    progress : bool, default False
        A progress bar over the fits.

    Returns
    -------
    dict
        ``labels`` (one per case); ``psnr`` and ``seconds`` (``{method: ndarray}`` of
        shape ``(draws, cases)``, rows :data:`COMPARISON_METHODS`; ``seconds`` is the
        run time per image up to where the method delivers: a fit's wall time scaled to
        its stopping iteration, the whole fit for the oracle and DD-U); ``iterations``
        (``{"DD-O rule", "DD-O oracle", "DIP rule", "DIP oracle"}``, same shape; where
        the rule never fired, "rule" is the lowest-loss iterate); ``rule_fired``
        (``{"DD-O", "DIP"}``, bool, same shape); ``fixed_iteration`` (``{kind: t}``) and
        ``tuning`` (``{kind: FitResult}``); ``images`` (``{label: {method: image}}`` of
        draw 0, with ``"clean"``); ``fits`` (``{(label, network, draw): FitResult}``).

    Raises
    ------
    ValueError
        If ``config`` lacks a size, ``cases`` is empty, or a case appears twice.

    Examples
    --------
    >>> cfg = dict(
    ...     size=16,
    ...     depth=2,
    ...     k_over=8,
    ...     k_under=4,
    ...     dip_channels=[4, 4],
    ...     dip_skip=2,
    ...     dip_input=4,
    ...     steps_over=20,
    ...     steps_under=20,
    ...     steps_dip=10,
    ...     record_every=5,
    ... )
    >>> out = denoising_comparison([("camera", 0.1, "independent")], cfg, workers=1)
    >>> (
    ...     out["labels"],
    ...     sorted(out["psnr"]) == sorted(COMPARISON_METHODS),
    ...     out["psnr"]["noisy"].shape,
    ... )
    (['camera'], True, (1, 1))
    """
    # imported here: the classical part of this module does not need torch
    from .fitting import fit_many

    _check_comparison_config(config, cases)
    draws = check_int(config.get("draws", 1), "config['draws']", 1)
    window = check_int(tune_window, "tune_window", 1)
    prepared = _comparison_cases(cases, config["size"], draws, seed)
    jobs = _comparison_jobs(prepared, config, draws, seed, snapshots, device)
    kinds = sorted({case.kind for case in prepared})
    for kind in kinds:
        jobs["tune", kind, 0] = _tuning_job(
            kind, config, seed, tune_sigma, tune_steps, device
        )
    results = fit_many(list(jobs.values()), workers=workers, progress=progress)
    done = dict(zip(jobs, results, strict=True))
    tuning = {kind: done["tune", kind, 0] for kind in kinds}
    fixed_t = {kind: _tuned_iteration(r, window) for kind, r in tuning.items()}

    table = _ComparisonTable(draws, len(prepared))
    for i, case in enumerate(prepared):
        for j in range(draws):
            fits = {net: done[case.label, net, j] for net in _COMPARISON_NETWORKS}
            table.score(i, j, case, fits, fixed_t[case.kind], strengths)
    return {
        "labels": [case.label for case in prepared],
        "psnr": table.psnr,
        "seconds": table.seconds,
        "iterations": table.iterations,
        "rule_fired": table.fired,
        "fixed_iteration": fixed_t,
        "tuning": tuning,
        "images": table.images,
        "fits": table.fits,
    }


#: The sizes :func:`denoising_comparison` reads from its ``config``.
_COMPARISON_SIZES = (
    "size",
    "depth",
    "k_over",
    "k_under",
    "dip_channels",
    "dip_skip",
    "dip_input",
    "steps_over",
    "steps_under",
    "steps_dip",
    "record_every",
)
_COMPARISON_NETWORKS = ("DD-O", "DD-U", "DIP")


def _check_comparison_config(
    config: dict[str, Any], cases: Sequence[tuple[str, float, str]]
) -> None:
    missing = [k for k in _COMPARISON_SIZES if k not in config]
    if missing:
        raise ValueError(
            f"config lacks {missing}; it needs the keys {list(_COMPARISON_SIZES)} "
            "(see dd.sizes('ch6'))"
        )
    if not cases:
        raise ValueError("cases must list at least one (image, sigma, protocol)")


@dataclass
class _Case:
    """One case of the comparison: the clean image and its noisy draws."""

    label: str
    sigma: float
    protocol: str
    clean: Array
    noisy: list[Array]

    @property
    def kind(self) -> str:
        return "colour" if self.clean.ndim == 3 else "grey"


def _comparison_cases(
    cases: Sequence[tuple[str, float, str]], size: int, draws: int, seed: int
) -> list[_Case]:
    """Load each case's image and draw its noise (draw ``j`` of case ``i`` uses noise
    seed ``seed + 1000 j + i``); a label may appear once."""
    from .images import add_noise, test_image

    prepared: list[_Case] = []
    for i, (name, sigma, protocol) in enumerate(cases):
        clean = test_image(name, size)
        label = name + (f" ({protocol})" if clean.ndim == 3 else "")
        if any(label == case.label for case in prepared):
            raise ValueError(f"case {label!r} appears twice")
        noisy = [
            add_noise(clean, sigma, seed=seed + 1000 * j + i, protocol=protocol)  # type: ignore[arg-type]
            for j in range(draws)
        ]
        prepared.append(_Case(label, sigma, protocol, clean, noisy))
    return prepared


def _network_specs(
    config: dict[str, Any], c: int, net_seed: int, device: Any
) -> dict[str, tuple[type, tuple, dict, int]]:
    """``{network: (class, args, kwargs, steps)}`` for DD-O, DD-U and the DIP with
    ``c`` output channels."""
    from .deep_decoder import DeepDecoder
    from .dip import DeepImagePrior

    size = config["size"]
    dev = dict(seed=net_seed, device=device)
    dip_args = (
        size,
        config["dip_channels"],
        [config["dip_skip"]] * len(config["dip_channels"]),
        config["dip_input"],
        c,
    )
    return {
        "DD-O": (
            DeepDecoder,
            (size, config["k_over"], config["depth"], c),
            dev,
            config["steps_over"],
        ),
        "DD-U": (
            DeepDecoder,
            (size, config["k_under"], config["depth"], c),
            dev,
            config["steps_under"],
        ),
        "DIP": (
            DeepImagePrior,
            dip_args,
            dict(dev, input_noise_std=1 / 30),
            config["steps_dip"],
        ),
    }


def _comparison_jobs(
    prepared: list[_Case],
    config: dict[str, Any],
    draws: int,
    seed: int,
    snapshots: Sequence[int],
    device: Any,
) -> dict[tuple[str, str, int], Any]:
    """The fits of every case, network and draw (network seed ``seed + j``), each run
    past the discrepancy rule so that the rule's and the oracle's iterates come from
    one fit."""
    from .fitting import FitJob, discrepancy_stop

    jobs: dict[tuple[str, str, int], FitJob] = {}
    for case in prepared:
        c = 3 if case.kind == "colour" else 1
        for j in range(draws):
            common = dict(
                y=case.noisy[j],
                reference=case.clean,
                record_every=config["record_every"],
                stop=discrepancy_stop(case.sigma),
                run_past_stop=True,
                progress=False,
            )
            specs = _network_specs(config, c, seed + j, device)
            for net_name, (cls, args, kw, steps) in specs.items():
                extra = (
                    dict(snapshots=list(snapshots))
                    if net_name == "DD-O" and j == 0
                    else {}
                )
                jobs[case.label, net_name, j] = FitJob(
                    cls, args, kw, dict(common, steps=steps, **extra)
                )
    return jobs


def _tuning_job(
    kind: str,
    config: dict[str, Any],
    seed: int,
    tune_sigma: float,
    tune_steps: int,
    device: Any,
) -> Any:
    """DD-O's fit on the tuning image of ``kind`` (:data:`TUNING_IMAGES`, outside the
    comparison), noise seed ``seed + 999``."""
    from .fitting import FitJob
    from .images import add_noise, test_image

    size = config["size"]
    tclean = test_image(TUNING_IMAGES[kind], size)
    tnoisy = add_noise(tclean, tune_sigma, seed=seed + 999)
    c = 3 if kind == "colour" else 1
    cls, args, kw, steps = _network_specs(config, c, seed, device)["DD-O"]
    fit_kwargs = dict(
        y=tnoisy,
        reference=tclean,
        record_every=config["record_every"],
        steps=min(steps, tune_steps),
        progress=False,
    )
    return FitJob(cls, args, kw, fit_kwargs)


def _tuned_iteration(result: Any, window: int) -> int:
    """The recorded iteration at the centre of the ``window`` recorded iterates with
    the highest mean PSNR (a moving average over Adam's step-to-step oscillation)."""
    curve = result.psnr
    if curve is None:
        raise ValueError("the tuning fit recorded no PSNR (it needs a reference)")
    w = min(window, len(curve))
    smooth = np.convolve(curve, np.ones(w) / w, mode="valid")  # i averages i..i+w-1
    return int(result.iterations[int(np.argmax(smooth)) + w // 2])


class _ComparisonTable:
    """The comparison's results, filled one case and draw at a time."""

    def __init__(self, draws: int, n_cases: int) -> None:
        shape = (draws, n_cases)
        self.psnr = {m: np.full(shape, np.nan) for m in COMPARISON_METHODS}
        self.seconds = {m: np.full(shape, np.nan) for m in COMPARISON_METHODS}
        self.iterations = {
            k: np.zeros(shape, dtype=int)
            for k in ("DD-O rule", "DD-O oracle", "DIP rule", "DIP oracle")
        }
        self.fired = {k: np.zeros(shape, dtype=bool) for k in ("DD-O", "DIP")}
        self.images: dict[str, dict[str, Array]] = {}
        self.fits: dict[tuple[str, str, int], Any] = {}

    def score(
        self,
        i: int,
        j: int,
        case: _Case,
        fits: dict[str, Any],
        t_fix: int,
        strengths: dict[str, dict[str, float]] | None,
    ) -> None:
        """Score draw ``j`` of case ``i``: the networks' fits, then the classical
        denoisers run here."""
        self.fits.update({(case.label, net, j): r for net, r in fits.items()})
        clean, noisy = case.clean, case.noisy[j]
        imgs = {"clean": clean, "noisy": noisy}
        self._put("noisy", i, j, psnr(clean, noisy), 0.0)
        for net_name in ("DD-O", "DIP"):
            imgs[f"{net_name} (rule)"] = self._score_stopped(
                net_name, i, j, clean, fits[net_name]
            )
        r = fits["DD-O"]
        per_step = r.wall_time / max(int(r.iterations[-1]), 1)
        at_fix = float(r.psnr[np.searchsorted(r.iterations, t_fix)])
        self._put("DD-O (fixed t)", i, j, at_fix, per_step * t_fix)
        # run to the end; deliver the iterate with the lowest training loss (no clean
        # image needed)
        under = fits["DD-U"]
        imgs["DD-U (no stopping)"] = under.lowest_loss_output
        self._put(
            "DD-U (no stopping)",
            i,
            j,
            psnr(clean, under.lowest_loss_output),
            under.wall_time,
        )
        methods = dict(CLASSICAL_DENOISERS)
        if case.kind == "colour" and case.protocol == "shared":
            methods.update(SHARED_NOISE_DENOISERS)
        for method in methods:
            s = (strengths or {}).get(case.kind, {}).get(method)
            t0 = time.perf_counter()
            est = denoise(method, noisy, case.sigma, s)
            self._put(method, i, j, psnr(clean, est), time.perf_counter() - t0)
            imgs[method] = est
        if j == 0:
            self.images[case.label] = imgs

    def _score_stopped(
        self, net_name: str, i: int, j: int, clean: Array, r: Any
    ) -> Array:
        """The rule's and the oracle's scores of one network's fit; returns the
        rule's estimate (the lowest-loss iterate when the rule never fired)."""
        per_step = r.wall_time / max(int(r.iterations[-1]), 1)
        fired = r.stopped_at is not None
        t_rule = r.stopped_at if fired else r.lowest_loss_iteration
        out_rule = r.stop_output if fired else r.lowest_loss_output
        # a rule that never fired ran the whole fit
        t_paid = t_rule if fired else int(r.iterations[-1])
        self._put(f"{net_name} (rule)", i, j, psnr(clean, out_rule), per_step * t_paid)
        self._put(f"{net_name} (oracle)", i, j, float(r.best_psnr), r.wall_time)
        self.iterations[f"{net_name} rule"][j, i] = t_rule
        self.iterations[f"{net_name} oracle"][j, i] = int(r.best_iteration)
        self.fired[net_name][j, i] = fired
        return out_rule

    def _put(self, method: str, i: int, j: int, value: float, seconds: float) -> None:
        self.psnr[method][j, i] = value
        self.seconds[method][j, i] = seconds
