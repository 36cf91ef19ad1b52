"""The circle picture: a server-rendered SVG of the kring van betrokkenen, without JavaScript.

Four concentric rings (1 at the centre: the directly involved; 2: family, friends and
neighbours; 3: professionals; 4: experts). Everyone is a node on their ring, placed evenly
and deterministically (by name, then pk), with a short label that is always horizontal: it
sits just outside the dot, on the side facing away from the centre, and moves further out
where a neighbour's label or dot is in the way. A thin line joins someone to the participant
who suggested them (the network); where the straight line would cross a third person's dot it
bends around it.

Willingness is shown by colour and by shape, so the picture also works without colour and in
black-and-white print (WCAG 1.4.1): yes is a filled dark green disc, not yet an amber disc
with a white dot, no a grey disc with a white cross, not asked yet a white disc with a dark
outline. Every colour has at least 3:1 contrast against white and against the band shading.

Every piece of markup comes from `format_html`, so names and titles are escaped; nothing is
marked safe by hand.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_lazy, ngettext

from kring.circle.models import Participant, Willingness

# --- Geometry (user units of the 720 × 720 viewBox) ---------------------------------------
VIEW_SIZE = 720
CENTRE_X = 360.0
CENTRE_Y = 333.0
MAX_RADIUS = 323.0  # the outer edge of ring 4; the legend sits below the circle
LEGEND_TOP = 664.0  # up to three rows of legend below the circle
LEGEND_ROW = 17.0
LEGEND_ROWS = 3
NODE_RADIUS = 8.0
NODE_SPACING = 2 * NODE_RADIUS + 6  # minimum distance between two node centres on a track
GAP = 2.5
EMPTY_BAND = 22.0  # the width of a ring nobody is in yet
FONT_MARGIN = 1.14  # Arial widths, plus room for wider sans-serifs such as DejaVu Sans
# (longest label, font size) tried in this order until the circle fits: first smaller text
# down to 9, then shorter labels, then 8 px text.
LABEL_FITS = tuple(
    [(chars, size) for chars in (14, 12, 10) for size in (11.0, 10.0, 9.0)]
    + [(chars, 8.0) for chars in (14, 12, 10, 8, 6)]
)
LEGEND_FONT_SIZE = 11.0
RING_TURN = 0.6  # radians each ring is turned relative to the one inside it
LABEL_HEIGHT = 1.3  # ems: the box a label is reckoned to take: a line, with room to spare
LINK_CLEARANCE = 2.0  # how far a suggestion line stays from the edge of a third person's dot
LINK_BENDS = 14  # how far out (in steps of one dot) a line may bend to get round dots
LINK_SAMPLES = 24  # straight pieces a curve is checked in

# --- Colours (all at least 3:1 against white and against BAND_SHADE) ----------------------
GREEN = "#1b6e3a"
AMBER = "#b45309"
GREY = "#6f6f6f"
DARK = "#1f1f1f"
LINK = "#595959"
RING_STROKE = "#858585"
TEXT = "#1f1f1f"
WHITE = "#ffffff"
BAND_SHADE = "#f3f3f3"
HALO = format_html(
    'class="kring-circle-halo" fill="{}" stroke="{}" stroke-width="3" stroke-linejoin="round"',
    WHITE,
    WHITE,
)

#: The colours a willingness is drawn in; tests check their contrast.
WILLINGNESS_COLOURS = {
    Willingness.YES: GREEN,
    Willingness.NOT_YET: AMBER,
    Willingness.NO: GREY,
    Willingness.UNKNOWN: DARK,
}
LEGEND_ORDER = (Willingness.YES, Willingness.NOT_YET, Willingness.NO, Willingness.UNKNOWN)

RING_LABELS = {
    1: gettext_lazy("directly involved"),
    2: gettext_lazy("family, friends and neighbours"),
    3: gettext_lazy("professionals"),
    4: gettext_lazy("experts"),
}

_ID_PREFIX = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Ring:
    number: int  # 1..4, 1 at the centre
    label: str  # translated
    members: list[Participant]


def _order(participant: Participant) -> tuple[str, str, int]:
    return (participant.name.casefold(), participant.name, participant.pk or 0)


def circle_rings(participants: Sequence[Participant]) -> list[Ring]:
    """All four rings, in order from the centre, each with its members sorted by name (then
    pk). Members whose suggester is in `participants` get that suggester cached on
    `suggested_by`, so a template can show it without a query per person."""
    by_pk = {p.pk: p for p in participants if p.pk is not None}
    suggested_by = Participant.suggested_by
    for participant in participants:
        if participant.suggested_by_id is None:
            continue
        suggester = by_pk.get(participant.suggested_by_id)
        if suggester is not None and not suggested_by.is_cached(participant):
            suggested_by.field.set_cached_value(participant, suggester)
    ordered = sorted(participants, key=_order)
    return [
        Ring(number, str(RING_LABELS[number]), [p for p in ordered if p.ring == number])
        for number in (1, 2, 3, 4)
    ]


def circle_summary(participants: Sequence[Participant]) -> str:
    """One translated sentence: "12 people: 5 take part, 1 does not, 6 have not answered
    yet."."""
    total = len(participants)
    if not total:
        return gettext("Nobody is in the circle yet.")
    counts = Counter(p.willingness for p in participants)
    yes = counts[Willingness.YES]
    no = counts[Willingness.NO]
    waiting = total - yes - no
    return gettext("%(people)s: %(yes)s, %(no)s, %(waiting)s.") % {
        "people": ngettext("%(count)d person", "%(count)d people", total) % {"count": total},
        "yes": ngettext("%(count)d takes part", "%(count)d take part", yes) % {"count": yes},
        "no": ngettext("%(count)d does not", "%(count)d do not", no) % {"count": no},
        "waiting": ngettext(
            "%(count)d has not answered yet", "%(count)d have not answered yet", waiting
        )
        % {"count": waiting},
    }


