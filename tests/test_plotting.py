"""Tests for factor.plotting: bundled CJK font, minus signs, figure helpers."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.font_manager import FontProperties, findfont, fontManager  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402

from factor import plotting  # noqa: E402
from factor.plotting import (  # noqa: E402
    annotate_bars,
    cjk_font_path,
    heatmap,
    new_figure,
    use_report_style,
)

CHINESE_TITLE = "分解卷积的延迟对比"
CHINESE_LABEL = "通道数"


@pytest.fixture(autouse=True)
def isolated_style() -> Iterator[None]:
    """Restore rcParams and close figures after each test."""
    with mpl.rc_context():
        yield
    plt.close("all")


def _render_chinese_figure() -> bytes:
    """Draw a line plot with Chinese title and labels and negative ticks, as PNG."""
    figure, ax = plt.subplots()
    ax.plot([-3.0, -1.0, 2.0], [-2.0, 0.5, 1.0])
    ax.set_title(CHINESE_TITLE)
    ax.set_xlabel(f"{CHINESE_LABEL} (个)")
    ax.set_ylabel("误差 (%)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def test_cjk_font_path_points_to_bundled_file() -> None:
    path = cjk_font_path()
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert path.parent.name == "fonts"
    assert path.is_file()


def test_cjk_font_path_missing_package(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(package: str) -> None:
        raise ModuleNotFoundError(f"No module named {package!r}")

    monkeypatch.setattr(plotting.importlib.resources, "files", missing)
    with pytest.raises(FileNotFoundError, match="pip install mplfonts"):
        cjk_font_path()


def test_cjk_font_path_missing_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plotting, "CJK_FONT_FILE", "NoSuchFont.otf")
    with pytest.raises(FileNotFoundError, match="NoSuchFont.otf is missing; reinstall"):
        cjk_font_path()


def test_chinese_text_renders_without_missing_glyphs() -> None:
    use_report_style()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = _render_chinese_figure()
    assert png.startswith(b"\x89PNG")


def test_chinese_text_warns_without_report_style() -> None:
    # The control for the test above: matplotlib's defaults (DejaVu Sans only)
    # have no CJK glyphs, so the same figure warns.
    mpl.rcdefaults()
    mpl.use("Agg")
    with pytest.warns(UserWarning, match="Glyph .* missing from font"):
        _render_chinese_figure()


def test_chinese_text_resolves_to_bundled_font() -> None:
    use_report_style()
    first_family = mpl.rcParams["font.sans-serif"][0]
    assert first_family == "Noto Sans CJK SC"
    # A list keeps FontProperties from parsing the name as a fontconfig pattern.
    assert Path(findfont(FontProperties(family=[first_family]))) == cjk_font_path()
    # The generic family used by every Text now resolves to the same file.
    assert Path(findfont(FontProperties(family=["sans-serif"]))) == cjk_font_path()


def test_dejavu_sans_is_fallback() -> None:
    use_report_style()
    assert mpl.rcParams["font.family"] == ["sans-serif"]
    assert mpl.rcParams["font.sans-serif"] == ["Noto Sans CJK SC", "DejaVu Sans"]


def test_minus_sign_glyph_decides_unicode_minus() -> None:
    # The bundled font maps U+2212, so the true minus sign stays on.
    has_minus = FT2Font(str(cjk_font_path())).get_char_index(0x2212) != 0
    use_report_style()
    assert has_minus
    assert mpl.rcParams["axes.unicode_minus"] is True


def test_negative_tick_labels_use_minus_sign() -> None:
    use_report_style()
    figure, ax = plt.subplots()
    ax.plot([-2.0, 2.0], [-1.0, 1.0])
    figure.canvas.draw()
    labels = [label.get_text() for label in ax.get_xticklabels()]
    assert any(text.startswith("\u2212") for text in labels)


def _entries_for(path: Path) -> int:
    return sum(Path(entry.fname) == path for entry in fontManager.ttflist)


def test_use_report_style_registers_font_once() -> None:
    # matplotlib may list one file under several names, so the test compares
    # the count after one call with the count after a second call.
    use_report_style()
    registered = _entries_for(cjk_font_path())
    use_report_style()
    assert registered >= 1
    assert _entries_for(cjk_font_path()) == registered


def test_report_style_settings() -> None:
    use_report_style()
    assert 110 <= mpl.rcParams["figure.dpi"] <= 150
    assert 110 <= mpl.rcParams["savefig.dpi"] <= 150
    assert mpl.rcParams["axes.grid"] is True
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == plotting.COLORS


@pytest.mark.parametrize(
    ("ncols", "nrows", "axes_shape", "figsize"),
    [
        # One panel: a single Axes, 4.8 × 3.6 inches.
        (1, 1, None, (4.8, 3.6)),
        # Two columns: 2 × 4.8 = 9.6 inches wide.
        (2, 1, (2,), (9.6, 3.6)),
        # Two rows of three: 3 × 4.8 = 14.4 wide, 2 × 3.6 = 7.2 high.
        (3, 2, (2, 3), (14.4, 7.2)),
    ],
)
def test_new_figure_grid_and_size(
    ncols: int, nrows: int, axes_shape: tuple[int, ...] | None, figsize: tuple[float, float]
) -> None:
    figure, axes = new_figure(ncols=ncols, nrows=nrows)
    if axes_shape is None:
        assert isinstance(axes, Axes)
    else:
        assert isinstance(axes, np.ndarray)
        assert axes.shape == axes_shape
    np.testing.assert_allclose(figure.get_size_inches(), figsize)
    assert mpl.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"


def test_new_figure_explicit_size() -> None:
    figure, _ = new_figure(ncols=2, width=7.0, height=2.5)
    np.testing.assert_allclose(figure.get_size_inches(), (7.0, 2.5))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"ncols": 0}, "ncols and nrows must be positive"),
        ({"nrows": -1}, "ncols and nrows must be positive"),
        ({"width": 0.0}, "width and height must be positive"),
        ({"height": -2.0}, "width and height must be positive"),
    ],
)
def test_new_figure_rejects_invalid(arguments: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        new_figure(**arguments)


def test_annotate_bars_labels_each_bar() -> None:
    _, ax = new_figure()
    ax.bar(["1×7+7×1", "7×7", "two 3×3"], [1.5, -2.0, 0.25])
    labels = annotate_bars(ax, fmt="{:.1f}")
    # "{:.1f}" formats 1.5 -> "1.5", -2.0 -> "-2.0", 0.25 -> "0.2" (round half to even).
    assert [label.get_text() for label in labels] == ["1.5", "-2.0", "0.2"]


def test_annotate_bars_percent_format_and_two_series() -> None:
    _, ax = new_figure()
    ax.bar([0, 1], [3.0, 4.0])
    ax.bar([0, 1], [1.0, 2.0], bottom=[3.0, 4.0])
    labels = annotate_bars(ax, fmt="%.0f ms")
    assert [label.get_text() for label in labels] == ["3 ms", "4 ms", "1 ms", "2 ms"]


def test_heatmap_draws_image_and_colorbar() -> None:
    use_report_style()
    figure, ax = new_figure()
    values = np.arange(12.0).reshape(3, 4)
    image = heatmap(ax, values, title="有效感受野", cmap="magma")
    np.testing.assert_array_equal(image.get_array(), values)
    assert image.get_cmap().name == "magma"
    assert ax.get_title() == "有效感受野"
    # The colorbar adds a second Axes to the figure.
    assert len(figure.axes) == 2
    assert not any(line.get_visible() for line in ax.get_xgridlines())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure.savefig(io.BytesIO(), format="png")


def test_heatmap_rejects_non_2d() -> None:
    _, ax = new_figure()
    with pytest.raises(ValueError, match=r"heatmap needs a 2-D H×W array, got shape \(2, 3, 4\)"):
        heatmap(ax, np.zeros((2, 3, 4)), title="x")
