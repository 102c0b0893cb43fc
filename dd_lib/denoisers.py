"""Classical denoisers, through their libraries (never re-implemented).

Taught in chapter 6, as the baselines of the denoising comparison.

- BM3D (Dabov et al., 2007): the ``bm3d`` package (4.0.3, a non-commercial licence);
  :func:`bm3d.bm3d` for grey and :func:`bm3d.bm3d_rgb` for colour images.
- Total variation (Rudin, Osher & Fatemi, 1992): :func:`skimage.restoration.denoise_tv_chambolle`.
- Non-local means (Buades, Coll & Morel, 2005): :func:`skimage.restoration.denoise_nl_means`.
- Wavelet shrinkage (BayesShrink, Chang, Yu & Vetterli, 2000):
  :func:`skimage.restoration.denoise_wavelet`.

Every denoiser is given the true noise standard deviation ``sigma``.  The one free
parameter of TV, NL-means and wavelets is written as a multiple ``strength`` of
``sigma`` (TV weight, NL-means filter parameter ``h``, wavelet noise level);
:func:`tune_strength` chooses it on an image outside the comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, denoise_wavelet

from ._checks import as_real_array, check_positive
from .metrics import psnr

__all__ = ["CLASSICAL_DENOISERS", "COMPARISON_METHODS", "denoise", "tune_strength", "denoising_comparison"]

Array = NDArray[np.float64]

#: The classical denoisers of the comparison and the default strength of each
#: (a multiple of sigma; BM3D takes sigma itself and has no free parameter here).
CLASSICAL_DENOISERS: dict[str, float] = {"BM3D": 1.0, "TV": 1.0, "NL-means": 0.8, "wavelet": 1.0}


def _channel_axis(img: Array) -> int | None:
    return -1 if img.ndim == 3 else None


def denoise(method: str, noisy: Any, sigma: float, strength: float | None = None) -> Array:
    """Denoise an image with a classical method, given the noise level.

    Taught in chapter 6.

    Parameters
    ----------
    method : {"BM3D", "TV", "NL-means", "wavelet"}
        The denoiser.
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
    if method not in CLASSICAL_DENOISERS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(CLASSICAL_DENOISERS)}")
    img = as_real_array(noisy, "noisy")
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[-1] != 3):
        raise ValueError(f"noisy must be (H, W) or (H, W, 3), got shape {img.shape}")
    sigma = check_positive(sigma, "sigma")
    s = CLASSICAL_DENOISERS[method] if strength is None else check_positive(strength, "strength")
    ch = _channel_axis(img)
    if method == "BM3D":
        import bm3d  # imported lazily: only this method needs it

        out = bm3d.bm3d_rgb(img, s * sigma) if img.ndim == 3 else bm3d.bm3d(img, s * sigma)
    elif method == "TV":
        out = denoise_tv_chambolle(img, weight=s * sigma, channel_axis=ch)
    elif method == "NL-means":
        out = denoise_nl_means(
            img, h=s * sigma, sigma=sigma, patch_size=5, patch_distance=6, fast_mode=True, channel_axis=ch
        )
    else:
        out = denoise_wavelet(img, sigma=s * sigma, method="BayesShrink", mode="soft", channel_axis=ch,
                              rescale_sigma=True)
    return np.clip(np.asarray(out, dtype=np.float64), 0.0, 1.0)