# --- Layout -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    participant: Participant
    ring: int
    radius: float  # distance of the centre of the node from the centre of the circle
    angle: float | None  # radians clockwise from the top; None: the very centre
    label: str


@dataclass(frozen=True)
class _Layout:
    outer: tuple[float, ...]  # the outer edge of rings 1..4
    nodes: tuple[_Node, ...]
    font_size: float
    scale: float  # < 1 only when even the smallest labels do not fit


def _label_texts(participants: Sequence[Participant], max_chars: int) -> dict[int, str]:
    """The first name; where two people share it, the first name and the initial of the last
    name ("Jan V."); where they share that too, the whole name. At most `max_chars`."""

    def first(name: str) -> str:
        words = name.split()
        return words[0] if words else ""

    def initialled(name: str) -> str:
        words = name.split()
        return f"{words[0]} {words[-1][0]}." if len(words) > 1 else name

    firsts = Counter(first(p.name).casefold() for p in participants)
    initials = Counter(initialled(p.name).casefold() for p in participants)
    labels: dict[int, str] = {}
    for participant in participants:
        text = first(participant.name)
        if firsts[text.casefold()] > 1:
            text = initialled(participant.name)
            if initials[text.casefold()] > 1:
                text = " ".join(participant.name.split())
        if len(text) > max_chars:
            text = text[: max_chars - 1].rstrip() + "…"
        labels[id(participant)] = text or "?"
    return labels


# Advance widths of Arial/Helvetica (and the metric-compatible Liberation Sans), in em.
_GLYPH_WIDTHS = dict(
    zip(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -.'’,()&…",
        [
            *(0.556, 0.556, 0.5, 0.556, 0.556, 0.278, 0.556, 0.556, 0.222, 0.222, 0.5, 0.222),
            *(0.833, 0.556, 0.556, 0.556, 0.556, 0.333, 0.5, 0.278, 0.556, 0.5, 0.722, 0.5),
            *(0.5, 0.5, 0.667, 0.667, 0.722, 0.722, 0.667, 0.611, 0.778, 0.722, 0.278, 0.5),
            *(0.667, 0.556, 0.833, 0.722, 0.778, 0.667, 0.778, 0.722, 0.667, 0.611, 0.722),
            *(0.667, 0.944, 0.667, 0.667, 0.611, *[0.556] * 10, 0.278, 0.333, 0.278, 0.191),
            *(0.222, 0.278, 0.333, 0.333, 0.667, 1.0),
        ],
        strict=True,
    )
)


