"""The custody ledger: chained, signed, append-only, and verification that names the break."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text

from comity.cases.services import create_case
from comity.core.errors import InvalidInput
from comity.evidence.ingest import IngestOptions, ingest
from comity.evidence.ledger import append_event, events
from comity.evidence.models import EvidenceItem
from comity.evidence.services import verify_custody
from tests.conftest import Node, remove_append_only


def _item(node: Node, tmp_path: Path, name: str = "chat.db") -> tuple[str, uuid.UUID]:
    with node.ctx.transaction() as session:
        case = create_case(session, node.actor(), title="t", jurisdictions=["IN"]).reference
    source = tmp_path / name
    source.write_bytes(name.encode() * 100)
    (item,) = ingest(node.ctx, None, case, [source], IngestOptions())[0]
    return case, uuid.UUID(item["id"])


def _append(node: Node, item_id: uuid.UUID, *actions: str) -> None:
    actor = node.actor()
    with node.ctx.transaction() as session:
        item = session.get_one(EvidenceItem, item_id)
        for action in actions:
            append_event(
                session,
                node.ctx,
                actor,
                item,
                action,
                purpose=f"{action} for test",
                authority="order 12/2026",
                place="CFSL Hyderabad",
            )


def _verify(node: Node, case: str | None = None) -> dict[str, object]:
    with node.ctx.transaction() as session:
        return verify_custody(node.ctx, node.actor(), session, case)


def test_events_chain_and_verify(node: Node, tmp_path: Path) -> None:
    case, item_id = _item(node, tmp_path)
    _append(node, item_id, "accessed", "analysed", "copied")
    with node.ctx.transaction() as session:
        chain = events(session, item_id)
    assert [e.action for e in chain] == ["acquired", "accessed", "analysed", "copied"]
    assert [e.item_seq for e in chain] == [1, 2, 3, 4]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(chain))
    report = _verify(node, case)
    assert report["ok"] is True and report["events"] == 4


def test_unknown_action_is_refused(node: Node, tmp_path: Path) -> None:
    _case, item_id = _item(node, tmp_path)
    with pytest.raises(InvalidInput):
        _append(node, item_id, "lost")


@pytest.mark.parametrize(
    "statement", ["UPDATE custody_events SET action = 'copied'", "DELETE FROM custody_events"]
)
def test_database_refuses_to_change_events(node: Node, tmp_path: Path, statement: str) -> None:
    _item(node, tmp_path)
    with pytest.raises(Exception, match="append-only"), node.ctx.transaction() as session:
        session.execute(text(statement))


def test_altered_event_is_named(node: Node, tmp_path: Path, backend: str) -> None:
    case, item_id = _item(node, tmp_path)
    _append(node, item_id, "accessed", "analysed")
    with node.ctx.transaction() as session:
        remove_append_only(session, backend, "custody_events")
        session.execute(
            text(
                "UPDATE custody_events SET body = replace(body, 'analysed for test', 'nothing') "
                "WHERE item_seq = 3"
            )
        )
    report = _verify(node, case)
    assert report["ok"] is False
    assert "event 3 was altered" in str(report["first_problem"])


def test_dropping_the_last_event_is_detected_by_the_signed_head(
    node: Node, tmp_path: Path, backend: str
) -> None:
    case, item_id = _item(node, tmp_path)
    _append(node, item_id, "accessed", "analysed")
    with node.ctx.transaction() as session:
        remove_append_only(session, backend, "custody_events")
        session.execute(text("DELETE FROM custody_events WHERE item_seq = 3"))
    report = _verify(node, case)
    assert report["ok"] is False
    assert "signed head counts 3 events, the ledger holds 2" in str(report["first_problem"])


def test_dropping_a_middle_event_is_detected(node: Node, tmp_path: Path, backend: str) -> None:
    case, item_id = _item(node, tmp_path)
    _append(node, item_id, "accessed", "analysed")
    with node.ctx.transaction() as session:
        remove_append_only(session, backend, "custody_events")
        session.execute(text("DELETE FROM custody_events WHERE item_seq = 2"))
    report = _verify(node, case)
    assert "event 2 is missing" in str(report["first_problem"])


def test_forged_head_is_detected(node: Node, tmp_path: Path) -> None:
    case, item_id = _item(node, tmp_path)
    _append(node, item_id, "accessed")
    with node.ctx.transaction() as session:
        # Claim one event fewer, re-using the earlier (validly signed) head's signature.
        heads = session.execute(text("SELECT signature FROM ledger_heads")).scalars().all()
        session.execute(
            text("UPDATE ledger_heads SET signature = :s"), {"s": heads[0][:-4] + "AAAA"}
        )
    report = _verify(node, case)
    assert report["ok"] is False
    assert "signature" in str(report["first_problem"])


def test_verify_names_the_first_broken_item_among_many(node: Node, tmp_path: Path) -> None:
    case, _first = _item(node, tmp_path, "a.bin")
    source = tmp_path / "b.bin"
    source.write_bytes(b"b" * 10)
    (second,) = ingest(node.ctx, None, case, [source], IngestOptions())[0]
    with node.ctx.transaction() as session:
        session.execute(
            text("DELETE FROM ledger_heads WHERE item_id = :i"),
            {
                "i": uuid.UUID(second["id"])
                if session.bind.dialect.name == "postgresql"
                else uuid.UUID(second["id"]).hex
            },
        )
    report = _verify(node, case)
    assert report["ok"] is False and report["items"] == 2
    assert str(report["first_problem"]).startswith(second["exhibit"])
    assert "head is missing" in str(report["first_problem"])
    assert [r["ok"] for r in report["reports"]] == [True, False]  # type: ignore[index]


def test_an_item_deleted_whole_is_named_from_the_audit_log(
    node: Node, tmp_path: Path, backend: str
) -> None:
    case, item_id = _item(node, tmp_path)
    with node.ctx.transaction() as session:
        remove_append_only(session, backend, "custody_events")
        key = {"i": item_id if backend == "postgresql" else item_id.hex}
        session.execute(text("DELETE FROM custody_events WHERE item_id = :i"), key)
        session.execute(text("DELETE FROM ledger_heads WHERE item_id = :i"), key)
        session.execute(text("DELETE FROM evidence_items WHERE id = :i"), key)
    report = _verify(node, case)
    assert report["ok"] is False
    assert "the item is missing: audit entry" in str(report["first_problem"])
    assert str(report["first_problem"]).startswith(f"{case}/E1")
