"""The circle picture: a server-rendered SVG of the kring van betrokkenen, and its text
alternative."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from kring.circle.models import Category, Participant, Willingness
from kring.circle.picture import (
    BAND_SHADE,
    LINK,
    MAX_RADIUS,
    NODE_RADIUS,
    RING_STROKE,
    TEXT,
    VIEW_SIZE,
    WILLINGNESS_COLOURS,
    circle_rings,
    circle_svg,
    label_width,
)
from tests.conftest import World

NS = "{http://www.w3.org/2000/svg}"
FIRST_NAMES = [
    "Anna",
    "Mohammed",
    "Fatima",
    "Jan",
    "Kees",
    "Sanne",
    "Lieke",
    "Bram",
    "Youssef",
    "Noor",
    "Daan",
    "Emma",
    "Maximiliaan",
    "Ayşe",
    "Priya",
    "Thijs",
    "Gerrit-Willem",
]
LAST_NAMES = ["de Vries", "Bakker", "El Amrani", "van den Berg-Jansen", "Yılmaz", "Smit"]
RING_CATEGORIES = {
    1: [Category.DIRECTLY_INVOLVED, Category.RESIDENT, Category.PUPIL],
    2: [Category.FAMILY, Category.FRIEND, Category.NEIGHBOUR, Category.COLLEAGUE, Category.PARENT],
    3: [Category.TEACHER, Category.POLICE, Category.YOUTH_WORKER, Category.PROFESSIONAL],
    4: [Category.EXPERT],
}


def person(
    world: World,
    name: str,
    category: str = Category.FAMILY,
    willingness: str = Willingness.UNKNOWN,
    suggested_by: Participant | None = None,
) -> Participant:
    return Participant.objects.create(
        case=world.case,
        name=name,
        category=category,
        willingness=willingness,
        suggested_by=suggested_by,
    )


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, not untrusted input


def has_class(element: ET.Element, name: str) -> bool:
    return name in element.get("class", "").split()


def group(root: ET.Element, name: str) -> ET.Element:
    found = [g for g in root.iter(f"{NS}g") if has_class(g, name)]
    assert len(found) == 1, name
    return found[0]


def nodes(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{NS}g") if has_class(g, "kring-circle-node")]


def tooltip(node: ET.Element) -> str:
    title = node.find(f"{NS}title")
    assert title is not None
    return title.text or ""


def centre_of(node: ET.Element) -> tuple[float, float]:
    circle = node.find(f"{NS}circle")
    assert circle is not None
    return float(circle.get("cx", "nan")), float(circle.get("cy", "nan"))


def picture_centre(root: ET.Element) -> tuple[float, float]:
    band = group(root, "kring-circle-rings").find(f"{NS}circle")
    assert band is not None
    return float(band.get("cx", "nan")), float(band.get("cy", "nan"))


def label_of(node: ET.Element) -> ET.Element:
    labels = [t for t in node.iter(f"{NS}text") if not has_class(t, "kring-circle-halo")]
    assert len(labels) == 1
    return labels[0]


def crowd(world: World, count: int, categories: list[str]) -> list[Participant]:
    """`count` people with long, often shared first names (the worst case for labels), and
    every second one suggested by someone earlier."""
    people: list[Participant] = []
    willingness = list(Willingness.values)
    for index in range(count):
        people.append(
            person(
                world,
                f"{FIRST_NAMES[index % len(FIRST_NAMES)]} {LAST_NAMES[index % len(LAST_NAMES)]}",
                categories[index % len(categories)],
                willingness[index % len(willingness)],
                suggested_by=people[index // 2] if index % 2 else None,
            )
        )
    return people


# --- Geometry helpers for the crowding test -------------------------------------------------

Point = tuple[float, float]


def label_box(text: ET.Element) -> list[Point]:
    """The corners of a label as the picture estimates it (a line a little over one em high),
    turned as its transform turns it. The browser test below checks the estimate."""
    x, y = float(text.get("x", "nan")), float(text.get("y", "nan"))
    size = float(text.get("font-size", "nan"))
    width = label_width(text.text or "", size)
    anchor = text.get("text-anchor", "start")
    left = {"start": x, "end": x - width, "middle": x - width / 2}[anchor]
    corners = [
        (left, y - 0.55 * size),
        (left + width, y - 0.55 * size),
        (left + width, y + 0.55 * size),
        (left, y + 0.55 * size),
    ]
    match = re.fullmatch(r"rotate\(([-\d.]+) ([-\d.]+) ([-\d.]+)\)", text.get("transform", ""))
    if not match:
        return corners
    degrees, cx, cy = (float(group) for group in match.groups())
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return [
        (cx + (px - cx) * cos - (py - cy) * sin, cy + (px - cx) * sin + (py - cy) * cos)
        for px, py in corners
    ]


def axes(box: list[Point]) -> Iterator[Point]:
    for (ax, ay), (bx, by) in itertools.pairwise([*box, box[0]]):
        yield (-(by - ay), bx - ax)


def boxes_overlap(one: list[Point], other: list[Point]) -> bool:
    """Separating axis test for two convex quadrilaterals."""
    for ax, ay in itertools.chain(axes(one), axes(other)):
        a = [px * ax + py * ay for px, py in one]
        b = [px * ax + py * ay for px, py in other]
        if max(a) <= min(b) or max(b) <= min(a):
            return False
    return True


def circle_meets_box(centre: Point, radius: float, box: list[Point]) -> bool:
    (ax, ay), (bx, by), _, (dx, dy) = box
    ux, uy = bx - ax, by - ay
    vx, vy = dx - ax, dy - ay
    px, py = centre[0] - ax, centre[1] - ay
    # The nearest point of the rectangle, in its own coordinates.
    s = min(max((px * ux + py * uy) / (ux * ux + uy * uy), 0), 1)
    t = min(max((px * vx + py * vy) / (vx * vx + vy * vy), 0), 1)
    nx, ny = ax + s * ux + t * vx, ay + s * uy + t * vy
    return math.dist(centre, (nx, ny)) < radius


def link_points(link: ET.Element, samples: int = 200) -> list[Point]:
    """Points along a suggestion line, from the person to who suggested them: a straight
    `<line>` or a quadratic curve `<path d="M x y Q cx cy x y">`."""
    if link.tag == f"{NS}line":
        start = (float(link.get("x1", "nan")), float(link.get("y1", "nan")))
        end = (float(link.get("x2", "nan")), float(link.get("y2", "nan")))
        control = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    else:
        assert link.tag == f"{NS}path", link.tag
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", link.get("d", ""))]
        assert re.fullmatch(r"M[-\d.]+ [-\d.]+Q[-\d.]+ [-\d.]+ [-\d.]+ [-\d.]+", link.get("d", ""))
        start, control, end = (
            (numbers[0], numbers[1]),
            (numbers[2], numbers[3]),
            (numbers[4], numbers[5]),
        )
    points = []
    for step in range(samples + 1):
        t = step / samples
        a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
        points.append(
            (
                a * start[0] + b * control[0] + c * end[0],
                a * start[1] + b * control[1] + c * end[1],
            )
        )
    return points


def distance_to_segment(point: Point, start: Point, end: Point) -> float:
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = dx * dx + dy * dy
    t = ((point[0] - start[0]) * dx + (point[1] - start[1]) * dy) / length if length else 0.0
    t = min(max(t, 0.0), 1.0)
    return math.dist(point, (start[0] + t * dx, start[1] + t * dy))


def dot_radius(node: ET.Element) -> float:
    """The radius of a person's dot as drawn, outline included."""
    circle = node.find(f"{NS}circle")
    assert circle is not None
    return float(circle.get("r", "nan")) + float(circle.get("stroke-width", "0")) / 2


