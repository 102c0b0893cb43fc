"""Device choice, seeding, the book/paper scale switch and the sizes of each chapter.

Every chapter reads its sizes (signal length, channels, iterations, number of
random draws) from :data:`SIZES` through :func:`sizes`, so the two scales are
defined in one place.
"""

from __future__ import annotations

import copy
import os
import random
from typing import Any, Literal

import numpy as np
import torch

from ._checks import check_int

Scale = Literal["book", "paper"]
_SCALES = ("book", "paper")


def get_device() -> torch.device:
    """Return the default torch device: CUDA if available, else the CPU.

    Returns
    -------
    torch.device
        ``cuda`` when :func:`torch.cuda.is_available` is true, otherwise ``cpu``.

    Used in every chapter that runs PyTorch (chapters 3, 4 and 6 on).

    Examples
    --------
    >>> get_device().type in ("cpu", "cuda")
    True
    """
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's global random number generators.

    Parameters
    ----------
    seed : int
        Non-negative integer seed (below 2**32, NumPy's limit).

    Raises
    ------
    ValueError
        If ``seed`` is not an integer in ``[0, 2**32)``.

    Used in every chapter and the introduction (first code cell).

    Examples
    --------
    >>> seed_everything(0)
    >>> a = np.random.rand()
    >>> seed_everything(0)
    >>> bool(np.random.rand() == a)
    True
    """
    seed = check_int(seed, "seed", 0)
    if seed >= 2**32:
        raise ValueError(f"seed must be < 2**32, got {seed}")
    random.seed(seed)
    # Legacy global seeding is the point here: readers' code calls np.random.* and
    # relies on this seeding the global NumPy state, which a Generator would not.
    np.random.seed(seed)  # noqa: NPY002
    torch.manual_seed(seed)  # also seeds every CUDA device


def scale() -> Scale:
    """Return the run scale chosen by the ``DD_SCALE`` environment variable.

    Returns
    -------
    {"book", "paper"}
        ``"book"`` (the default, sized for a 2-core CPU) or ``"paper"``
        (the papers' sizes, meant for a GPU).

    Raises
    ------
    ValueError
        If ``DD_SCALE`` is set to anything other than ``book`` or ``paper``.

    Used in every chapter (through :func:`sizes`).

    Examples
    --------
    >>> scale() in ("book", "paper")
    True
    """
    value = os.environ.get("DD_SCALE", "book").strip().lower() or "book"
    if value not in _SCALES:
        raise ValueError(f"DD_SCALE must be 'book' or 'paper', got {value!r}")
    return value  # type: ignore[return-value]


# Chapter 9's data, masks and tuning grids: the same at both scales.
_CH9_DATA: dict[str, Any] = {
    "coils": 8,
    "snr_db": 30.0,
    "test_z": 18,
    "tune_z": 8,
    "accelerations": [4, 8],
    "center_fractions": [0.08, 0.04],
    "mask_seed": 1,
    "lamdas": {
        "sense": [1e-4, 1e-3, 1e-2, 1e-1],
        "l1-wavelet": [1e-4, 3e-4, 1e-3, 1e-2, 1e-1],
        "tv": [3e-3, 1e-2, 3e-2, 1e-1, 3e-1],
    },
    "slider_accelerations": [2, 4, 6, 8],
    "slider_fractions": [0.02, 0.04, 0.08],
}

#: Sizes of every chapter at each scale: ``SIZES[chapter][scale][key]``.
#: ``"book"`` runs the whole book on a 2-core CPU in minutes; ``"paper"`` is
#: the papers' sizes (meant for a GPU).  Keys per chapter:
#:
#: * ``intro``: ``n`` signal length, ``k`` channels, ``steps`` gradient steps.
#: * ``ch1``: ``n`` size of the square matrix (Figure 5), ``steps`` gradient
#:   steps, ``draws`` Monte-Carlo draws of the noise.
#: * ``ch2``: ``n`` signal length of the figures, ``n2d`` side of the 2-D checks.
#: * ``ch3``: ``n`` signal length, ``n_mc`` length in the Monte-Carlo checks,
#:   ``k_list`` channel counts, ``mc_seeds`` seeds per channel count.
#: * ``ch4``: ``n`` signal length, ``k`` channels of the main run, ``k_sweep``
#:   channel counts of the over-parameterisation sweep, ``k_den`` channels of
#:   the denoising runs, ``k_small`` channels of the step-function run,
#:   ``steps_a``/``steps_b``/``steps_f`` iterations of the three fits.
#: * ``ch5``: ``n`` signal length, ``draws`` random draws per setting,
#:   ``m_grid`` numbers of measurements, ``steps_gd`` gradient steps.
#: * ``ch6``: ``size`` image side, ``depth`` deep-decoder depth ``d``, ``k_over`` /
#:   ``k_under`` channels of DD-O / DD-U, ``k_sweep`` channel counts of the
#:   over-/under-parameterisation sweep, ``dip_channels`` / ``dip_skip`` / ``dip_input``
#:   the deep image prior's channels per scale, skip channels and input channels,
#:   ``draws`` noise draws and initialisations per case of the comparison;
#:   ``fig1_size`` / ``fig1_depth`` / ``fig1_k`` image side, depth and channels of
#:   Figure 1 (smaller than ``size`` at book scale, so that the noise fit reaches low
#:   errors); ``steps_fig1`` iterations of its noisy-image fit, ``steps_image`` of its
#:   clean-image fits, ``steps_noise`` / ``steps_noise_dip`` of its noise fits,
#:   ``steps_dip`` of the comparison's DIP fits, ``steps_over`` / ``steps_under`` of its
#:   DD-O / DD-U fits, ``steps_sweep`` of the channel sweep, ``record_every`` recording
#:   interval.
#: * ``ch7``: ``n``, ``k``, ``depth1d`` the 1-D decoder of Figure 7, ``fig7_iters`` its
#:   iterations shown, ``slider_iters`` the slider's, ``jac_chunk`` rows per vmap chunk;
#:   ``size``, ``depth``, ``factors``, ``steps_arch``, ``lr_arch`` the architecture
#:   fits of Figures 8-10 (``fig10_images`` their images; ``channels_arch`` None =
#:   channels from the factor, or the authors' channels per architecture, as at paper
#:   scale: their 256x256 phantom); ``n_init`` initialisations of Figure 12,
#:   ``jac_batch`` how many of them share one ``vmap`` (20 deep image priors at 256x256
#:   ran out of an H200's 141 GB), ``dd_k`` its deep decoder's channels, ``dip_*`` its
#:   deep image prior.
#: * ``ch8``: 1-D checks of Theorem 2: ``n``, ``m``, ``p`` signal length, measurements
#:   and smoothness, ``kernel_std`` the Gaussian kernel, ``tol`` relative loss at
#:   which gradient descent stops, ``max_steps``, ``k_lin`` / ``draws_lin`` channels
#:   and draws of the linearisation check, ``k_bound``, ``m_bound``, ``p_bound``,
#:   ``draws_bound`` those of the bound check, ``p_list``, ``draws_op``, ``level_op``
#:   the O(p) sweep; images: ``size``, ``depth``, ``k``, ``steps``, ``lr``,
#:   ``record_every`` the deep decoder fits, ``dip_*``, ``steps_dip`` the deep image
#:   prior, ``images`` (smooth, texture), ``operator`` the measurement operator
#:   (``"gaussian"`` dense; ``"fourier"`` structured, at paper scale),
#:   ``fractions`` the m/n sweep (the second is Figure 1's m = n/4), ``mask_keep``
#:   the pixel mask of the authors' code, ``noise`` the noise levels.
#: * ``ch9``: ``size`` the brain slice's side (:func:`dd_lib.brain_slice`), ``coils``,
#:   ``snr_db`` the k-space SNR, ``test_z`` / ``tune_z`` the test slice and the slice
#:   the weights are tuned on (MNI z in mm), ``accelerations`` with their
#:   ``center_fractions``, ``mask_seed``, ``lamdas`` the tuning grids of the SigPy
#:   methods, ``slider_*`` the slider's grid, ``espirit_kernel`` / ``espirit_crop``
#:   ESPIRiT's settings per acceleration, ``channels``, ``depth``, ``steps``, ``lr``,
#:   ``record_every`` the deep decoder fits.
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "intro": {
        "book": {"n": 128, "k": 512, "steps": 2000},
        "paper": {"n": 128, "k": 512, "steps": 2000},
    },
    "ch1": {
        "book": {"n": 100, "steps": 3000, "draws": 4000},
        "paper": {"n": 100, "steps": 3000, "draws": 4000},
    },
    "ch2": {
        "book": {"n": 300, "n2d": 16},
        "paper": {"n": 300, "n2d": 32},
    },
    "ch3": {
        "book": {
            "n": 300,
            "n_mc": 100,
            "k_list": [16, 64, 256, 1024, 4096, 16384],
            "mc_seeds": 3,
        },
        "paper": {
            "n": 300,
            "n_mc": 300,
            "k_list": [16, 64, 256, 1024, 4096, 16384, 65536],
            "mc_seeds": 5,
        },
    },
    "ch4": {
        "book": {
            "n": 128,
            "k": 1024,
            "k_sweep": [16, 64, 256, 1024],
            "k_den": 512,
            "k_small": 256,
            "steps_a": 1000,
            "steps_b": 400,
            "steps_f": 2000,
        },
        "paper": {
            "n": 300,
            "k": 8192,
            "k_sweep": [16, 64, 256, 1024, 4096, 16384],
            "k_den": 4096,
            "k_small": 2048,
            "steps_a": 3000,
            "steps_b": 1000,
            "steps_f": 10000,
        },
    },
    "ch5": {
        "book": {
            "n": 128,
            "draws": 20,
            "m_grid": [12, 18, 24, 30, 36, 48, 60],
            "steps_gd": 3000,
        },
        "paper": {
            "n": 300,
            "draws": 100,
            "m_grid": [12, 18, 24, 30, 36, 48, 60, 78, 96],
            "steps_gd": 20000,
        },
    },
    "ch6": {
        "book": {
            "size": 64,
            "depth": 4,
            "k_over": 64,
            "k_under": 16,
            "k_sweep": [8, 16, 32, 64],
            "dip_channels": [16, 16, 16, 16],
            "dip_skip": 4,
            "dip_input": 16,
            "draws": 3,
            "fig1_size": 32,
            "fig1_depth": 3,
            "fig1_k": 64,
            "steps_fig1": 400,
            "steps_image": 300,
            "steps_noise": 1200,
            "steps_noise_dip": 900,
            "steps_dip": 400,
            "steps_over": 800,
            "steps_under": 800,
            "steps_sweep": 800,
            "record_every": 5,
        },
        "paper": {
            "size": 512,
            "depth": 5,
            "k_over": 512,
            "k_under": 128,
            "k_sweep": [32, 64, 128, 256, 512],
            "dip_channels": [128, 128, 128, 128, 128],
            "dip_skip": 4,
            "dip_input": 32,
            "draws": 3,
            "fig1_size": 512,
            "fig1_depth": 5,
            "fig1_k": 512,
            "steps_fig1": 3000,
            "steps_image": 3000,
            "steps_noise": 10000,
            "steps_noise_dip": 10000,
            "steps_dip": 3000,
            "steps_over": 3000,
            "steps_under": 3000,
            "steps_sweep": 3000,
            "record_every": 10,
        },
    },
    # Chapter 7 (deep decoder dynamics): an entry "ch7" goes here, with the same two
    # scales.
    "ch7": {
        "book": {
            "n": 512,
            "k": 64,
            "depth1d": 4,
            "fig7_iters": [1, 50, 3500],
            "slider_iters": [1, 10, 50, 100, 250, 500, 1000, 2000, 3500],
            "jac_chunk": 128,
            "size": 32,
            "depth": 3,
            "factors": [1, 4, 16],
            "channels_arch": None,
            "steps_arch": 300,
            "lr_arch": 0.05,
            "fig10_images": [
                "camera",
                "coins",
                "moon",
                "astronaut",
                "coffee",
                "chelsea",
            ],
            "n_init": 100,
            "jac_batch": 20,
            "dd_k": 32,
            "dip_channels": [16, 16, 16],
            "dip_skip": 4,
            "dip_input": 16,
        },
        "paper": {
            "n": 512,
            "k": 64,
            "depth1d": 4,
            "fig7_iters": [1, 50, 3500],
            "slider_iters": [1, 10, 50, 100, 250, 500, 1000, 2000, 3500],
            "jac_chunk": 128,
            "size": 256,
            "depth": 5,
            "factors": [1, 4, 16],
            "channels_arch": {
                "i": [128, 256, 512],
                "ii": [128, 256, 512],
                "iii": [42, 85, 170],
                "iv": [42, 85, 170],
            },
            # 5000, not 20 000: under 30 minutes on one H200 (running_at_paper_scale.md)
            "steps_arch": 5000,
            "lr_arch": 0.05,
            "fig10_images": [
                "camera",
                "coins",
                "moon",
                "clock",
                "astronaut",
                "coffee",
                "chelsea",
                "rocket",
            ],
            "n_init": 1000,  # the paper: 5000 (the same page says why fewer)
            "jac_batch": 4,
            "dd_k": 128,
            "dip_channels": [128, 128, 128, 128, 128],
            "dip_skip": 4,
            "dip_input": 32,
        },
    },
    "ch8": {
        "book": {
            "n": 64,
            "m": 24,
            "p": 6,
            "kernel_std": 2.0,
            "tol": 1e-8,
            "max_steps": 30000,
            "k_lin": [32, 128, 512],
            "draws_lin": 3,
            "k_bound": 128,
            "m_bound": [12, 18, 24],
            "p_bound": [4, 8],
            "draws_bound": 2,
            "p_list": [2, 4, 6, 8, 10, 12, 14, 16],
            "draws_op": 20,
            "level_op": 0.01,
            "size": 64,
            "depth": 5,
            "k": 64,
            "steps": 600,
            "lr": 0.01,
            "record_every": 10,
            "dip_channels": [16, 16, 16, 16],
            "dip_skip": 4,
            "dip_input": 16,
            "steps_dip": 400,
            "images": ["clock", "grass"],
            "operator": "gaussian",
            "fractions": [0.1, 0.25, 0.5],
            "mask_keep": 1 / 3,
            "noise": [0.05, 0.2],
        },
        "paper": {
            "n": 64,
            "m": 24,
            "p": 6,
            "kernel_std": 2.0,
            "tol": 1e-8,
            "max_steps": 30000,
            "k_lin": [32, 128, 512, 2048],
            "draws_lin": 10,
            "k_bound": 512,
            "m_bound": [12, 18, 24, 32],
            "p_bound": [4, 8],
            "draws_bound": 5,
            "p_list": [2, 4, 6, 8, 10, 12, 14, 16],
            "draws_op": 100,
            "level_op": 0.01,
            "size": 256,
            "depth": 5,
            "k": 256,
            # the authors: 100 000 and 20 000 steps; fewer so that the chapter runs in
            # under 30 minutes on one H200 (book/running_at_paper_scale.md)
            "steps": 20000,
            "lr": 0.005,
            "record_every": 100,
            "dip_channels": [128, 128, 128, 128, 128],
            "dip_skip": 4,
            "dip_input": 32,
            "steps_dip": 10000,
            "images": ["clock", "grass"],
            "operator": "fourier",
            "fractions": [0.1, 0.25, 0.5],
            "mask_keep": 1 / 3,
            "noise": [0.05, 0.2],
        },
    },
    "ch9": {
        "book": {
            "size": 128,
            **_CH9_DATA,
            "espirit_kernel": [5, 3],
            "espirit_crop": [0.95, 0.8],
            "channels": 64,
            "depth": 5,
            "steps": 400,
            "lr": 0.01,
            "record_every": 10,
        },
        "paper": {
            "size": 192,
            **_CH9_DATA,
            "espirit_kernel": [6, 4],
            "espirit_crop": [0.95, 0.9],
            "channels": 384,
            "depth": 6,
            "steps": 10000,
            "lr": 0.0025,
            "record_every": 50,
        },
    },
}


def sizes(chapter: str) -> dict[str, Any]:
    """The sizes of one chapter at the current :func:`scale`.

    Used in every chapter and the introduction (first code cell).

    Parameters
    ----------
    chapter : str
        A key of :data:`SIZES`: ``"intro"``, ``"ch1"``, ..., ``"ch5"``.  The
        keys of each chapter's dictionary are listed at :data:`SIZES`.

    Returns
    -------
    dict
        A fresh (deep) copy of ``SIZES[chapter][scale()]``: changing it does not
        change the table.

    Raises
    ------
    ValueError
        If ``chapter`` is not in the table (the message names the known
        chapters), or ``DD_SCALE`` is invalid.

    Examples
    --------
    >>> sorted(sizes("ch2"))
    ['n', 'n2d']
    >>> sizes("ch2")["n"]  # the same at both scales
    300
    >>> SIZES["ch4"]["book"]["k_sweep"]
    [16, 64, 256, 1024]
    """
    if not isinstance(chapter, str) or chapter not in SIZES:
        known = ", ".join(repr(c) for c in SIZES)
        raise ValueError(f"unknown chapter {chapter!r}: sizes are defined for {known}")
    return copy.deepcopy(SIZES[chapter][scale()])
