"""The environments page's drawing: for each schema with participants in an environment, its producers →
the schema → its consumers, services as nodes, each incompatible producer/consumer pair as a red arc that
leads to its report. Laid out here in three columns (deterministic, no JavaScript, no layout library: the
graph is layered by nature); templates/_graph.html draws it as inline SVG.

The drawing stays legible however large the environment: a band shows at most MAX_SIDE services a side
and MAX_PAIRS arcs, the graph at most MAX_ROWS rows of services, labels are cut to a fixed number of
characters (the full name is the node's `<title>`); what is left out is in the table under the graph."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from registry.domain.deployments import EnvironmentPicture, IncompatiblePair, Participant, SchemaPicture

MAX_SIDE = 6  # services a band draws on a side, the last one standing for the rest if there are more
MAX_PAIRS = 6  # incompatible arcs a band draws
MAX_ROWS = 40  # rows of services the whole graph draws; later schemas are only in the table
SERVICE_CHARS = 24  # label characters that fit a service node in the monospace font the CSS sets
SCHEMA_CHARS = 28

ROW = 44  # the height of a row of services
NODE_HEIGHT = 36
SERVICE_WIDTH = 210
SCHEMA_WIDTH = 250
GAP = 110  # between the columns, where the edges run
MARGIN = 8
BAND_GAP = 20
ARC_STEP = 7  # how far apart the arcs of one band pass under its schema node

HEADER = 24  # the columns' headings
VERBS = {"producer": "produces", "consumer": "consumes"}

PRODUCER_X = MARGIN
SCHEMA_X = PRODUCER_X + SERVICE_WIDTH + GAP
CONSUMER_X = SCHEMA_X + SCHEMA_WIDTH + GAP
WIDTH = CONSUMER_X + SERVICE_WIDTH + MARGIN


@dataclass(frozen=True)
class Node:
    kind: str  # producer, schema, consumer, more (stands for services left out), none (no service)
    x: int
    y: int
    width: int
    label: str  # cut to fit; `title` is whole
    title: str
    detail: str = ""  # a second, smaller line: the version the service runs
    service: str | None = None
    href: str | None = None
    broken: bool = False  # in an incompatible pair

    @property
    def height(self) -> int:
        return NODE_HEIGHT

    @property
    def middle(self) -> int:
        return self.y + NODE_HEIGHT // 2


@dataclass(frozen=True)
class Edge:
    path: str  # SVG path data
    title: str
    href: str | None = None  # the incompatible pairs' arcs lead to their report
    broken: bool = False


@dataclass
class Graph:
    width: int = WIDTH
    height: int = HEADER
    columns: tuple[tuple[int, str], ...] = (
        (PRODUCER_X, "Producers"),
        (SCHEMA_X, "Schema"),
        (CONSUMER_X, "Consumers"),
    )
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)  # drawn first: under the nodes
    arcs: list[Edge] = field(default_factory=list)  # the incompatible pairs, over the edges
    left_out: int = 0  # schemas not drawn (MAX_ROWS reached)
    pairs_left_out: int = 0  # incompatible pairs of drawn schemas without an arc (MAX_PAIRS, MAX_SIDE)


@dataclass(frozen=True)
class Links:
    """Where nodes and arcs lead; the page knows its URLs, the layout does not."""

    schema: Callable[[str], str]
    version: Callable[[str, int], str]
    report: Callable[[IncompatiblePair], str]
    table: str  # the anchor of the table that lists everything


def cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def draw(picture: EnvironmentPicture, links: Links) -> Graph:
    graph = Graph()
    rows = 0
    for schema in sorted(picture.schemas, key=lambda each: each.schema):
        band_rows = _rows(schema)
        if rows + band_rows > MAX_ROWS:
            graph.left_out += 1
            continue
        rows += band_rows
        _band(graph, schema, links)
    graph.height = max(graph.height - BAND_GAP + MARGIN, 0)
    return graph


def _rows(schema: SchemaPicture) -> int:
    return max(len(schema.producers[:MAX_SIDE]), len(schema.consumers[:MAX_SIDE]), 1)


def _band(graph: Graph, schema: SchemaPicture, links: Links) -> None:
    """One schema's band, from graph.height down; graph.height moves past it."""
    pairs = sorted(schema.incompatible_pairs, key=lambda pair: (pair.producer.service, pair.consumer.service))
    drawn_pairs = pairs[:MAX_PAIRS]
    # the arcs pass under the schema node: the band is tall enough for them
    height = max(_rows(schema) * ROW, NODE_HEIGHT + 2 * (ARC_STEP * (len(drawn_pairs) + 1)))
    top = graph.height + MARGIN
    middle = top + height // 2
    hub = Node(
        "schema",
        SCHEMA_X,
        middle - NODE_HEIGHT // 2,
        SCHEMA_WIDTH,
        cut(schema.schema, SCHEMA_CHARS),
        schema.schema,
        href=links.schema(schema.schema),
        broken=bool(pairs),
    )
    broken = {(pair.producer.service, "producer") for pair in pairs}
    broken |= {(pair.consumer.service, "consumer") for pair in pairs}
    placed: dict[tuple[str | None, str], Node] = {}
    for kind, x, services in (
        ("producer", PRODUCER_X, schema.producers),
        ("consumer", CONSUMER_X, schema.consumers),
    ):
        ordered = sorted(services, key=lambda each: each.service)
        for node in _side(kind, x, top, height, ordered, broken, links):
            graph.nodes.append(node)
            placed[(node.service, node.kind)] = node
            graph.edges.append(_edge(node, hub))
    graph.nodes.append(hub)
    graph.pairs_left_out += len(pairs) - len(drawn_pairs)
    for index, pair in enumerate(drawn_pairs):
        producer = placed.get((pair.producer.service, "producer"))
        consumer = placed.get((pair.consumer.service, "consumer"))
        if producer is None or consumer is None:  # one of them is among the services left out
            graph.pairs_left_out += 1
            continue
        graph.arcs.append(_arc(producer, hub, consumer, ARC_STEP * (index + 1), pair, links))
    graph.height = top + height + BAND_GAP