def contrast(colour: str, background: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted([luminance(colour), luminance(background)], reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- The SVG --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_svg_is_an_image_with_a_title_and_a_summary(world: World) -> None:
    counts = {
        Willingness.YES: 5,
        Willingness.NO: 1,
        Willingness.NOT_YET: 2,
        Willingness.UNKNOWN: 4,
    }
    people = [
        person(world, f"Person {willingness} {index}", Category.FAMILY, willingness)
        for willingness, count in counts.items()
        for index in range(count)
    ]
    root = parse(circle_svg(people, title="The circle of the Molenstraat"))

    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox") == f"0 0 {VIEW_SIZE} {VIEW_SIZE}"
    assert root.get("font-family") == "sans-serif"
    assert root.get("aria-labelledby") == "circle-title circle-desc"
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert title is not None and title.get("id") == "circle-title"
    assert title.text == "The circle of the Molenstraat"
    assert desc is not None and desc.get("id") == "circle-desc"
    assert desc.text == "12 people: 5 take part, 1 does not, 6 have not answered yet."


@pytest.mark.django_db
def test_the_summary_uses_singular_forms(world: World) -> None:
    alone = [person(world, "Kees", Category.RESIDENT, Willingness.YES)]
    desc = parse(circle_svg(alone, title="t")).find(f"{NS}desc")
    assert desc is not None
    assert desc.text == "1 person: 1 takes part, 0 do not, 0 have not answered yet."

    pair = [
        person(world, "Anna", Category.FAMILY, Willingness.NO),
        person(world, "Bram", Category.FAMILY, Willingness.NOT_YET),
    ]
    desc = parse(circle_svg(pair, title="t")).find(f"{NS}desc")
    assert desc is not None
    assert desc.text == "2 people: 0 take part, 1 does not, 1 has not answered yet."


@pytest.mark.django_db
def test_every_participant_is_a_node_with_a_tooltip(world: World) -> None:
    people = [
        person(world, "Fatima El Amrani", Category.DIRECTLY_INVOLVED, Willingness.YES),
        person(world, "Kees de Vries", Category.NEIGHBOUR, Willingness.NOT_YET),
        person(world, "Wijkagent Smit", Category.POLICE, Willingness.NO),
        person(world, "Dr. Jansen", Category.EXPERT),
    ]
    root = parse(circle_svg(people, title="t"))

    found = nodes(root)
    assert len(found) == len(people)
    tooltips = sorted(tooltip(node) for node in found)
    assert tooltips == [
        "Dr. Jansen — expert — takes part: not asked yet",
        "Fatima El Amrani — directly involved — takes part: yes",
        "Kees de Vries — neighbour — takes part: not yet",
        "Wijkagent Smit — police — takes part: no",
    ]
    # The tooltip is the first child, so browsers show it for the whole node.
    assert all(node[0].tag == f"{NS}title" for node in found)


@pytest.mark.django_db
def test_labels_are_first_names_unless_shared_and_never_long(world: World) -> None:
    people = [
        person(world, "Fatima El Amrani", Category.DIRECTLY_INVOLVED),
        person(world, "Jan de Vries", Category.FAMILY),
        person(world, "Jan Bakker", Category.FRIEND),
        person(world, "Kees  van den Berg", Category.FAMILY),
        person(world, "Kees Bos", Category.NEIGHBOUR),
        person(world, "Gerrit-Willem-Alexander", Category.TEACHER),
        person(world, "Gerrit-Willem-Alexander van Oranje-Nassau", Category.EXPERT),
    ]
    root = parse(circle_svg(people, title="t"))

    labels = {tooltip(node).split(" — ")[0]: label_of(node).text for node in nodes(root)}
    assert labels == {
        "Fatima El Amrani": "Fatima",
        "Jan de Vries": "Jan V.",
        "Jan Bakker": "Jan B.",
        "Kees  van den Berg": "Kees van den…",
        "Kees Bos": "Kees Bos",
        "Gerrit-Willem-Alexander": "Gerrit-Willem…",
        "Gerrit-Willem-Alexander van Oranje-Nassau": "Gerrit-Willem…",
    }
    assert all(len(label or "") <= 14 for label in labels.values())


@pytest.mark.django_db
def test_names_and_title_are_escaped(world: World) -> None:
    evil = """<script>alert("x")</script> & 'O'Brien" <b>"""
    people = [
        person(world, evil, Category.FAMILY, Willingness.YES),
        person(world, "Anna", Category.FAMILY),
    ]
    svg = circle_svg(people, title="<script>title</script> & co")

    assert "<script" not in svg
    assert "<b>" not in svg
    root = parse(svg)  # still well-formed XML
    assert not [element for element in root.iter() if element.tag.endswith("script")]
    assert not [element for element in root.iter() if element.tag.endswith("}b")]
    title = root.find(f"{NS}title")
    assert title is not None and title.text == "<script>title</script> & co"
    assert any(tooltip(node).startswith(evil + " — ") for node in nodes(root))


@pytest.mark.django_db
def test_each_ring_lies_further_out_than_the_one_inside_it(world: World) -> None:
    people = [
        person(world, f"{category.label} {index}", category)
        for ring, categories in RING_CATEGORIES.items()
        for category in categories
        for index in range(ring)  # a few more people on the outer rings
    ]
    ring_of = {p.name: p.ring for p in people}
    root = parse(circle_svg(people, title="t"))
    centre = picture_centre(root)

    distances: dict[int, list[float]] = {1: [], 2: [], 3: [], 4: []}
    for node in nodes(root):
        distances[ring_of[tooltip(node).split(" — ")[0]]].append(math.dist(centre, centre_of(node)))
    assert [len(distances[ring]) for ring in (1, 2, 3, 4)] == [3, 10, 12, 4]
    for inner, outer in itertools.pairwise((1, 2, 3, 4)):
        assert max(distances[inner]) + 2 * NODE_RADIUS <= min(distances[outer])
    assert max(distances[4]) <= MAX_RADIUS


@pytest.mark.django_db
def test_one_person_in_the_centre_ring_sits_in_the_very_centre(world: World) -> None:
    people = [
        person(world, "Kees", Category.RESIDENT),
        person(world, "Anna", Category.FAMILY),
    ]
    root = parse(circle_svg(people, title="t"))
    (kees,) = (node for node in nodes(root) if tooltip(node).startswith("Kees"))
    assert centre_of(kees) == picture_centre(root)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "categories",
    [
        [c for categories in RING_CATEGORIES.values() for c in categories],
        [Category.FAMILY],
        [Category.DIRECTLY_INVOLVED],
        [Category.EXPERT],
        [Category.RESIDENT, Category.FAMILY, Category.TEACHER, Category.EXPERT],
    ],
    ids=["mixed", "all-family", "all-centre", "all-experts", "even"],
)
def test_fifty_people_do_not_crowd_each_other(world: World, categories: list[str]) -> None:
    people = crowd(world, 50, categories)
    root = parse(circle_svg(people, title="t"))
    found = nodes(root)
    assert len(found) == 50

    centres = [centre_of(node) for node in found]
    closest = min(math.dist(a, b) for a, b in itertools.combinations(centres, 2))
    assert closest >= 2 * NODE_RADIUS

    labels = [label_box(label_of(node)) for node in found]
    for one, other in itertools.combinations(labels, 2):
        assert not boxes_overlap(one, other)
    for centre, box in itertools.product(centres, labels):
        assert not circle_meets_box(centre, NODE_RADIUS, box)
    legend_top = picture_centre(root)[1] + MAX_RADIUS
    for x, y in itertools.chain.from_iterable(labels):
        assert 0 <= x <= VIEW_SIZE
        assert 0 <= y <= legend_top


MEASURE = """() => Array.from(document.querySelectorAll("g.kring-circle-node")).map(node => {
    const text = node.querySelector("text:not(.kring-circle-halo)");
    const box = text.getBBox();
    const m = text.getCTM();
    const corners = [
        [box.x, box.y], [box.x + box.width, box.y],
        [box.x + box.width, box.y + box.height], [box.x, box.y + box.height],
    ].map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
    const circle = node.querySelector("circle");
    return {
        label: text.textContent,
        length: text.getComputedTextLength(),
        size: parseFloat(text.getAttribute("font-size")),
        corners: corners,
        centre: [parseFloat(circle.getAttribute("cx")), parseFloat(circle.getAttribute("cy"))],
    };
})"""


@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.parametrize("categories", [[Category.FAMILY], [*RING_CATEGORIES[1], Category.EXPERT]])
def test_fifty_labels_do_not_overlap_in_a_real_browser(
    world: World, chromium, categories: list[str]
) -> None:
    """The same as above, with the text as Chromium really draws it."""
    people = crowd(world, 50, categories)
    svg = circle_svg(people, title="t")
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_content(f'<!doctype html><div style="width: {VIEW_SIZE}px">{svg}</div>')
        measured = page.evaluate(MEASURE)
    finally:
        context.close()

    assert len(measured) == 50
    for item in measured:
        assert label_width(item["label"], item["size"]) >= item["length"], item["label"]
    boxes = [[(x, y) for x, y in item["corners"]] for item in measured]
    centres = [(item["centre"][0], item["centre"][1]) for item in measured]
    for one, other in itertools.combinations(boxes, 2):
        assert not boxes_overlap(one, other)
    for centre, box in itertools.product(centres, boxes):
        assert not circle_meets_box(centre, NODE_RADIUS, box)


@pytest.mark.django_db
def test_a_very_large_circle_still_fits(world: World) -> None:
    people = crowd(world, 130, [Category.FAMILY, Category.TEACHER])
    root = parse(circle_svg(people, title="t"))
    centre = picture_centre(root)
    centres = [centre_of(node) for node in nodes(root)]
    assert len(centres) == 130
    assert max(math.dist(centre, c) for c in centres) <= MAX_RADIUS
    assert min(math.dist(a, b) for a, b in itertools.combinations(centres, 2)) > 0


@pytest.mark.django_db
def test_an_empty_circle_is_still_a_valid_picture(world: World) -> None:
    root = parse(circle_svg([], title="Nobody yet"))
    desc = root.find(f"{NS}desc")
    assert desc is not None and desc.text == "Nobody is in the circle yet."
    assert nodes(root) == []
    assert len(group(root, "kring-circle-links")) == 0
    assert len(group(root, "kring-circle-rings").findall(f"{NS}circle")) == 4
    texts = [text.text for text in root.iter(f"{NS}text")]
    assert "Nobody is in the circle yet." in texts


@pytest.mark.django_db
def test_a_line_joins_each_person_to_who_suggested_them(world: World) -> None:
    fatima = person(world, "Fatima", Category.DIRECTLY_INVOLVED, Willingness.YES)
    aunt = person(world, "Aunt Samira", Category.FAMILY, suggested_by=fatima)
    person(world, "Cousin Omar", Category.FAMILY, suggested_by=aunt)
    person(world, "Coach Kees", Category.FRIEND, suggested_by=fatima)
    outsider = person(world, "Left out", Category.FAMILY)
    person(world, "Neighbour Bep", Category.NEIGHBOUR, suggested_by=outsider)
    people = list(
        Participant.objects.filter(case=world.case).exclude(pk=outsider.pk).order_by("pk")
    )
    root = parse(circle_svg(people, title="t"))

    lines = list(group(root, "kring-circle-links"))
    assert len(lines) == 3
    centres = {tooltip(node).split(" — ")[0]: centre_of(node) for node in nodes(root)}
    drawn = {(curve[0], curve[-1]) for curve in map(link_points, lines)}
    assert drawn == {
        (centres["Aunt Samira"], centres["Fatima"]),
        (centres["Cousin Omar"], centres["Aunt Samira"]),
        (centres["Coach Kees"], centres["Fatima"]),
    }


# --- Upright names, and lines that go round other people (issue 14, point 12) ---------------


def across(world: World) -> list[Participant]:
    """A circle in which straight lines must cross other people: one person at the centre,
    eight around her, each suggested by the one opposite (the line runs through the centre)."""
    people = [person(world, "Fatima El Amrani", Category.DIRECTLY_INVOLVED, Willingness.YES)]
    family = [person(world, f"{name} Bakker") for name in FIRST_NAMES[:8]]
    for index, member in enumerate(family):
        member.suggested_by = family[(index + 4) % 8]
        member.save(update_fields=["suggested_by"])
    return people + family


CIRCLES = {
    "across": across,
    "twelve": lambda world: crowd(world, 12, [Category.FAMILY, Category.TEACHER]),
    "twenty-four": lambda world: crowd(
        world, 24, [c for categories in RING_CATEGORIES.values() for c in categories]
    ),
    "fifty": lambda world: crowd(
        world, 50, [c for categories in RING_CATEGORIES.values() for c in categories]
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("circle", CIRCLES)
def test_names_are_upright_and_next_to_their_dot(world: World, circle: str) -> None:
    root = parse(circle_svg(CIRCLES[circle](world), title="t"))
    centre = picture_centre(root)
    found = nodes(root)
    for node in found:
        for text in node.iter(f"{NS}text"):
            # No rotation at all: the rotation of every label is 0.
            assert text.get("transform") is None, tooltip(node)
            assert "rotate" not in text.get("style", "")
        dot = centre_of(node)
        box = label_box(label_of(node))
        middle = (sum(x for x, _ in box) / 4, sum(y for _, y in box) / 4)
        size = float(label_of(node).get("font-size", "nan"))
        if dot != centre:
            # Outside the dot, on the side away from the centre of the circle.
            assert math.dist(centre, middle) > math.dist(centre, dot), tooltip(node)
        # Next to it: the nearest edge of the label within a few lines of the dot.
        (left, top), _, (right, bottom), _ = box
        nearest = math.dist(dot, (min(max(dot[0], left), right), min(max(dot[1], top), bottom)))
        assert NODE_RADIUS <= nearest <= NODE_RADIUS + 5 * size, (tooltip(node), nearest)
    boxes = [label_box(label_of(node)) for node in found]
    for one, other in itertools.combinations(boxes, 2):
        assert not boxes_overlap(one, other)


@pytest.mark.django_db
@pytest.mark.parametrize("circle", CIRCLES)
def test_suggestion_lines_pass_no_one_elses_dot(world: World, circle: str) -> None:
    root = parse(circle_svg(CIRCLES[circle](world), title="t"))
    dots = [(centre_of(node), dot_radius(node), tooltip(node)) for node in nodes(root)]
    links = list(group(root, "kring-circle-links"))
    assert links
    for link in links:
        points = link_points(link)
        ends = {points[0], points[-1]}
        for dot, radius, who in dots:
            if dot in ends:
                continue
            closest = min(distance_to_segment(dot, a, b) for a, b in itertools.pairwise(points))
            assert closest >= radius, (who, closest)


@pytest.mark.django_db
def test_two_pictures_on_one_page_share_no_ids(world: World) -> None:
    people = [person(world, "Anna"), person(world, "Bram", Category.TEACHER)]
    first = parse(circle_svg(people, title="Now"))
    second = parse(circle_svg(people, title="Before", id_prefix="circle-before"))

    def ids(root: ET.Element) -> set[str]:
        return {element.get("id", "") for element in root.iter() if element.get("id")}

    assert ids(first) and ids(second)
    assert not ids(first) & ids(second)
    for root in (first, second):
        assert set(root.get("aria-labelledby", "").split()) == ids(root)


def test_an_unusable_id_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="id prefix"):
        circle_svg([], title="t", id_prefix='x" onload="alert(1)')
    with pytest.raises(ValueError, match="id prefix"):
        circle_svg([], title="t", id_prefix="two words")


@pytest.mark.django_db
def test_willingness_is_shown_by_shape_as_well_as_colour(world: World) -> None:
    people = [
        person(world, f"Person {willingness}", Category.FAMILY, willingness)
        for willingness in Willingness.values
    ]
    root = parse(circle_svg(people, title="t"))

    def shape(node: ET.Element) -> tuple[object, ...]:
        """Everything about the symbol except its colour."""
        return tuple(
            (child.tag, child.get("fill") == "#ffffff", child.get("stroke") is not None)
            for child in node
            if child.tag in (f"{NS}circle", f"{NS}path")
        )

    shapes = {tooltip(node).split(" — ")[0]: shape(node) for node in nodes(root)}
    assert len(set(shapes.values())) == 4  # four different shapes, even in black and white

    legend = group(root, "kring-circle-legend")
    legend_texts = [text.text for text in legend.iter(f"{NS}text")]
    for label in ("yes", "not yet", "no", "not asked yet"):
        assert label in legend_texts


def test_every_colour_has_enough_contrast() -> None:
    for colour in [*WILLINGNESS_COLOURS.values(), LINK, RING_STROKE, TEXT]:
        assert contrast(colour, "#ffffff") >= 3, colour
        assert contrast(colour, BAND_SHADE) >= 3, colour
    # The white dot and cross inside "not yet" and "no" stand out from their disc too.
    assert contrast("#ffffff", WILLINGNESS_COLOURS[Willingness.NOT_YET]) >= 3
    assert contrast("#ffffff", WILLINGNESS_COLOURS[Willingness.NO]) >= 3


# --- The rings ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_circle_rings_groups_and_sorts(world: World) -> None:
    people = [
        person(world, "zoë", Category.FAMILY),
        person(world, "Kees", Category.RESIDENT),
        person(world, "Anna", Category.PARENT),
        person(world, "Bram", Category.POLICE),
        person(world, "anne", Category.COLLEAGUE),
        person(world, "Anna", Category.FRIEND),
    ]
    rings = circle_rings(people)

    assert [ring.number for ring in rings] == [1, 2, 3, 4]
    assert [ring.label for ring in rings] == [
        "directly involved",
        "family, friends and neighbours",
        "professionals",
        "experts",
    ]
    assert [p.name for p in rings[0].members] == ["Kees"]
    assert [p.name for p in rings[1].members] == ["Anna", "Anna", "anne", "zoë"]
    # Two people with the same name: by pk.
    assert rings[1].members[0].pk < rings[1].members[1].pk
    assert [p.name for p in rings[2].members] == ["Bram"]
    assert rings[3].members == []


@pytest.mark.django_db
def test_ring_labels_are_translated(world: World) -> None:
    with translation.override("nl"):
        rings = circle_rings([])
    assert rings[0].label == "direct betrokken"


@pytest.mark.django_db
def test_circle_rings_knows_who_suggested_whom_without_queries(
    world: World, django_assert_num_queries
) -> None:
    fatima = person(world, "Fatima", Category.DIRECTLY_INVOLVED)
    person(world, "Samira", Category.FAMILY, suggested_by=fatima)
    people = list(Participant.objects.filter(case=world.case))
    rings = circle_rings(people)
    with django_assert_num_queries(0):
        (samira,) = rings[1].members
        assert samira.suggested_by is not None
        assert samira.suggested_by.name == "Fatima"


# --- The partial ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_partial_shows_the_picture_and_a_text_alternative(
    world: World, django_assert_num_queries
) -> None:
    fatima = person(world, "Fatima", Category.DIRECTLY_INVOLVED, Willingness.YES)
    person(world, "Samira <b>", Category.FAMILY, Willingness.NOT_YET, suggested_by=fatima)
    person(world, "Wijkagent Smit", Category.POLICE, Willingness.NO)
    people = list(Participant.objects.filter(case=world.case))
    context = {
        "circle_svg": circle_svg(people, title="The circle"),
        "circle_rings": circle_rings(people),
    }
    with django_assert_num_queries(0):
        html = render_to_string("circle/picture.html", context)

    figure = html[html.index('<figure class="kring-circle">') : html.index("</figure>")]
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in figure
    assert "<figcaption" in figure
    headings = re.findall(r'<h3 class="utrecht-heading-4">(.*?)</h3>', html)
    assert headings == [
        "1. Directly involved",
        "2. Family, friends and neighbours",
        "3. Professionals",
        "4. Experts",
    ]
    items = [re.sub(r"\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", html)]
    assert items == [
        "Fatima — directly involved — takes part: yes",
        "Samira &lt;b&gt; — family — takes part: not yet — suggested by Fatima",
        "Wijkagent Smit — police — takes part: no",
    ]
    assert html.count('<ul class="utrecht-unordered-list">') == 3
    assert html.count("nobody yet") == 1  # the experts
    assert "<b>" not in html
