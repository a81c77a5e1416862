"""The server-drawn SVG charts: valid SVG, named for screen readers, each part as wide as its
share of the scale, and every part numbered so that colour is not the only signal."""

import xml.etree.ElementTree as ET
from fractions import Fraction

from ethics_api.pages.charts import BAR_WIDTH, Bar, stacked_bars

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def test_each_part_is_as_wide_as_its_share_of_the_scale():
    chart = stacked_bars(
        "Contributions",
        "Two bidders",
        ["Privacy", "Oversight"],
        [Bar("Acme", [Fraction(30), Fraction(20)], "50.00"), Bar("Beacon", [0, 25], "25.00")],
        scale=Fraction(100),
    )
    svg = parsed(chart)
    assert svg.get("role") == "img"
    ids = svg.get("aria-labelledby").split()
    assert [svg.find(f"{SVG}title").get("id"), svg.find(f"{SVG}desc").get("id")] == ids
    widths = [float(r.get("width")) for r in svg.iter(f"{SVG}rect") if r.get("height") == "22"]
    # Acme's two parts, then Beacon's one (its zero part is not drawn).
    assert widths == [BAR_WIDTH * 0.3, BAR_WIDTH * 0.2, BAR_WIDTH * 0.25]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts.count("1") == 1 + 1  # Acme's first part, and the legend's swatch
    assert texts.count("2") == 2 + 1  # both bidders' second part, and the legend's swatch
    # The legend: each swatch numbered, its series named beside it once, in order.
    names = [t for t in texts if t in ("Privacy", "Oversight")]
    assert names == ["Privacy", "Oversight"]
    assert texts.index("Privacy") == texts.index("1", texts.index("25.00")) + 1
    assert "50.00" in texts and "25.00" in texts


def test_names_are_escaped_and_a_single_series_has_no_legend():
    chart = stacked_bars(
        "<b>", "d", ["Only"], [Bar("Vendor <script>", [Fraction(1, 3)], "0.33", "not eligible")], 1
    )
    svg = parsed(chart)  # would not parse if the names were not escaped
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "Vendor <script>" in texts and "0.33 not eligible" in texts
    assert not any(t and t.startswith("1. ") for t in texts)
    assert "style=" not in str(chart)  # the pages' CSP allows no inline style