def _side(
    kind: str,
    x: int,
    top: int,
    height: int,
    services: list[Participant],
    broken: set[tuple[str, str]],
    links: Links,
) -> list[Node]:
    if not services:
        y = top + height // 2 - NODE_HEIGHT // 2
        return [Node("none", x, y, SERVICE_WIDTH, f"no {kind}", f"no {kind} recorded")]
    shown = services if len(services) <= MAX_SIDE else services[: MAX_SIDE - 1]
    start = top + (height - len(services[:MAX_SIDE]) * ROW) // 2 + (ROW - NODE_HEIGHT) // 2
    nodes = [
        Node(
            kind,
            x,
            start + index * ROW,
            SERVICE_WIDTH,
            cut(each.service, SERVICE_CHARS),
            f"{each.service} {VERBS[kind]} {each.schema} v{each.version}",
            detail=f"v{each.version}",
            href=links.version(each.schema, each.version),
            service=each.service,
            broken=(each.service, kind) in broken,
        )
        for index, each in enumerate(shown)
    ]
    if len(shown) < len(services):
        rest = len(services) - len(shown)
        y = start + len(shown) * ROW
        label = f"+{rest} more {kind}s"
        nodes.append(Node("more", x, y, SERVICE_WIDTH, label, f"{label}: see the table", href=links.table))
    return nodes


def _edge(node: Node, hub: Node) -> Edge:
    if node.x < hub.x:  # a producer's events flow into the schema
        start, end = (node.x + node.width, node.middle), (hub.x, hub.middle)
    else:
        start, end = (hub.x + hub.width, hub.middle), (node.x, node.middle)
    return Edge(_curve(start, end), node.title)


def _curve(start: tuple[int, int], end: tuple[int, int]) -> str:
    (x1, y1), (x2, y2) = start, end
    bend = (x2 - x1) // 2
    return f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"


def _arc(producer: Node, hub: Node, consumer: Node, under: int, pair: IncompatiblePair, links: Links) -> Edge:
    """From the producer to the consumer, passing `under` the schema node's bottom (no arc hides another
    there, nor the node)."""
    x1, y1 = producer.x + producer.width, producer.middle
    x2, y2 = consumer.x, consumer.middle
    below = hub.y + hub.height + under
    reach = GAP // 2
    path = (
        f"M{x1},{y1} C{x1 + reach},{y1} {hub.x - reach},{below} {hub.x},{below} "
        f"L{hub.x + hub.width},{below} C{hub.x + hub.width + reach},{below} {x2 - reach},{y2} {x2},{y2}"
    )
    title = (
        f"{pair.consumer.service} (v{pair.consumer.version}) cannot read every event of "
        f"{pair.producer.service} (v{pair.producer.version}): open the report"
    )
    return Edge(path, title, href=links.report(pair), broken=True)
