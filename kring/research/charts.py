"""Small charts as server-rendered SVG: no JavaScript, no outside service, no inline styles.

Four kinds: columns (stacked or grouped, for counts over time), horizontal bars with their
value written beside them, the same with a norm marker per bar, and one bar split into shares
of 100 %. Each is an inline ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>`` (``aria-labelledby``/``aria-describedby``); the page puts a table with the same
numbers next to it, and that table is the accessible source.

Colour is never the only cue (WCAG 1.4.1): every series has its own pattern as well as its own
colour, segments are separated by white lines, the legend repeats the swatch, and bars carry
their numbers as text. Every colour has at least 3:1 contrast against white (WCAG 1.4.11).

All markup comes from ``format_html``, which escapes every label and number: nothing is marked
safe by hand.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from kring.circle import picture

WIDTH = 640
FONT_SIZE = 13.0
SMALL = 11.0
TEXT = "#1f1f1f"
MUTED = "#595959"
AXIS = "#757575"
GRID = "#d9d9d9"
WHITE = "#ffffff"
NORM = "#1f1f1f"

#: Series colours, each at least 3:1 against white; tests check their contrast.
PALETTE = ("#24578f", "#b45309", "#1b6e3a", "#7b2d8e", "#a4262c", "#4d4d4d")
#: A pattern per series (drawn in white over the colour), so that print in black and white and
#: readers who do not tell the colours apart still see which is which.
PATTERNS = ("solid", "diagonal", "dots", "cross", "horizontal", "vertical")

EMPTY = SafeString("")
_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def label_width(text: str, font_size: float) -> float:
    """A generous estimate of the drawn width of ``text``: the circle picture's Arial-based
    estimate, widened for DejaVu Sans and Verdana, which the charts prefer."""
    return picture.label_width(text, font_size) * 1.15


def _n(value: float) -> str:
    return f"{value:.1f}"


def _join(parts: Sequence[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


def format_number(value: float | None, decimals: int = 0) -> str:
    """A number as the active language writes it (``7,5`` in Dutch)."""
    if value is None:
        return "–"
    if decimals and float(value).is_integer():
        decimals = 0
    return str(number_format(value, decimals))


# --- Fills: a colour and a pattern per series ---------------------------------------------


def _overlay(kind: str) -> SafeString:
    if kind == "diagonal":
        return format_html(
            '<path d="M-2 2L2 -2M0 8L8 0M6 10L10 6" stroke="{}" stroke-width="1.6"/>', WHITE
        )
    if kind == "dots":
        return format_html('<circle cx="4" cy="4" r="1.7" fill="{}"/>', WHITE)
    if kind == "cross":
        return format_html('<path d="M0 0L8 8M8 0L0 8" stroke="{}" stroke-width="1.2"/>', WHITE)
    if kind == "horizontal":
        return format_html('<path d="M0 4H8" stroke="{}" stroke-width="1.8"/>', WHITE)
    if kind == "vertical":
        return format_html('<path d="M4 0V8" stroke="{}" stroke-width="1.8"/>', WHITE)
    return EMPTY


def _style(index: int) -> tuple[str, str]:
    """The colour and pattern of series ``index``; past six, the combinations shift so that
    no two series look alike."""
    colour = PALETTE[(index + index // len(PALETTE)) % len(PALETTE)]
    return colour, PATTERNS[index % len(PATTERNS)]


def _defs(prefix: str, count: int) -> SafeString:
    patterns = []
    for index in range(count):
        colour, kind = _style(index)
        if kind == "solid":
            continue
        patterns.append(
            format_html(
                '<pattern id="{}-fill-{}" patternUnits="userSpaceOnUse" width="8" height="8">'
                '<rect width="8" height="8" fill="{}"/>{}</pattern>',
                prefix,
                index,
                colour,
                _overlay(kind),
            )
        )
    return format_html("<defs>{}</defs>", _join(patterns)) if patterns else EMPTY


def _fill(prefix: str, index: int) -> str:
    colour, kind = _style(index)
    return colour if kind == "solid" else f"url(#{prefix}-fill-{index})"


# --- Frame, legend and scale --------------------------------------------------------------


def _svg(prefix: str, title: str, desc: str, height: float, body: SafeString) -> SafeString:
    if not _ID.match(prefix):
        raise ValueError(f"Not a usable id prefix: {prefix!r}")
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="kring-chart__svg" role="img"'
        ' aria-labelledby="{}-title" aria-describedby="{}-desc" viewBox="0 0 {} {}"'
        ' font-family="DejaVu Sans, Verdana, sans-serif" font-size="{}" fill="{}">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>{}</svg>',
        prefix,
        prefix,
        WIDTH,
        _n(height),
        _n(FONT_SIZE),
        TEXT,
        prefix,
        title,
        prefix,
        desc,
        body,
    )


@dataclass(frozen=True)
class _LegendItem:
    text: str
    symbol: SafeString

    def width(self) -> float:
        return 22 + label_width(self.text, SMALL)


def _swatch(prefix: str, index: int) -> SafeString:
    return format_html(
        '<rect x="0" y="-7" width="14" height="14" fill="{}" stroke="{}" stroke-width="1"/>',
        _fill(prefix, index),
        TEXT,
    )


def _norm_symbol() -> SafeString:
    return format_html(
        '<path d="M7 -8V8" stroke="{}" stroke-width="2.5" stroke-dasharray="3 2"/>', NORM
    )


def _legend(items: Sequence[_LegendItem], top: float, left: float = 8) -> tuple[SafeString, float]:
    """Legend items flowed left to right, wrapping; returns the markup and its height."""
    if not items:
        return EMPTY, 0.0
    row_height, space = 20.0, 16.0
    parts = []
    x, row = left, 0
    for item in items:
        width = item.width()
        if x > left and x + width > WIDTH - 8:
            row += 1
            x = left
        y = top + row * row_height + row_height / 2
        parts.append(
            format_html(
                '<g transform="translate({} {})">{}<text x="20" y="0" dy="0.35em"'
                ' font-size="{}">{}</text></g>',
                _n(x),
                _n(y),
                item.symbol,
                _n(SMALL),
                item.text,
            )
        )
        x += width + space
    return format_html('<g class="kring-chart__legend">{}</g>', _join(parts)), (
        row + 1
    ) * row_height


def nice_maximum(value: float, ticks: int = 4, *, whole: bool = False) -> tuple[float, float]:
    """A round upper end for an axis that shows ``value``, and the step between its ticks
    (whole steps only when ``whole``: counts have no 2.5)."""
    if value <= 0:
        return 1.0, 1.0
    rough = value / ticks
    magnitude = 10 ** math.floor(math.log10(rough))
    multiples = (1, 2, 5, 10) if whole else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multiples if m * magnitude >= rough)
    if whole and step < 1:
        step = 1.0
    return step * math.ceil(value / step - 1e-9), step


def _ticks(maximum: float, step: float) -> list[float]:
    count = round(maximum / step)
    return [step * i for i in range(count + 1)]


def _halo_text(
    x: float, y: float, text: str, *, anchor: str = "start", size: float = SMALL
) -> SafeString:
    """Text drawn twice, first as a white outline, so that it stays readable over a line."""
    return format_html(
        '<text x="{}" y="{}" dy="0.35em" text-anchor="{}" font-size="{}" fill="{}" stroke="{}"'
        ' stroke-width="3" stroke-linejoin="round">{}</text>'
        '<text x="{}" y="{}" dy="0.35em" text-anchor="{}" font-size="{}">{}</text>',
        _n(x),
        _n(y),
        anchor,
        _n(size),
        WHITE,
        WHITE,
        text,
        _n(x),
        _n(y),
        anchor,
        _n(size),
        text,
    )


# --- Columns ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float]


def column_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    id_prefix: str,
    stacked: bool = True,
    unit: str = "",
    axis_labels: Sequence[str] | None = None,
    axis_sublabels: Sequence[str] | None = None,
    whole: bool = True,
) -> SafeString:
    """Vertical columns per category: the series stacked (with the total on top) or side by
    side (each with its value on top, when there is room).

    ``categories`` name the columns in full (in the tooltips); ``axis_labels`` may shorten
    them under the axis ("Jan"), with ``axis_sublabels`` on a second line ("2026", or "" to
    leave it out). Labels that would collide are thinned out. ``whole``: the values are
    counts, so the axis has whole steps."""
    count = len(categories)
    labels = list(axis_labels) if axis_labels is not None else list(categories)
    sublabels = list(axis_sublabels) if axis_sublabels is not None else [""] * count
    legend_items = (
        [_LegendItem(s.label, _swatch(id_prefix, i)) for i, s in enumerate(series)]
        if len(series) > 1
        else []
    )
    legend, legend_height = _legend(legend_items, 4)
    top = 8 + legend_height + (34 if unit else 18)
    plot_height = 200.0
    bottom = top + plot_height
    height = bottom + (44 if any(sublabels) else 30)
    totals = [sum(s.values[i] for s in series) for i in range(count)]
    peak = max(totals if stacked else [v for s in series for v in s.values], default=0)
    maximum, step = nice_maximum(peak, whole=whole)
    tick_labels = [format_number(t, 1) for t in _ticks(maximum, step)]
    left = 12 + max(label_width(t, SMALL) for t in tick_labels)
    right = WIDTH - 8
    band = (right - left) / max(count, 1)

    def y_of(value: float) -> float:
        return bottom - plot_height * value / maximum

    parts: list[SafeString] = []
    for tick, text in zip(_ticks(maximum, step), tick_labels, strict=True):
        y = y_of(tick)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" dy="0.35em" text-anchor="end" font-size="{}" fill="{}">'
                "{}</text>",
                _n(left),
                _n(y),
                _n(right),
                _n(y),
                GRID if tick else AXIS,
                _n(left - 6),
                _n(y),
                _n(SMALL),
                MUTED,
                text,
            )
        )
    widest = max((label_width(text, SMALL) for text in labels + sublabels), default=0)
    label_every = max(1, math.ceil((widest + 6) / band))
    bar_width = band * 0.7
    for index, category in enumerate(categories):
        x = left + band * index + (band - bar_width) / 2
        shapes: list[SafeString] = []
        described = [
            f"{s.label}: {format_number(s.values[index], 1)}"
            for s in series
            if s.values[index] or len(series) == 1
        ]
        if stacked:
            base = 0.0
            for number, item in enumerate(series):
                value = item.values[index]
                if not value:
                    continue
                shapes.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}"'
                        ' stroke-width="1"/>',
                        _n(x),
                        _n(y_of(base + value)),
                        _n(bar_width),
                        _n(y_of(base) - y_of(base + value)),
                        _fill(id_prefix, number),
                        WHITE,
                    )
                )
                base += value
            if band >= 22 and totals[index]:
                shapes.append(
                    format_html(
                        '<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>',
                        _n(x + bar_width / 2),
                        _n(y_of(totals[index]) - 5),
                        _n(SMALL),
                        format_number(totals[index], 1),
                    )
                )
            if len(series) > 1:
                described.append(
                    gettext("total: %(total)s") % {"total": format_number(totals[index], 1)}
                )
        else:
            width = bar_width / max(len(series), 1)
            for number, item in enumerate(series):
                value = item.values[index]
                bx = x + width * number
                if value:
                    shapes.append(
                        format_html(
                            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}"'
                            ' stroke-width="1"/>',
                            _n(bx),
                            _n(y_of(value)),
                            _n(width),
                            _n(bottom - y_of(value)),
                            _fill(id_prefix, number),
                            WHITE,
                        )
                    )
                if width >= 18:
                    shapes.append(
                        format_html(
                            '<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>',
                            _n(bx + width / 2),
                            _n(y_of(value) - 5),
                            _n(SMALL),
                            format_number(value, 1),
                        )
                    )
        label = EMPTY
        if index % label_every == 0:
            label = format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="{}">{}</text>',
                _n(left + band * index + band / 2),
                _n(bottom + 16),
                _n(SMALL),
                labels[index],
            )
            if sublabels[index]:
                label = format_html(
                    '{}<text x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}">{}</text>',
                    label,
                    _n(left + band * index + band / 2),
                    _n(bottom + 30),
                    _n(SMALL),
                    MUTED,
                    sublabels[index],
                )
        parts.append(
            format_html(
                "<g><title>{}: {}</title>{}{}</g>",
                category,
                "; ".join(described),
                _join(shapes),
                label,
            )
        )
    if unit:
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" fill="{}">{}</text>',
                _n(left),
                _n(top - 24),
                _n(SMALL),
                MUTED,
                unit,
            )
        )
    body = format_html("{}{}{}", _defs(id_prefix, len(series)), legend, _join(parts))
    return _svg(id_prefix, title, desc, height, body)


# --- Horizontal bars, with or without a norm ----------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: no value (nothing drawn, the text says why)
    text: str  # what is written beside the bar
    norm: float | None = None


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    desc: str,
    id_prefix: str,
    unit: str = "",
    norm_label: str = "",
    whole: bool = False,
) -> SafeString:
    """Horizontal bars, one per row, with their value written beside them; a dashed marker
    where a row has a norm (explained in the legend by ``norm_label``). With norms, the
    values stand in a column of their own to the right, so that no marker crosses them."""
    has_norm = any(bar.norm is not None for bar in bars)
    legend, legend_height = _legend(
        [_LegendItem(norm_label or gettext("norm"), _norm_symbol())] if has_norm else [], 4
    )
    top = 8 + legend_height + 4
    row_height, bar_height = 30.0, 18.0
    label_column = min(
        max((label_width(bar.label, FONT_SIZE) for bar in bars), default=0) + 12, WIDTH * 0.42
    )
    text_column = max((label_width(bar.text, SMALL) for bar in bars), default=0) + 10
    left = label_column
    right = WIDTH - 8 - text_column
    peak = max(
        [bar.value or 0 for bar in bars] + [bar.norm or 0 for bar in bars],
        default=0,
    )
    maximum, step = nice_maximum(peak, whole=whole)
    span = right - left

    def x_of(value: float) -> float:
        return left + span * value / maximum

    bottom = top + row_height * len(bars)
    height = bottom + (36 if unit else 24)
    parts: list[SafeString] = []
    for tick in _ticks(maximum, step):
        x = x_of(tick)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" dy="0.8em" text-anchor="middle" font-size="{}" fill="{}">'
                "{}</text>",
                _n(x),
                _n(top),
                _n(x),
                _n(bottom),
                GRID if tick else AXIS,
                _n(x),
                _n(bottom + 4),
                _n(SMALL),
                MUTED,
                format_number(tick, 1),
            )
        )
    if unit:
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="{}" fill="{}">{}</text>',
                _n(left + span / 2),
                _n(bottom + 30),
                _n(SMALL),
                MUTED,
                unit,
            )
        )
    for index, bar in enumerate(bars):
        y = top + row_height * index + (row_height - bar_height) / 2
        middle = y + bar_height / 2
        shapes = [
            format_html(
                '<text x="{}" y="{}" dy="0.35em" text-anchor="end">{}</text>',
                _n(left - 8),
                _n(middle),
                bar.label,
            )
        ]
        end = left
        if bar.value:
            end = x_of(bar.value)
            shapes.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                    _n(left),
                    _n(y),
                    _n(end - left),
                    _n(bar_height),
                    PALETTE[0],
                )
            )
        if bar.norm is not None:
            nx = x_of(bar.norm)
            shapes.append(
                format_html(
                    '<path d="M{} {}V{}" stroke="{}" stroke-width="5"/>'
                    '<path d="M{} {}V{}" stroke="{}" stroke-width="2.5" stroke-dasharray="3 2"/>',
                    _n(nx),
                    _n(y - 4),
                    _n(y + bar_height + 4),
                    WHITE,
                    _n(nx),
                    _n(y - 4),
                    _n(y + bar_height + 4),
                    NORM,
                )
            )
        shapes.append(_halo_text((right + 10) if has_norm else (end + 6), middle, bar.text))
        described = bar.text
        if bar.norm is not None:
            described = (
                f"{bar.text} ({norm_label or gettext('norm')}: {format_number(bar.norm, 1)})"
            )
        parts.append(
            format_html("<g><title>{}: {}</title>{}</g>", bar.label, described, _join(shapes))
        )
    body = format_html("{}{}", legend, _join(parts))
    return _svg(id_prefix, title, desc, height, body)


# --- One bar of 100 % ---------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    label: str
    count: int


def share_bar(
    shares: Sequence[Share], *, title: str, desc: str, id_prefix: str, empty: str = ""
) -> SafeString:
    """One bar split into the shares of a whole, with a legend that names each share with
    its number and percentage."""
    total = sum(share.count for share in shares)

    def percent_text(count: int) -> str:
        return f"{round(100 * count / total)} %" if total else "–"

    items = [
        _LegendItem(
            f"{share.label}: {share.count} ({percent_text(share.count)})", _swatch(id_prefix, i)
        )
        for i, share in enumerate(shares)
    ]
    top, bar_height = 8.0, 36.0
    left, right = 8.0, WIDTH - 8.0
    legend, legend_height = _legend(items, top + bar_height + 10)
    height = top + bar_height + 10 + legend_height + 8
    parts: list[SafeString] = [
        format_html(
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" stroke-width="1"/>',
            _n(left),
            _n(top),
            _n(right - left),
            _n(bar_height),
            WHITE,
            AXIS,
        )
    ]
    if total:
        x = left
        for index, share in enumerate(shares):
            if not share.count:
                continue
            width = (right - left) * share.count / total
            parts.append(
                format_html(
                    '<g><title>{}: {} ({})</title><rect x="{}" y="{}" width="{}" height="{}"'
                    ' fill="{}" stroke="{}" stroke-width="1"/></g>',
                    share.label,
                    share.count,
                    percent_text(share.count),
                    _n(x),
                    _n(top),
                    _n(width),
                    _n(bar_height),
                    _fill(id_prefix, index),
                    WHITE,
                )
            )
            x += width
    else:
        parts.append(
            format_html(
                '<text x="{}" y="{}" dy="0.35em" text-anchor="middle" fill="{}">{}</text>',
                _n(WIDTH / 2),
                _n(top + bar_height / 2),
                MUTED,
                empty or gettext("No answers yet."),
            )
        )
    body = format_html("{}{}{}", _defs(id_prefix, len(shares)), _join(parts), legend)
    return _svg(id_prefix, title, desc, height, body)
