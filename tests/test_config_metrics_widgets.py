"""Tests of seeding, the scale switch, the metric wrappers and the sliders."""

import random
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import dd_lib as dd


def test_seed_everything_makes_all_generators_repeat():
    # NumPy's legacy global state is what seed_everything seeds (readers' code calls
    # np.random.*); a Generator from default_rng would not test it.
    dd.seed_everything(5)
    a = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    dd.seed_everything(5)
    b = (random.random(), np.random.rand(), torch.rand(1).item())  # noqa: NPY002
    assert a == b


@pytest.mark.parametrize("bad", [-1, 2**32, 1.5, "3", True])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed"):
        dd.seed_everything(bad)


def test_scale_reads_environment(monkeypatch):
    monkeypatch.delenv("DD_SCALE", raising=False)
    assert dd.scale() == "book"
    monkeypatch.setenv("DD_SCALE", "paper")
    assert dd.scale() == "paper"
    monkeypatch.setenv("DD_SCALE", "huge")
    with pytest.raises(ValueError, match="'book' or 'paper'"):
        dd.scale()


def test_sizes_follow_the_scale(monkeypatch):
    monkeypatch.delenv("DD_SCALE", raising=False)
    book = dd.sizes("ch4")
    assert book == dd.SIZES["ch4"]["book"]
    assert book["n"] == 128
    monkeypatch.setenv("DD_SCALE", "paper")
    paper = dd.sizes("ch4")
    assert paper == dd.SIZES["ch4"]["paper"]
    assert paper["n"] == 300
    assert set(book) == set(paper)  # every key exists at both scales
    # a copy: changing it leaves the table alone
    paper["k_sweep"].append(1)
    paper["n"] = 1
    assert dd.sizes("ch4") == dd.SIZES["ch4"]["paper"]
    assert dd.SIZES["ch4"]["paper"]["n"] == 300


def test_sizes_table_is_complete():
    for chapter in ["intro", "ch1", "ch2", "ch3", "ch4", "ch5"]:
        assert set(dd.SIZES[chapter]) == {"book", "paper"}
        assert set(dd.SIZES[chapter]["book"]) == set(dd.SIZES[chapter]["paper"]), (
            chapter
        )


@pytest.mark.parametrize("bad", ["ch99", "4", None, 4])
def test_sizes_unknown_chapter(bad, monkeypatch):
    monkeypatch.delenv("DD_SCALE", raising=False)
    with pytest.raises(ValueError, match=r"unknown chapter.*'ch1'.*'ch5'"):
        dd.sizes(bad)


def test_sizes_bad_scale(monkeypatch):
    monkeypatch.setenv("DD_SCALE", "huge")
    with pytest.raises(ValueError, match="'book' or 'paper'"):
        dd.sizes("ch1")


def test_version_in_one_place():
    from importlib.metadata import version

    assert dd.__version__ == version("dd_lib")


def test_get_device():
    assert dd.get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_psnr_and_ssim():
    rng = np.random.default_rng(0)
    x = rng.random((32, 32))
    noisy = x + 0.1 * rng.standard_normal(x.shape)
    mse = np.mean((x - noisy) ** 2)
    assert dd.psnr(x, noisy) == pytest.approx(10 * np.log10(1 / mse))
    assert dd.ssim(x, x) == pytest.approx(1.0)
    from skimage.metrics import structural_similarity

    assert dd.ssim(x, noisy) == pytest.approx(
        structural_similarity(x, noisy, data_range=1.0)
    )
    assert dd.ssim(x, noisy) < dd.ssim(x, x + 0.01 * rng.standard_normal(x.shape)) < 1.0
    with pytest.raises(ValueError, match="same shape"):
        dd.psnr(x, x[:5])
    with pytest.raises(ValueError, match="data_range"):
        dd.psnr(x, x, data_range=0)
    with pytest.raises(ValueError, match="at least 7 pixels"):
        dd.ssim(x[:5, :5], x[:5, :5])
    with pytest.raises(ValueError, match="finite"):
        dd.psnr(x, np.full_like(x, np.nan))


