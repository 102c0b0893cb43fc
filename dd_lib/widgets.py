"""Sliders that work both in Jupyter (live) and in the rendered book (no kernel).

* :func:`live_slider` builds ipywidgets sliders over continuous ranges; every
  move re-runs the plotting function in the kernel.
* :func:`precomputed_slider` renders the plotting function on a grid of
  parameter values ahead of time and returns self-contained HTML: range inputs
  and a small script that swap pre-rendered PNG frames.  It needs no kernel and
  nothing from the network, so it works in the static book.

A chapter shows the live version in a cell tagged ``remove-output`` (its code
stays in the book, its dead widget does not) and the precomputed version in the
next cell.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from itertools import product
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

RenderFn = Callable[..., Figure]


def _check_grid(grid: Mapping[str, Sequence[Any]]) -> dict[str, list[Any]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(
            "grid must be a non-empty mapping from parameter name to a sequence of "
            "values"
        )
    out: dict[str, list[Any]] = {}
    for name, values in grid.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(
                f"grid keys must be parameter names (identifiers), got {name!r}"
            )
        vals = list(values)
        if not vals:
            raise ValueError(f"grid[{name!r}] must hold at least one value")
        out[name] = vals
    return out


def _png_data_uri(fig: Figure, dpi: int) -> str:
    # Frames are stored as 256-colour palette PNGs: line plots and grey images look the
    # same as the full-colour rendering and take about 2.5x less space on the page
    # (Pillow comes with matplotlib).
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    plt.close(fig)
    img = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    out = io.BytesIO()
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        out, format="PNG", optimize=True
    )
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def _label(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def precomputed_slider(
    render: RenderFn,
    grid: Mapping[str, Sequence[Any]],
    alt: Callable[..., str],
    *,
    labels: Mapping[str, str] | None = None,
    initial: Mapping[str, Any] | None = None,
    dpi: int = 72,
) -> Any:
    """Kernel-free slider: one range input per parameter over pre-rendered frames.

    Parameters
    ----------
    render : callable
        ``render(**params) -> matplotlib.figure.Figure``; called once for every
        combination of the grid values (the figure is closed afterwards).
    grid : mapping of str to sequence
        Parameter name -> the values the slider steps through, in order.
    alt : callable
        ``alt(**params) -> str``: the alt text of each frame (describes what the
        figure shows for those parameters).
    labels : mapping of str to str, optional
        Human-readable label per parameter (defaults to the name).
    initial : mapping, optional
        Starting value per parameter (must be one of its grid values); defaults
        to the middle value.
    dpi : int, default 72
        Resolution of the frames.

    Returns
    -------
    IPython.display.HTML
        Self-contained HTML (frames as data URIs, a few lines of JavaScript).

    Used in chapters 1 to 5 (the sliders of the rendered book).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> def render(a):
    ...     fig, ax = plt.subplots()
    ...     ax.plot([0, 1], [0, a])
    ...     return fig
    >>> page = precomputed_slider(
    ...     render, {"a": [0.0, 1.0]}, alt=lambda a: f"a line of slope {a}"
    ... )
    >>> (
    ...     page.data.count('type="range"'),
    ...     page.data.count("data:image/png"),
    ... )  # 1 slider, 2 frames + the first shown
    (1, 3)
    """
    from IPython.display import HTML

    if not callable(render) or not callable(alt):
        raise ValueError(
            "render and alt must be callables taking the grid parameters as keywords"
        )
    grid = _check_grid(grid)
    labels = dict(labels or {})
    initial = dict(initial or {})
    names = list(grid)
    start = {}
    for name in names:
        if name in initial:
            if initial[name] not in grid[name]:
                raise ValueError(
                    f"initial[{name!r}] = {initial[name]!r} is not one of "
                    f"grid[{name!r}] = {grid[name]}"
                )
            start[name] = grid[name].index(initial[name])
        else:
            start[name] = (len(grid[name]) - 1) // 2
    frames: dict[str, list[str]] = {}
    for idx in product(*(range(len(grid[n])) for n in names)):
        params = {n: grid[n][i] for n, i in zip(names, idx, strict=True)}
        fig = render(**params)
        if not isinstance(fig, Figure):
            raise ValueError(
                f"render must return a matplotlib Figure, got {type(fig).__name__}"
            )
        frames["_".join(map(str, idx))] = [_png_data_uri(fig, dpi), alt(**params)]
    uid = (
        "dds-"
        + hashlib.sha1(
            json.dumps([names, [[_label(v) for v in grid[n]] for n in names]]).encode()
        ).hexdigest()[:10]
    )
    first = "_".join(str(start[n]) for n in names)
    controls = []
    for n in names:
        vals = json.dumps([_label(v) for v in grid[n]])
        controls.append(
            '<label style="display:block;margin:2px 0">'
            f"{html.escape(labels.get(n, n))}: "
            f'<input type="range" class="dds-input" data-name="{n}" '
            f"data-values='{vals}' "
            f'min="0" max="{len(grid[n]) - 1}" step="1" value="{start[n]}" '
            f'aria-label="{html.escape(labels.get(n, n))}" '
            'style="vertical-align:middle;width:14em"> '
            f"<output>{html.escape(_label(grid[n][start[n]]))}</output></label>"
        )
    src, alt0 = frames[first]
    return HTML(
        f'<div class="dd-static-slider" id="{uid}">'
        + "".join(controls)
        + f'<img class="dds-frame" src="{src}" alt="{html.escape(alt0)}" '
        + 'style="max-width:100%">'
        + '<script type="application/json" class="dds-frames">'
        + f"{json.dumps(frames)}</script>"
        + "<script>(function(){"
        + f'var root=document.getElementById("{uid}");'
        + 'var frames=JSON.parse(root.querySelector(".dds-frames").textContent);'
        + 'var inputs=root.querySelectorAll(".dds-input");'
        + 'var img=root.querySelector(".dds-frame");'
        + "function update(){var key=[];inputs.forEach(function(el){key.push(el.value);"
        + "el.nextElementSibling.textContent="
        + "JSON.parse(el.dataset.values)[+el.value];});"
        + 'var f=frames[key.join("_")];img.src=f[0];img.alt=f[1];}'
        + 'inputs.forEach(function(el){el.addEventListener("input",update);});'
        + "})();</script></div>"
    )


def live_slider(
    render: RenderFn,
    ranges: Mapping[str, tuple[float, float, float, float]],
    *,
    labels: Mapping[str, str] | None = None,
) -> Any:
    """Live ipywidgets sliders (needs a running kernel).

    Parameters
    ----------
    render : callable
        ``render(**params) -> matplotlib.figure.Figure``.
    ranges : mapping of str to (min, max, step, value)
        One float slider per parameter.
    labels : mapping of str to str, optional
        Slider descriptions (default: the names).

    Returns
    -------
    ipywidgets.VBox
        The sliders above an output area that shows the current figure.  With the
        environment variable ``DD_LIVE_WIDGETS=0`` a one-line HTML note instead:
        ``book/tools/paper_scale.py`` sets it, because a live widget needs a browser
        and, executed headless at paper scale, chapter 8's hung the notebook client
        (the kernel idle, the client waiting for the cell's reply).

    Raises
    ------
    ValueError
        For a ``render`` that is not callable, empty or malformed ``ranges``, or
        ``DD_LIVE_WIDGETS`` other than ``0`` or ``1``.

    Used in chapters 1 to 5 (the sliders in Jupyter).

    Examples
    --------
    >>> import contextlib, io
    >>> import matplotlib.pyplot as plt
    >>> def render(a):
    ...     fig, ax = plt.subplots()
    ...     ax.plot([0, 1], [0, a])
    ...     return fig
    >>> with contextlib.redirect_stdout(
    ...     io.StringIO()
    ... ):  # without a kernel the figure would print as text
    ...     box = live_slider(render, {"a": (0.0, 1.0, 0.1, 0.5)})
    >>> [w.description for w in box.children[:-1]]
    ['a']
    """
    import ipywidgets as widgets
    from IPython.display import display

    if not callable(render):
        raise ValueError(
            "render must be a callable taking the slider values as keywords"
        )
    if not isinstance(ranges, Mapping) or not ranges:
        raise ValueError(
            "ranges must be a non-empty mapping name -> (min, max, step, value)"
        )
    labels = dict(labels or {})
    sliders = {}
    for name, spec in ranges.items():
        if len(spec) != 4:
            raise ValueError(
                f"ranges[{name!r}] must be (min, max, step, value), got {spec!r}"
            )
        lo, hi, step, value = (float(s) for s in spec)
        if not lo <= value <= hi or step <= 0:
            raise ValueError(
                f"ranges[{name!r}] needs min <= value <= max and step > 0, got {spec!r}"
            )
        sliders[name] = widgets.FloatSlider(
            min=lo,
            max=hi,
            step=step,
            value=value,
            description=labels.get(name, name),
            continuous_update=False,
            readout_format=".3g",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="28em"),
        )
    live = os.environ.get("DD_LIVE_WIDGETS", "1").strip() or "1"
    if live not in ("0", "1"):
        raise ValueError(f"DD_LIVE_WIDGETS must be '0' or '1', got {live!r}")
    if live == "0":
        from IPython.display import HTML

        return HTML("<p><em>(A live slider: not built, DD_LIVE_WIDGETS=0.)</em></p>")
    out = widgets.Output()

    def _show(**params: float) -> None:
        fig = render(**params)
        with out:
            out.clear_output(wait=True)
            display(fig)
        plt.close(fig)

    widgets.interactive_output(_show, sliders)
    return widgets.VBox([*sliders.values(), out])