def _glyph_width(char: str) -> float:
    if char in _GLYPH_WIDTHS:
        return _GLYPH_WIDTHS[char]
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    base = unicodedata.normalize("NFKD", char)[:1]  # ş → s, é → e
    return _GLYPH_WIDTHS.get(base, 0.833)  # unknown: as wide as an m


def label_width(text: str, font_size: float) -> float:
    """A generous estimate of how wide `text` is drawn in a sans-serif font."""
    return sum(_glyph_width(char) for char in text) * font_size * FONT_MARGIN


def _try_layout(rings: list[Ring], font_size: float, max_chars: int) -> _Layout:
    labels = _label_texts([p for ring in rings for p in ring.members], max_chars)
    outer: list[float] = []
    nodes: list[_Node] = []
    inner = 0.0
    for ring in rings:
        count = len(ring.members)
        if not count:
            outer.append(inner + EMPTY_BAND)
            inner = outer[-1]
            continue
        width = max(label_width(labels[id(p)], font_size) for p in ring.members)
        if inner == 0 and count == 1:
            # One person at the very centre, with the label horizontally below.
            nodes.append(
                _Node(ring.members[0], ring.number, 0.0, None, labels[id(ring.members[0])])
            )
            outer.append(math.hypot(width / 2, NODE_RADIUS + GAP + font_size) + GAP)
            inner = outer[-1]
            continue
        track = inner + NODE_RADIUS + GAP
        if count > 1:
            # Neighbours on the track at least NODE_SPACING apart (chord length).
            track = max(track, NODE_SPACING / (2 * math.sin(math.pi / count)))
        for index, participant in enumerate(ring.members):
            # Each ring turned a little, so lone people on different rings do not line up.
            angle = 2 * math.pi * (index + 0.5) / count + RING_TURN * (ring.number - 1)
            nodes.append(_Node(participant, ring.number, track, angle, labels[id(participant)]))
        outer.append(track + NODE_RADIUS + GAP + width + GAP)
        inner = outer[-1]
    return _Layout(tuple(outer), tuple(nodes), font_size, 1.0)


def _spread(layout: _Layout) -> _Layout:
    """Share the room left over between the rings, so a small circle fills the picture."""
    extra = (MAX_RADIUS - layout.outer[-1]) / len(layout.outer)
    outer = tuple(edge + extra * (number + 1) for number, edge in enumerate(layout.outer))
    nodes = tuple(
        node
        if node.angle is None
        else _Node(
            node.participant,
            node.ring,
            node.radius + extra * (node.ring - 1) + extra / 2,
            node.angle,
            node.label,
        )
        for node in layout.nodes
    )
    return _Layout(outer, nodes, layout.font_size, 1.0)


def _layout(rings: list[Ring]) -> _Layout:
    for max_chars, font_size in LABEL_FITS:
        layout = _try_layout(rings, font_size, max_chars)
        if layout.outer[-1] <= MAX_RADIUS:
            return _spread(layout)
    # Very many people: shrink the whole circle to fit.
    smallest = _try_layout(rings, LABEL_FITS[-1][1], LABEL_FITS[-1][0])
    return _Layout(
        smallest.outer, smallest.nodes, smallest.font_size, MAX_RADIUS / smallest.outer[-1]
    )


# --- Drawing ------------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{value:.1f}"


