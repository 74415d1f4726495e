"""Charts as images (PNG and SVG) that stand on their own in a slide or a briefing: the chart with its title, its summary
sentence, its source and its release drawn in. Made by Plotly's static export (kaleido) in the system's Chromium, with
Plotly's own script from the plotly package and no MathJax, so nothing is fetched: one browser per process, started on
the first image and kept (about 2 s to start, then about 0.2 s an image)."""

from __future__ import annotations

import copy
import html
import os
import shutil
import textwrap
import threading
import warnings

WIDTH = 1000  # px; PNG at twice that for print
SCALE = {"png": 2, "svg": 1}
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
LINE = 18  # px a line of the summary or source takes
CHARACTERS_A_LINE = 130  # at 13 px Arial, in WIDTH less the margins
SOURCE_CHARACTERS_A_LINE = 120  # at 12 px, set against the plot's right edge (its left margin depends on its labels)
_started = threading.Lock()
_running = False


def _lines(text: str, width: int = CHARACTERS_A_LINE) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width) or [""]


def framed(figure: dict, title: str, summary: str, source: str) -> dict:
    """`figure` (plain data, as components.figure makes) with `title`, `summary` and `source` (plain text, all escaped
    here: Plotly reads a subset of HTML in text) drawn in: the title and summary above the chart, the source and
    release below it, at a fixed width."""
    framed = copy.deepcopy(figure)
    layout = framed.setdefault("layout", {})
    summary_lines = _lines(summary)
    source_lines = _lines(source, SOURCE_CHARACTERS_A_LINE)
    margin = dict(layout.get("margin") or {})
    top = 50 + LINE * len(summary_lines)
    bottom = int(margin.get("b", 40)) + 30 + LINE * len(source_lines)
    legend = dict(layout.get("legend") or {})
    if legend.get("orientation") == "h":  # a legend across goes above the plot, under the summary, clear of the source
        top += 30
        legend |= {"x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom", "yref": "paper"}
    layout |= {
        "width": WIDTH,
        "height": int(layout.get("height", 360)) + top + bottom - int(margin.get("t", 30)) - int(margin.get("b", 40)),
        "margin": margin | {"t": top + 10, "b": bottom, "l": max(int(margin.get("l", 80)), 80), "r": 30},
        "title": {"text": f"<b>{html.escape(title)}</b>", "x": 0.02, "xanchor": "left", "xref": "container", "y": 1,
                  "yref": "container", "yanchor": "top", "pad": {"t": 12}, "font": {"size": 17},
                  "subtitle": {"text": "<br>".join(html.escape(line) for line in summary_lines), "font": {"size": 13}}},
        "xaxis": {"automargin": True} | dict(layout.get("xaxis") or {}),
        "yaxis": {"automargin": True} | dict(layout.get("yaxis") or {}),
        "legend": legend,
        "paper_bgcolor": "white",
        "plot_bgcolor": layout.get("plot_bgcolor", "white"),
    }
    layout["annotations"] = list(layout.get("annotations") or []) + [{
        "text": "<br>".join(html.escape(line) for line in source_lines), "showarrow": False, "align": "left",
        "xref": "paper", "yref": "paper", "x": 1, "y": 0, "xanchor": "right", "yanchor": "bottom", "yshift": 8 - bottom,
        "font": {"size": 12, "color": "#505a5f"}}]
    return framed


def _start() -> None:
    """The export's browser, once per process: Debian's Chromium (BROWSER_PATH, else `chromium` on the PATH)."""
    global _running
    with _started:
        if _running:
            return
        import kaleido

        if not os.environ.get("BROWSER_PATH"):
            found = shutil.which("chromium") or shutil.which("chromium-browser")
            if found is None:
                raise RuntimeError("Chart images need Chromium: `make serve` installs Debian's package")
            os.environ["BROWSER_PATH"] = found
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)  # no MathJax: it would be fetched from a CDN
        _running = True


def image(figure: dict, title: str, summary: str, source: str, file_type: str) -> bytes:
    """`figure` framed with its title, summary and source (plain text), as PNG or SVG bytes."""
    import plotly.io as pio

    _start()
    picture = framed(figure, title, summary, source)
    with warnings.catch_warnings():  # that the export's options are ignored when its browser is kept running
        warnings.simplefilter("ignore", UserWarning)
        return pio.to_image(picture, format=file_type, width=picture["layout"]["width"],
                            height=picture["layout"]["height"], scale=SCALE[file_type], validate=False)
