"""Charts of the PDF grant report, drawn with matplotlib's Agg backend into PNG bytes in memory.

No pyplot (its global figure registry is not thread-safe): a `Figure` with an Agg canvas. The
import is lazy, so loading the services does not load matplotlib. When MPLCONFIGDIR is unset
and the home directory is not writable, matplotlib's font cache goes to a temp directory.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from app.domain.money import from_micros

ALLOCATED_COLOR = "#9db4cf"
SPENT_COLOR = "#1f4e79"
IDEAL_COLOR = "#8c8c8c"
DPI = 200


def _figure(width: float, height: float) -> Any:
    if "MPLCONFIGDIR" not in os.environ:
        home = Path.home()
        if not (home.is_dir() and os.access(home, os.W_OK)):
            os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="allot-matplotlib-")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _style(axes: Any, currency: str) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.grid(axis="y", color="#e0e0e0", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.tick_params(labelsize=7)
    axes.set_ylabel(currency, fontsize=7)
    axes.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}")


def _png(figure: Any) -> bytes:
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def allocated_vs_spent(
    names: Sequence[str], allocated: Sequence[int], spent: Sequence[int], currency: str
) -> bytes:
    """Grouped bars per project: allocated (light) and spent (dark)."""
    figure = _figure(7.0, 2.8)
    axes = figure.add_subplot()
    positions = range(len(names))
    width = 0.38
    axes.bar(
        [x - width / 2 for x in positions],
        [float(from_micros(a)) for a in allocated],
        width,
        label="Allocated",
        color=ALLOCATED_COLOR,
    )
    axes.bar(
        [x + width / 2 for x in positions],
        [float(from_micros(s)) for s in spent],
        width,
        label="Spent",
        color=SPENT_COLOR,
    )
    axes.set_xticks(list(positions), [_short(n) for n in names])
    _style(axes, currency)
    axes.legend(fontsize=7, frameon=False)
    return _png(figure)


def cumulative_vs_ideal(
    days: Sequence[date], cumulative: Sequence[int], ideal: Sequence[int], currency: str
) -> bytes:
    """Cumulative spend per day against the straight-line ideal."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    figure = _figure(7.0, 2.8)
    axes = figure.add_subplot()
    axes.plot(
        list(days),
        [float(from_micros(i)) for i in ideal],
        color=IDEAL_COLOR,
        linestyle="--",
        linewidth=1,
        label="Ideal (straight line)",
    )
    axes.plot(
        list(days),
        [float(from_micros(c)) for c in cumulative],
        color=SPENT_COLOR,
        linewidth=1.6,
        label="Cumulative spend",
    )
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    _style(axes, currency)
    axes.set_ylim(bottom=0)
    axes.legend(fontsize=7, frameon=False, loc="upper left")
    return _png(figure)


def _short(name: str, limit: int = 18) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"