def _mark(willingness: str, x: float, y: float, r: float) -> SafeString:
    """The symbol for a willingness: colour plus a shape that does not need colour."""
    if willingness == Willingness.YES:
        return format_html('<circle cx="{}" cy="{}" r="{}" fill="{}"/>', _n(x), _n(y), _n(r), GREEN)
    if willingness == Willingness.NOT_YET:
        return format_html(
            '<circle cx="{}" cy="{}" r="{}" fill="{}"/><circle cx="{}" cy="{}" r="{}" fill="{}"/>',
            _n(x),
            _n(y),
            _n(r),
            AMBER,
            _n(x),
            _n(y),
            _n(r * 0.4),
            WHITE,
        )
    if willingness == Willingness.NO:
        d = r * 0.5
        return format_html(
            '<circle cx="{}" cy="{}" r="{}" fill="{}"/>'
            '<path d="M{} {}L{} {}M{} {}L{} {}" stroke="{}" stroke-width="{}"'
            ' stroke-linecap="round"/>',
            _n(x),
            _n(y),
            _n(r),
            GREY,
            _n(x - d),
            _n(y - d),
            _n(x + d),
            _n(y + d),
            _n(x - d),
            _n(y + d),
            _n(x + d),
            _n(y - d),
            WHITE,
            _n(r / 4),
        )
    return format_html(
        '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" stroke-width="{}"/>',
        _n(x),
        _n(y),
        _n(r - r / 8),
        WHITE,
        DARK,
        _n(r / 4),
    )


def _position(node: _Node, scale: float) -> tuple[float, float]:
    if node.angle is None:
        return CENTRE_X, CENTRE_Y
    radius = node.radius * scale
    return CENTRE_X + radius * math.sin(node.angle), CENTRE_Y - radius * math.cos(node.angle)