def tune_strength(
    method: str, clean: Any, noisy: Any, sigma: float, grid: Sequence[float] | None = None
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
    >>> x = dd.test_image("moon", 32); y = dd.add_noise(x, 0.1, seed=1)
    >>> s, p = tune_strength("TV", x, y, 0.1, grid=[0.5, 1.0, 2.0])
    >>> s in (0.5, 1.0, 2.0), p.shape
    (True, (3,))
    """
    clean_arr = as_real_array(clean, "clean")
    if grid is None:
        grid = [1.0] if method == "BM3D" else list(np.round(np.geomspace(0.25, 4.0, 13), 3))
    if len(grid) == 0:
        raise ValueError("grid must contain at least one strength")
    scores = np.array([psnr(clean_arr, denoise(method, noisy, sigma, g)) for g in grid])
    return float(grid[int(np.argmax(scores))]), scores


#: The rows of :func:`denoising_comparison`, in order.  "oracle" rows need the clean
#: image to choose the stopping iteration; the others do not.
COMPARISON_METHODS: tuple[str, ...] = (
    "noisy", "DD-O (rule)", "DD-O (oracle)", "DD-U (no stopping)", "DIP (rule)", "DIP (oracle)",
    "BM3D", "TV", "NL-means", "wavelet",
)


def denoising_comparison(
    cases: Sequence[tuple[str, float, str]],
    config: dict[str, Any],
    strengths: dict[str, dict[str, float]] | None = None,
    *,
    seed: int = 0,
    fits: dict[tuple[str, str], Any] | None = None,
    device: Any = "cpu",
    workers: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """The denoising comparison of chapter 6 (the denoising paper's Table 1 and Figure 2).

    Taught in chapter 6.  For each case (image, noise level, protocol) the noisy image
    is denoised by: an over-parameterised deep decoder (DD-O), stopped by the
    discrepancy principle (:func:`dd_lib.discrepancy_stop`, needs only ``sigma``) and,
    for reference, at the oracle iteration (needs the clean image); an
    under-parameterised deep decoder (DD-U) run to the end of its iterations, delivering
    the iterate with the lowest training loss; the deep image prior,
    stopped the same two ways; and the classical denoisers, all given the true ``sigma``.

    Parameters
    ----------
    cases : sequence of (name, sigma, protocol)
        Test image name (:data:`dd_lib.TEST_IMAGES`), noise standard deviation, and
        ``"independent"`` or ``"shared"`` (see :func:`dd_lib.add_noise`).
    config : dict
        Sizes, as in ``dd.sizes("ch6")``: ``size``, ``depth``, ``k_over``, ``k_under``,
        ``dip_channels``, ``dip_skip``, ``dip_input``, ``steps_over``, ``steps_under``,
        ``steps_dip``, ``record_every``.
    strengths : dict, optional
        ``{"grey": {method: strength}, "colour": {...}}`` for TV, NL-means and wavelet
        (from :func:`tune_strength`); default :data:`CLASSICAL_DENOISERS`.
    seed : int, default 0
        Seed of the noise (case ``i`` uses ``seed + i``) and of the networks.
    fits : dict, optional
        Fits already made, ``{(case label, "DD-O" | "DD-U" | "DIP"): FitResult}``, reused
        instead of fitting again (they must come from the same noisy image and sizes).
    device : torch.device or str, default "cpu"
        Where the networks run.
    workers : int, optional
        Worker processes for the fits (:func:`dd_lib.fit_many`; default 2 on a CPU).
    progress : bool, default False
        A progress bar over the fits.

    Returns
    -------
    dict
        ``labels`` (one per case), ``psnr`` (``{method: ndarray}`` over the cases, rows
        :data:`COMPARISON_METHODS`), ``iterations`` (``{"DD-O rule", "DD-O oracle",
        "DIP rule", "DIP oracle"}: ndarray``; where the rule never fired, "rule" is the
        lowest-loss iterate), ``rule_fired`` (``{"DD-O", "DIP"}: bool ndarray``), ``images`` (``{label: {method: image}}``,
        with ``"clean"``) and ``fits`` (``{(label, network): FitResult}``).

    Examples
    --------
    >>> cfg = dict(size=16, depth=2, k_over=8, k_under=4, dip_channels=[4, 4], dip_skip=2,
    ...            dip_input=4, steps_over=20, steps_under=20, steps_dip=10, record_every=5)
    >>> out = denoising_comparison([("camera", 0.1, "independent")], cfg, workers=1)
    >>> out["labels"], sorted(out["psnr"]) == sorted(COMPARISON_METHODS)
    (['camera'], True)
    """
    # imported here: the classical part of this module does not need torch
    from .deep_decoder import DeepDecoder
    from .dip import DeepImagePrior
    from .fitting import FitJob, discrepancy_stop, fit_many
    from .images import add_noise, test_image

    needed = ("size", "depth", "k_over", "k_under", "dip_channels", "dip_skip", "dip_input",
              "steps_over", "steps_under", "steps_dip", "record_every")
    missing = [k for k in needed if k not in config]
    if missing:
        raise ValueError(f"config lacks {missing}; it needs the keys {list(needed)} (see dd.sizes('ch6'))")
    if not cases:
        raise ValueError("cases must list at least one (image, sigma, protocol)")
    cache = dict(fits or {})
    size, rec = config["size"], config["record_every"]
    prepared = []
    jobs: dict[tuple[str, str], FitJob] = {}
    for i, (name, sigma, protocol) in enumerate(cases):
        clean = test_image(name, size)
        colour = clean.ndim == 3
        label = name + (f" ({protocol})" if colour else "")
        if any(label == p[0] for p in prepared):
            raise ValueError(f"case {label!r} appears twice")
        noisy = add_noise(clean, sigma, seed=seed + i, protocol=protocol)  # type: ignore[arg-type]
        prepared.append((label, sigma, clean, noisy))
        c = 3 if colour else 1
        common = dict(y=noisy, reference=clean, record_every=rec, stop=discrepancy_stop(sigma),
                      run_past_stop=True, progress=False)
        dev = dict(seed=seed, device=device)
        specs = {
            "DD-O": (DeepDecoder, (size, config["k_over"], config["depth"], c), config["steps_over"]),
            "DD-U": (DeepDecoder, (size, config["k_under"], config["depth"], c), config["steps_under"]),
            "DIP": (DeepImagePrior, (size, config["dip_channels"], [config["dip_skip"]] * len(config["dip_channels"]),
                                     config["dip_input"], c), config["steps_dip"]),
        }
        for net_name, (cls, args, steps) in specs.items():
            if (label, net_name) not in cache:
                kw = dict(dev, input_noise_std=1 / 30) if cls is DeepImagePrior else dev
                jobs[label, net_name] = FitJob(cls, args, kw, dict(common, steps=steps))
    for key, res in zip(jobs, fit_many(list(jobs.values()), workers=workers, progress=progress)):
        cache[key] = res

    psnrs: dict[str, list[float]] = {m: [] for m in COMPARISON_METHODS}
    iters: dict[str, list[int]] = {k: [] for k in ("DD-O rule", "DD-O oracle", "DIP rule", "DIP oracle")}
    fired: dict[str, list[bool]] = {"DD-O": [], "DIP": []}
    images: dict[str, dict[str, Array]] = {}
    for label, sigma, clean, noisy in prepared:
        res = {net: cache[label, net] for net in ("DD-O", "DD-U", "DIP")}
        imgs = {"clean": clean, "noisy": noisy}
        for net_name in ("DD-O", "DIP"):
            r = res[net_name]
            # the rule's estimate; if the rule never fired, run to the end (lowest-loss iterate)
            t_rule = r.stopped_at if r.stopped_at is not None else r.lowest_loss_iteration
            out_rule = r.stop_output if r.stop_output is not None else r.lowest_loss_output
            psnrs[f"{net_name} (rule)"].append(psnr(clean, out_rule))
            psnrs[f"{net_name} (oracle)"].append(float(r.best_psnr))
            iters[f"{net_name} rule"].append(t_rule)
            iters[f"{net_name} oracle"].append(int(r.best_iteration))
            fired[net_name].append(r.stopped_at is not None)
            imgs[f"{net_name} (rule)"] = out_rule
        # run to the end; deliver the iterate with the lowest training loss (no clean image needed)
        psnrs["DD-U (no stopping)"].append(psnr(clean, res["DD-U"].lowest_loss_output))
        imgs["DD-U (no stopping)"] = res["DD-U"].lowest_loss_output
        psnrs["noisy"].append(psnr(clean, noisy))
        kind = "colour" if clean.ndim == 3 else "grey"
        for method in CLASSICAL_DENOISERS:
            s = (strengths or {}).get(kind, {}).get(method)
            est = denoise(method, noisy, sigma, s)
            psnrs[method].append(psnr(clean, est))
            imgs[method] = est
        images[label] = imgs
    labels = [p[0] for p in prepared]
    return {
        "labels": labels,
        "psnr": {m: np.asarray(v) for m, v in psnrs.items()},
        "iterations": {k: np.asarray(v) for k, v in iters.items()},
        "rule_fired": {k: np.asarray(v, dtype=bool) for k, v in fired.items()},
        "images": images,
        "fits": cache,
    }