def _render(a, b):
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1], [a, b])
    return fig


def test_precomputed_slider_holds_every_frame_and_script():
    out = dd.precomputed_slider(
        _render,
        {"a": [0.0, 1.0, 2.0], "b": [1, 2]},
        alt=lambda a, b: f"line {a} to {b}",
    )
    html = out.data
    assert html.count('type="range"') == 2
    for i in range(3):
        for j in range(2):
            assert f'"{i}_{j}"' in html
    assert "line 1.0 to 1" in html  # initial frame's alt text (middle values)
    assert re.search(r'id="dds-[0-9a-f]{10}"', html)
    # deterministic: same input, same HTML
    assert (
        dd.precomputed_slider(
            _render,
            {"a": [0.0, 1.0, 2.0], "b": [1, 2]},
            alt=lambda a, b: f"line {a} to {b}",
        ).data
        == html
    )


def test_slider_bad_input():
    with pytest.raises(ValueError, match="non-empty mapping"):
        dd.precomputed_slider(_render, {}, alt=str)
    with pytest.raises(ValueError, match="at least one value"):
        dd.precomputed_slider(_render, {"a": [], "b": [1]}, alt=str)
    with pytest.raises(ValueError, match="not one of"):
        dd.precomputed_slider(
            _render, {"a": [1.0], "b": [1]}, alt=lambda a, b: "", initial={"a": 3.0}
        )
    with pytest.raises(ValueError, match="Figure"):
        dd.precomputed_slider(lambda a: None, {"a": [1]}, alt=lambda a: "")
    with pytest.raises(ValueError, match=r"\(min, max, step, value\)"):
        dd.live_slider(_render, {"a": (0, 1, 0.1)})
    with pytest.raises(ValueError, match="min <= value <= max"):
        dd.live_slider(_render, {"a": (0, 1, 0.1, 5)})


def test_live_slider_builds_widgets(monkeypatch):
    monkeypatch.delenv("DD_LIVE_WIDGETS", raising=False)
    box = dd.live_slider(_render, {"a": (0, 1, 0.1, 0.5), "b": (0, 2, 0.5, 1)})
    assert len(box.children) == 3
    assert box.children[0].value == 0.5


def test_live_slider_is_a_note_without_live_widgets(monkeypatch):
    # paper_scale.py's headless runs: no widget, a one-line note; bad input still fails
    monkeypatch.setenv("DD_LIVE_WIDGETS", "0")
    note = dd.live_slider(_render, {"a": (0, 1, 0.1, 0.5)})
    assert "DD_LIVE_WIDGETS=0" in note.data
    with pytest.raises(ValueError, match="min <= value <= max"):
        dd.live_slider(_render, {"a": (0, 1, 0.1, 5)})
    monkeypatch.setenv("DD_LIVE_WIDGETS", "no")
    with pytest.raises(ValueError, match="DD_LIVE_WIDGETS must be '0' or '1'"):
        dd.live_slider(_render, {"a": (0, 1, 0.1, 0.5)})


def test_precomputed_frames_are_palette_pngs_close_to_the_rendering():
    import base64
    import io
    import re

    from PIL import Image

    def render(a):
        fig, ax = plt.subplots(figsize=(4, 2))
        ax.imshow(np.random.default_rng(0).random((16, 16)), cmap="gray")
        ax.plot([0, 15], [0, 15 * a], color="C1")
        return fig

    html = dd.precomputed_slider(render, {"a": [1.0]}, alt=lambda a: "x", dpi=100).data
    uri = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html).group(1)
    frame = Image.open(io.BytesIO(base64.b64decode(uri)))
    assert frame.mode == "P"
    fig = render(1.0)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    full = np.asarray(
        Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), dtype=float
    )
    quant = np.asarray(frame.convert("RGB"), dtype=float)
    assert full.shape == quant.shape
    assert np.abs(full - quant).mean() < 2.0  # out of 255: visually the same