@dataclass(frozen=True)
class Box:
    """An upright rectangle in user units: where a label is drawn."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right
            and other.left < self.right
            and self.top < other.bottom
            and other.top < self.bottom
        )

    def meets_circle(self, x: float, y: float, radius: float) -> bool:
        nearest_x = min(max(x, self.left), self.right)
        nearest_y = min(max(y, self.top), self.bottom)
        return math.hypot(x - nearest_x, y - nearest_y) < radius

    def inside(self, left: float, top: float, right: float, bottom: float) -> bool:
        return (
            self.left >= left and self.top >= top and self.right <= right and self.bottom <= bottom
        )


@dataclass(frozen=True)
class _Placed:
    x: float  # the middle of the label: drawn with text-anchor="middle"
    y: float
    box: Box


def _box_at(x: float, y: float, width: float, height: float) -> Box:
    return Box(x - width / 2, y - height / 2, x + width / 2, y + height / 2)


def _place_labels(
    layout: _Layout, positions: Sequence[tuple[float, float]], font_size: float
) -> list[_Placed]:
    """Where each label goes, upright: next to its dot on the side away from the centre (to
    the right on the right half, above at the top, …), pushed further out or a little aside
    where that spot would cover another dot or a label placed before it. Labels are placed from
    the inner ring outward; one that finds no free spot takes the one with the fewest clashes.

    The label is centred on its spot (text-anchor="middle"), so it lands the same in a
    right-to-left page, whatever the direction of the text."""
    node_radius = NODE_RADIUS * layout.scale
    gap = GAP * layout.scale
    height = LABEL_HEIGHT * font_size
    bounds = (1.0, 1.0, VIEW_SIZE - 1.0, CENTRE_Y + MAX_RADIUS)
    placed: list[_Placed | None] = [None] * len(layout.nodes)
    order = sorted(
        range(len(layout.nodes)),
        key=lambda i: (layout.nodes[i].angle is not None, layout.nodes[i].ring, i),
    )
    for index in order:
        node = layout.nodes[index]
        x, y = positions[index]
        width = label_width(node.label, font_size)
        if node.angle is None:
            # The one person at the very centre: the label below the dot.
            below = y + node_radius + gap + height / 2
            placed[index] = _Placed(x, below, _box_at(x, below, width, height))
            continue
        ux, uy = math.sin(node.angle), -math.cos(node.angle)
        reach = node_radius + gap + max(width, 4 * height) + height
        near_dots = [
            other
            for other in positions
            if math.hypot(other[0] - x, other[1] - y) <= reach + width + node_radius
        ]
        near_labels = [
            other.box
            for other in placed
            if other is not None and math.hypot(other.x - x, other.y - y) <= reach + width + height
        ]
        best: tuple[int, _Placed] | None = None
        steps = int((reach - node_radius - gap) / (height / 2)) + 1
        for step in range(steps):
            distance = node_radius + gap + step * height / 2
            for aside in (0.0, node_radius, -node_radius):
                # The spot: out along the radius, the box on that side of it; `aside` moves
                # it along the ring.
                cx = x + ux * distance + ux * width / 2 + uy * -aside
                cy = y + uy * distance + uy * height / 2 + ux * aside
                box = _box_at(cx, cy, width, height)
                clashes = sum(box.meets_circle(dx, dy, node_radius + 1) for dx, dy in near_dots)
                clashes += sum(box.overlaps(other) for other in near_labels)
                if not box.inside(*bounds):
                    clashes += 1000
                if best is None or clashes < best[0]:
                    best = (clashes, _Placed(cx, cy, box))
                if not clashes:
                    break
            if best is not None and not best[0]:
                break
        if best is not None:  # always: there is at least one spot to try
            placed[index] = best[1]
    return [spot for spot in placed if spot is not None]


def _label(placed: _Placed, text: str, font_size: float) -> SafeString:
    """The short label, drawn twice: first as a white halo that keeps it readable where a line
    crosses it (paint-order is not supported everywhere), then the text itself. Never turned."""
    return _join(
        [
            format_html(
                '<text x="{}" y="{}" dy="0.35em" text-anchor="middle" font-size="{}" {}>{}</text>',
                _n(placed.x),
                _n(placed.y),
                _n(font_size),
                paint,
                text,
            )
            for paint in (HALO, format_html('fill="{}"', TEXT))
        ]
    )


# --- Suggestion lines ---------------------------------------------------------------------


def _bezier(
    start: tuple[float, float], control: tuple[float, float], end: tuple[float, float]
) -> list[tuple[float, float]]:
    """Points along the quadratic curve from `start` to `end` pulled towards `control`."""
    points = []
    for step in range(LINK_SAMPLES + 1):
        t = step / LINK_SAMPLES
        a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
        points.append(
            (
                a * start[0] + b * control[0] + c * end[0],
                a * start[1] + b * control[1] + c * end[1],
            )
        )
    return points


def segment_distance(
    point: tuple[float, float], start: tuple[float, float], end: tuple[float, float]
) -> float:
    """How far `point` is from the straight piece between `start` and `end`."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = dx * dx + dy * dy
    t = 0.0 if not length else ((point[0] - start[0]) * dx + (point[1] - start[1]) * dy) / length
    t = min(max(t, 0.0), 1.0)
    return math.hypot(point[0] - start[0] - t * dx, point[1] - start[1] - t * dy)


def _dots_crossed(
    points: Sequence[tuple[float, float]], dots: Sequence[tuple[float, float]], need: float
) -> int:
    """How many of `dots` the line through `points` passes closer than `need` to."""
    left = min(x for x, _ in points) - need
    right = max(x for x, _ in points) + need
    top = min(y for _, y in points) - need
    bottom = max(y for _, y in points) + need
    limit = need * need
    pieces = list(itertools.pairwise(points))
    crossed = 0
    for x, y in dots:
        if not (left <= x <= right and top <= y <= bottom):
            continue
        # segment_distance, squared and inlined: this is the picture's inner loop.
        for (ax, ay), (bx, by) in pieces:
            dx, dy = bx - ax, by - ay
            length = dx * dx + dy * dy
            t = ((x - ax) * dx + (y - ay) * dy) / length if length else 0.0
            t = 0.0 if t < 0 else 1.0 if t > 1 else t
            ex, ey = x - ax - t * dx, y - ay - t * dy
            if ex * ex + ey * ey < limit:
                crossed += 1
                break
    return crossed


