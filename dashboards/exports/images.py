"""Chart images for the PDF: plotly figures (the plain dicts evaluate.charts gives) drawn by
kaleido through the machine's Chromium. Without a Chromium the report is still made, with a note
where each chart would be."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ChartImages", "chart_images", "find_chromium"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
WIDTH, HEIGHT, SCALE = 900, 380, 2


def find_chromium() -> str | None:
    """The system's Chromium: the report never downloads a browser of its own."""
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


ChartImages = list[bytes] | str  # a PNG per figure, or why none could be drawn


def chart_images(figures: Sequence[Mapping[str, Any]], *, browser: str | None) -> ChartImages:
    """PNG bytes of each figure, drawn in one browser session (starting one takes seconds)."""
    if not figures:
        return []
    if browser is None:
        return "Chart not drawn: no Chromium was found on this machine (install `chromium`)."
    return asyncio.run(_draw(figures, browser))


async def _draw(figures: Sequence[Mapping[str, Any]], browser: str) -> list[bytes]:
    import kaleido  # a few hundred milliseconds: only when a chart is drawn
    import plotly.graph_objects as go  # the one graph object left: plotly checks each dict here,
    # so a malformed figure fails with plotly's message rather than blank in the browser

    opts = {"format": "png", "width": WIDTH, "height": HEIGHT, "scale": SCALE}
    async with kaleido.Kaleido(n=1, path=browser, mathjax=False) as renderer:
        return [bytes(await renderer.calc_fig(go.Figure(figure), opts=opts))
                for figure in figures]
