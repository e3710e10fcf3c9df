"""The environments page's graph layout (registry.web.graph): deterministic, three columns, every
incompatible pair an arc to its report, and bounded however many services an environment holds."""

from __future__ import annotations

from datetime import UTC, datetime

from registry.domain.deployments import (
    EnvironmentPicture,
    IncompatiblePair,
    Participant,
    ParticipantRole,
    SchemaPicture,
)
from registry.domain.model import CompatibilityPolicy
from registry.domain.modes import CompatibilityReport
from registry.web import graph

LINKS = graph.Links(
    schema=lambda schema: f"/s/{schema}",
    version=lambda schema, number: f"/s/{schema}/v/{number}",
    report=lambda pair: f"/s/{pair.producer.schema}/compare/{pair.producer.version}/{pair.consumer.version}",
    table="#table",
)
BROKEN = CompatibilityReport(mode=None, policy=CompatibilityPolicy.STRICT, incompatibilities=[object()])  # type: ignore[list-item]


def _participant(schema: str, service: str, role: ParticipantRole, version: int) -> Participant:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return Participant("shop", schema, service, role, version, "prod", at, "test")


def _schema(name: str, producers: int, consumers: int, *, broken: int = 0) -> SchemaPicture:
    made = [_participant(name, f"p{n:02}", ParticipantRole.PRODUCER, 1) for n in range(producers)]
    taking = [_participant(name, f"c{n:02}", ParticipantRole.CONSUMER, 2) for n in range(consumers)]
    pairs = [IncompatiblePair(made[0], taking[n], BROKEN) for n in range(broken)]
    return SchemaPicture(name, made, taking, pairs)


def _picture(*schemas: SchemaPicture) -> EnvironmentPicture:
    return EnvironmentPicture("shop", "prod", list(schemas))


def test_producers_schema_and_consumers_sit_in_three_columns_joined_by_edges() -> None:
    drawn = graph.draw(_picture(_schema("order/placed", 1, 2)), LINKS)
    kinds = ("producer", "schema", "consumer")
    by_kind = {kind: [n for n in drawn.nodes if n.kind == kind] for kind in kinds}
    assert [n.x for n in by_kind["producer"]] == [graph.PRODUCER_X]
    assert [(n.x, n.href) for n in by_kind["schema"]] == [(graph.SCHEMA_X, "/s/order/placed")]
    assert [n.x for n in by_kind["consumer"]] == [graph.CONSUMER_X] * 2
    assert [n.title for n in by_kind["consumer"]] == [
        "c00 consumes order/placed v2",
        "c01 consumes order/placed v2",
    ]
    assert len(drawn.edges) == 3 and drawn.arcs == [] and not any(n.broken for n in drawn.nodes)
    assert graph.draw(_picture(_schema("order/placed", 1, 2)), LINKS) == drawn  # deterministic


def test_each_incompatible_pair_is_an_arc_to_its_report_under_the_schema_node() -> None:
    drawn = graph.draw(_picture(_schema("order/placed", 1, 3, broken=2)), LINKS)
    assert [arc.href for arc in drawn.arcs] == ["/s/order/placed/compare/1/2"] * 2
    assert drawn.arcs[0].title == "c00 (v2) cannot read every event of p00 (v1): open the report"
    assert [n.service for n in drawn.nodes if n.broken and n.kind != "schema"] == ["p00", "c00", "c01"]
    hub = next(n for n in drawn.nodes if n.kind == "schema")
    under = [int(arc.path.split(" L")[0].rsplit(",", 1)[1]) for arc in drawn.arcs]
    assert all(hub.y + hub.height < y <= drawn.height for y in under) and len(set(under)) == 2


def test_a_large_environment_stays_bounded_and_names_are_cut_with_their_whole_name_in_the_title() -> None:
    long_name = "aws.partner-mongodb.com/1234567-tickets@Ticket.Created"
    schemas = [_schema(f"s{n:03}", 3, 9, broken=9) for n in range(30)]
    drawn = graph.draw(_picture(_schema(long_name, 1, 1), *schemas), LINKS)
    assert drawn.height <= graph.MAX_ROWS * graph.ROW + 30 * (graph.BAND_GAP + graph.MARGIN) + graph.HEADER
    assert drawn.left_out > 0  # the rest are in the table the page keeps under the graph
    more = [n for n in drawn.nodes if n.kind == "more"]
    assert more and more[0].label == f"+{9 - graph.MAX_SIDE + 1} more consumers" and more[0].href == "#table"
    assert all(len(n.label) <= graph.SCHEMA_CHARS for n in drawn.nodes)
    cut = next(n for n in drawn.nodes if n.title == long_name)
    assert cut.label == long_name[: graph.SCHEMA_CHARS - 1] + "…"
    drawn_schemas = len(schemas) - drawn.left_out
    assert len(drawn.arcs) == drawn_schemas * (graph.MAX_SIDE - 1)  # c05..c08 are one "more" node
    assert drawn.pairs_left_out == drawn_schemas * 9 - len(drawn.arcs)  # the table lists them