def _route(
    start: tuple[float, float],
    end: tuple[float, float],
    others: Sequence[tuple[float, float]],
    node_radius: float,
) -> tuple[float, float]:
    """The control point of the line from `start` to `end`: the straight line (the control
    point halfway) unless it passes a third person's dot, else the least bent curve, to one
    side or the other, that keeps `LINK_CLEARANCE` from the edge of every other dot, or at
    least does not touch one. Where none does (a very crowded circle), the one that passes the
    fewest dots."""
    mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length
    step = 2 * node_radius
    reach = node_radius + LINK_CLEARANCE + LINK_BENDS * step / 2
    near = [dot for dot in others if segment_distance(dot, start, end) < reach]
    candidates = []
    for bend in range(LINK_BENDS + 1):
        for side in (1, -1) if bend else (1,):
            control = (mx + nx * side * bend * step, my + ny * side * bend * step)
            points = _bezier(start, control, end)
            if all(0 <= px <= VIEW_SIZE and 0 <= py <= LEGEND_TOP for px, py in points):
                candidates.append((control, points))
    best: tuple[int, tuple[float, float]] | None = None
    # First with room to spare; failing that, at least not touching (half the stroke).
    for need in (node_radius + LINK_CLEARANCE, node_radius + 1.0):
        for control, points in candidates:
            crossed = _dots_crossed(points, near, need)
            if not crossed:
                return control
            if best is None or crossed < best[0]:
                best = (crossed, control)
    return best[1] if best is not None else (mx, my)


def _join(parts: Sequence[SafeString]) -> SafeString:
    return format_html_join("", "{}", ((part,) for part in parts))


@dataclass(frozen=True)
class _LegendItem:
    text: str
    symbol: SafeString | None = None  # drawn around (8, 0), 16 wide
    bold: bool = False

    def width(self, font_size: float) -> float:
        text = label_width(self.text, font_size) * (1.1 if self.bold else 1)
        return text + (20 if self.symbol is not None else 0)


def _legend(rings: list[Ring]) -> SafeString:
    """Two lines of items below the circle, wrapped where a translation is long: what the
    symbols mean, then the rings from the centre outward."""
    lines = [
        [
            _LegendItem(capfirst(gettext("takes part")) + ":", bold=True),
            *(_LegendItem(str(w.label), _mark(w, 8, 0, 6)) for w in LEGEND_ORDER),
            _LegendItem(
                gettext("suggested by"),
                format_html(
                    '<line x1="0" y1="0" x2="16" y2="0" stroke="{}" stroke-width="1.5"/>', LINK
                ),
            ),
        ],
        [
            _LegendItem(gettext("Rings, from the centre outward:"), bold=True),
            *(
                _LegendItem(
                    gettext("%(number)s %(ring)s (%(count)s)")
                    % {"number": ring.number, "ring": ring.label, "count": len(ring.members)}
                )
                for ring in rings
            ),
        ],
    ]
    font_size = LEGEND_FONT_SIZE
    placed = _flow(lines, font_size)
    while placed[-1][0] >= LEGEND_ROWS and font_size > 8:
        font_size -= 1
        placed = _flow(lines, font_size)
    parts = []
    for row, x, item in placed:
        y = LEGEND_TOP + LEGEND_ROW * (row + 0.5)
        text_x = x
        if item.symbol is not None:
            parts.append(
                format_html('<g transform="translate({} {})">{}</g>', _n(x), _n(y), item.symbol)
            )
            text_x += 20
        parts.append(
            format_html(
                '<text x="{}" y="{}" dy="0.35em" font-size="{}" font-weight="{}" fill="{}">'
                "{}</text>",
                _n(text_x),
                _n(y),
                _n(font_size),
                "bold" if item.bold else "normal",
                TEXT,
                item.text,
            )
        )
    return format_html('<g class="kring-circle-legend">{}</g>', _join(parts))


