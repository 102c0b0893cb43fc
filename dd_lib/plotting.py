"""The course's figure style: colour-blind-safe, readable at book width."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.rcsetup import cycler  # what mpl.cycler is; its stub lacks that name

#: Colour-blind-safe palette (Tableau's colour-blind 10), in plotting order.
PALETTE: tuple[str, ...] = (
    "#006BA4",
    "#FF800E",
    "#ABABAB",
    "#595959",
    "#5F9ED1",
    "#C85200",
    "#898989",
    "#A2C8EC",
    "#FFBC79",
    "#CFCFCF",
)


def use_course_style() -> None:
    """Set matplotlib defaults for every chapter.

    Colour-blind-safe colour cycle, a perceptually uniform colour map
    (``cividis``), figures 7.5 in wide at 100 dpi (book width), and fonts large
    enough to read there.  Call once at the top of a chapter.

    Used in every chapter and the introduction.

    Examples
    --------
    >>> use_course_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["image.cmap"], len(PALETTE)
    ('cividis', 10)
    """
    plt.style.use("tableau-colorblind10")
    mpl.rcParams.update(
        {
            "figure.figsize": (7.5, 3.2),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 10,
            "axes.titlesize": 10,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "image.cmap": "cividis",
            "figure.constrained_layout.use": True,
            "axes.prop_cycle": cycler(color=list(PALETTE)),
        }
    )
