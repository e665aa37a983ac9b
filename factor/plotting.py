"""One figure style for the report, with Chinese text that renders the same everywhere.

The CJK font is Noto Sans CJK SC, taken as a file from the ``mplfonts``
package, so figures do not depend on the fonts installed on the machine.
DejaVu Sans (bundled with matplotlib) is the fallback for glyphs the CJK
font lacks.
"""

from __future__ import annotations

import importlib.resources
import logging
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, fontManager
from matplotlib.ft2font import FT2Font
from matplotlib.image import AxesImage
from matplotlib.text import Text

logger = logging.getLogger(__name__)

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
FALLBACK_FAMILY = "DejaVu Sans"
MINUS_SIGN = 0x2212  # U+2212, which matplotlib draws for negative tick labels

PANEL_WIDTH_IN = 4.8
PANEL_HEIGHT_IN = 3.6

# Okabe and Ito's colour-blind-safe palette, without its black.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442"]


def cjk_font_path() -> Path:
    """Return the path of the Noto Sans CJK SC font file shipped in ``mplfonts``.

    Raises:
        FileNotFoundError: If ``mplfonts`` is not installed or lacks the file.
    """
    try:
        fonts = importlib.resources.files("mplfonts") / "fonts"
    except ModuleNotFoundError as error:
        raise FileNotFoundError(
            "the mplfonts package is not installed; install it with `pip install mplfonts` "
            "to render Chinese labels"
        ) from error
    path = Path(str(fonts / CJK_FONT_FILE))
    if not path.is_file():
        raise FileNotFoundError(
            f"font file {path} is missing; reinstall the mplfonts package "
            "(`pip install --force-reinstall mplfonts`)"
        )
    return path


def use_report_style() -> None:
    """Register the bundled CJK font and set the report's matplotlib defaults.

    The function changes the global ``matplotlib.rcParams`` and can be
    called any number of times. Use ``matplotlib.rc_context()`` to limit it
    to a block.
    """
    path = cjk_font_path()
    if all(Path(entry.fname) != path for entry in fontManager.ttflist):
        fontManager.addfont(str(path))
    family = FontProperties(fname=path).get_name()

    mpl.rcParams.update({
        "font.family": "sans-serif",
        "font.sans-serif": [family, FALLBACK_FAMILY],
        # With the glyph present, keep the true minus sign. Otherwise fall back
        # to the ASCII hyphen, which every font has.
        "axes.unicode_minus": _has_glyph(path, MINUS_SIGN),
        "font.size": 10,
        "figure.figsize": (PANEL_WIDTH_IN, PANEL_HEIGHT_IN),
        "figure.dpi": 120,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": cycler(color=COLORS),
        "image.cmap": "viridis",
    })
    logger.debug("report style set with font %s from %s", family, path)


def new_figure(
    ncols: int = 1,
    nrows: int = 1,
    width: float | None = None,
    height: float | None = None,
) -> tuple[Figure, Axes | np.ndarray]:
    """Apply the report style and create a figure with a grid of axes.

    Args:
        ncols: Number of panel columns.
        nrows: Number of panel rows.
        width: Figure width in inches. Defaults to 4.8 per column.
        height: Figure height in inches. Defaults to 3.6 per row.

    Returns:
        The figure and its axes: one Axes for a 1×1 grid, otherwise an array
        of Axes as ``plt.subplots`` returns it.

    Raises:
        ValueError: If a count or a size is not positive.
    """
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols and nrows must be positive, got ncols={ncols}, nrows={nrows}")
    width = PANEL_WIDTH_IN * ncols if width is None else width
    height = PANEL_HEIGHT_IN * nrows if height is None else height
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive inches, got {width}×{height}")

    use_report_style()
    return plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained")


def annotate_bars(ax: Axes, fmt: str = "{:.2f}") -> list[Text]:
    """Write each bar's value above it (below it for negative bars).

    Args:
        ax: Axes holding one or more bar containers from ``ax.bar`` or ``ax.barh``.
        fmt: Format string for the value, ``str.format`` style (``"{:.1f} ms"``)
            or %-style (``"%.1f"``).

    Returns:
        The created labels, in bar order.
    """
    labels: list[Text] = []
    for container in ax.containers:
        labels.extend(ax.bar_label(container, fmt=fmt, padding=2))
    return labels


def heatmap(ax: Axes, array: np.ndarray, title: str, cmap: str = "viridis") -> AxesImage:
    """Draw a 2-D array as an image with a colorbar, row 0 at the top.

    Args:
        ax: Target axes. Its grid is turned off.
        array: H×W values, for example an effective receptive field map.
        title: Axes title.
        cmap: Matplotlib colormap name.

    Returns:
        The image, for example to adjust its colour limits.

    Raises:
        ValueError: If ``array`` is not 2-D.
    """
    values = np.asarray(array)
    if values.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D H×W array, got shape {values.shape}")
    image = ax.imshow(values, cmap=cmap, interpolation="nearest", origin="upper")
    ax.figure.colorbar(image, ax=ax)
    ax.set_title(title)
    ax.grid(False)
    return image


def _has_glyph(path: Path, codepoint: int) -> bool:
    """Return whether the font file maps ``codepoint`` to a glyph."""
    return FT2Font(str(path)).get_char_index(codepoint) != 0
