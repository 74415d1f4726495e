"""Chart images: a chart downloaded as PNG or SVG carries its title, summary, source and release, drawn offline by
Plotly's static export in the system's Chromium."""

from __future__ import annotations

import re
import struct

import pytest

from dashboard import chart_images, components

NAMES = ["Funding with full cost recovery", "Awards paid in advance"]
FIGURE = components.figure([{"type": "bar", "orientation": "h", "x": [37.7, 52.5], "y": NAMES, "name": "2025-26"}],
                           xaxis=components.axis("Per cent", range=[0, 105]), legend={"orientation": "h", "y": -0.2})
SUMMARY = ("Awards paid in advance is the higher of the two, at 52.5%, and this summary is long enough to need a "
           "second line in the image, which the export does not wrap by itself <script>alert(1)</script>.")
SOURCE = "Source: Civil Society Covenant dashboard, from Funding (360Giving). Release 20261207T060452427341Z, published 7 December 2026."


def test_a_framed_chart_draws_its_title_summary_and_source_escaped_and_leaves_the_page_chart_alone():
    framed = chart_images.framed(FIGURE, "Funding <b>practice</b> & more", SUMMARY, SOURCE)
    title = framed["layout"]["title"]
    assert title["text"] == "<b>Funding &lt;b&gt;practice&lt;/b&gt; &amp; more</b>"
    lines = title["subtitle"]["text"].split("<br>")
    assert len(lines) == 2 and all(len(line) <= chart_images.CHARACTERS_A_LINE for line in lines)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in lines[1] and "<script>" not in title["subtitle"]["text"]
    assert framed["layout"]["annotations"][-1]["text"].replace("<br>", " ") == SOURCE
    assert framed["layout"]["width"] == chart_images.WIDTH
    # the margins hold the title, two summary lines and the legend (moved above the plot) over it, the axis and two
    # lines of source under it, on top of the chart's own height
    assert framed["layout"]["margin"]["t"] == 50 + 2 * chart_images.LINE + 30 + 10
    assert framed["layout"]["margin"]["b"] == 40 + 30 + 2 * chart_images.LINE
    assert framed["layout"]["legend"] | {"title": None} == {"title": None, "orientation": "h", "x": 0, "xanchor": "left",
                                                            "y": 1.0, "yanchor": "bottom", "yref": "paper"}
    assert "title" not in FIGURE["layout"] and "annotations" not in FIGURE["layout"]  # the page's own figure is unchanged


@pytest.mark.browser  # drawn by Chromium
def test_png_and_svg_are_made_with_the_text_drawn_in():
    png = chart_images.image(FIGURE, "Funding practice", SUMMARY, SOURCE, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk: twice the framed size, for print
    framed = chart_images.framed(FIGURE, "Funding practice", SUMMARY, SOURCE)
    assert (width, height) == (2 * chart_images.WIDTH, 2 * framed["layout"]["height"])
    svg = chart_images.image(FIGURE, "Funding practice", SUMMARY, SOURCE, "svg").decode("utf-8")
    text = " ".join(re.findall(r">([^<>]+)</(?:text|tspan)>", svg))
    for expected in ("Funding practice", "Awards paid in advance is the higher of the two, at 52.5%",
                     "Release 20261207T060452427341Z, published 7 December 2026", "Per cent"):
        assert expected in text
    assert "&#60;script&#62;alert(1)" in svg and "<script" not in svg  # shown as text, never markup
    assert not re.search(r"(?:href|src)=\"https?:", svg)  # nothing in the image points outside it