def _flow(lines: list[list[_LegendItem]], font_size: float) -> list[tuple[int, float, _LegendItem]]:
    """Place legend items left to right: each line starts a row and wraps when too wide."""
    left, right, space = 16.0, VIEW_SIZE - 16.0, 14.0
    placed: list[tuple[int, float, _LegendItem]] = []
    row = -1
    for items in lines:
        row += 1
        x = left
        for item in items:
            width = item.width(font_size)
            if x > left and x + width > right:
                row += 1
                x = left
            placed.append((row, x, item))
            x += width + space
    return placed


def circle_svg(
    participants: Sequence[Participant], *, title: str, id_prefix: str = "circle"
) -> SafeString:
    """The circle picture as an inline `<svg role="img">`, named by `title` and described by
    a one-sentence summary. `id_prefix` keeps the ids unique when a page shows two."""
    if not _ID_PREFIX.match(id_prefix):
        raise ValueError(f"Not a usable id prefix: {id_prefix!r}")
    rings = circle_rings(participants)
    layout = _layout(rings)
    scale = layout.scale
    font_size = layout.font_size * scale
    node_radius = NODE_RADIUS * scale

    bands = [
        format_html(
            '<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" stroke-width="1"/>',
            _n(CENTRE_X),
            _n(CENTRE_Y),
            _n(edge * scale),
            BAND_SHADE if number % 2 == 0 else WHITE,
            RING_STROKE,
        )
        for number, edge in reversed(list(enumerate(layout.outer, start=1)))
    ]

    spots = [_position(node, scale) for node in layout.nodes]
    positions = {node.participant.pk: spot for node, spot in zip(layout.nodes, spots, strict=True)}
    links = []
    for node, (x, y) in zip(layout.nodes, spots, strict=True):
        participant = node.participant
        suggester_id = participant.suggested_by_id
        if suggester_id is None or suggester_id == participant.pk or suggester_id not in positions:
            continue
        target = positions[suggester_id]
        others = [spot for spot in spots if spot != (x, y) and spot != target]
        control = _route((x, y), target, others, node_radius)
        links.append(
            format_html(
                '<path d="M{} {}Q{} {} {} {}"/>',
                _n(x),
                _n(y),
                _n(control[0]),
                _n(control[1]),
                _n(target[0]),
                _n(target[1]),
            )
        )
    labels = _place_labels(layout, spots, font_size)

    takes_part = gettext("takes part")
    nodes = []
    for node, (x, y), spot in zip(layout.nodes, spots, labels, strict=True):
        participant = node.participant
        nodes.append(
            format_html(
                '<g class="kring-circle-node kring-circle-node--{}"><title>{} — {} — {}: {}</title>'
                "{}{}</g>",
                participant.willingness,
                participant.name,
                participant.get_category_display(),
                takes_part,
                participant.get_willingness_display(),
                _mark(participant.willingness, x, y, node_radius),
                _label(spot, node.label, font_size),
            )
        )

    empty = format_html("{}", "")
    if not participants:
        empty = format_html(
            '<text x="{}" y="{}" dy="0.35em" text-anchor="middle" font-size="13" fill="{}">'
            "{}</text>",
            _n(CENTRE_X),
            _n(CENTRE_Y),
            TEXT,
            gettext("Nobody is in the circle yet."),
        )

    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{}-title {}-desc"'
        ' viewBox="0 0 {} {}" font-family="sans-serif" class="kring-circle__picture">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<g class="kring-circle-rings">{}</g>{}'
        '<g class="kring-circle-links" stroke="{}" stroke-width="1.5" fill="none">{}</g>'
        '<g class="kring-circle-nodes">{}</g>{}</svg>',
        id_prefix,
        id_prefix,
        VIEW_SIZE,
        VIEW_SIZE,
        id_prefix,
        title,
        id_prefix,
        circle_summary(participants),
        _join(bands),
        empty,
        LINK,
        _join(links),
        _join(nodes),
        _legend(rings),
    )
