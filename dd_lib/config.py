"""Device choice, seeding and the book/paper scale switch."""

from __future__ import annotations

import os
import random
from typing import Literal

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
    """
    seed = check_int(seed, "seed", 0)
    if seed >= 2**32:
        raise ValueError(f"seed must be < 2**32, got {seed}")
    random.seed(seed)
    np.random.seed(seed)
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
    """
    value = os.environ.get("DD_SCALE", "book").strip().lower() or "book"
    if value not in _SCALES:
        raise ValueError(f"DD_SCALE must be 'book' or 'paper', got {value!r}")
    return value  # type: ignore[return-value]
