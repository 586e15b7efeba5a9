"""Evidence ingest: streamed hashing, encryption at rest, keyed addresses, atomicity."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from comity.cases.services import create_case
from comity.core.errors import ConfigurationError
from comity.core.settings import load_settings
from comity.evidence.errors import EvidenceInputError, HashMismatch
from comity.evidence.ingest import IngestOptions, ingest, recover_store, store_for
from comity.evidence.intake import Intake, collect_sources
from comity.evidence.models import Blob, CustodyEvent, EvidenceItem
from comity.evidence.services import content_problem, custody_log, read_content
from tests.conftest import Node


def _case(node: Node) -> str:
    with node.ctx.transaction() as session:
        return create_case(session, node.actor(), title="t", jurisdictions=["IN"]).reference


def _counts(node: Node) -> tuple[int, int, int]:
    with node.ctx.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(EvidenceItem)) or 0,
            session.scalar(select(func.count()).select_from(CustodyEvent)) or 0,
            session.scalar(select(func.count()).select_from(Blob)) or 0,
        )


def test_ingest_hashes_encrypts_and_logs_acquisition(node: Node, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    source = tmp_path / "phone.img"
    source.write_bytes(data)
    options = IngestOptions(
        examiner="R. Iyer",
        tool="Cellebrite UFED",
        tool_version="7.69",
        device={
            "type": "mobile",
            "make": "Samsung",
            "model": "SM-A155F",
            "imei": "356938035643809",
        },
        extra_hashes=("md5", "sha1"),
        place="Mumbai",
        expected_sha256={"phone.img": hashlib.sha256(data).hexdigest()},
    )
    items, warnings = ingest(node.ctx, None, _case(node), [source], options)
    assert warnings == []
    (item,) = items
    assert item["size"] == len(data)
    assert item["hashes"] == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
    }
    assert item["acquisition"]["device"]["imei"] == "356938035643809"
    store = store_for(node.ctx)
    (address,) = store.listing()
    # The store is addressed by a keyed hash and holds no plaintext.
    assert address != item["hashes"]["sha256"]
    stored = store.path(address).read_bytes()
    assert data[:4096] not in stored
    with node.ctx.transaction() as session:
        row = session.get_one(EvidenceItem, __import__("uuid").UUID(item["id"]))
        assert b"".join(read_content(node.ctx, row)) == data
        assert content_problem(node.ctx, row) is None
        log = custody_log(session, node.actor(), item["exhibit"])
    (event,) = log["events"]
    assert event["action"] == "acquired"
    assert event["item_sha256"] == item["hashes"]["sha256"]
    assert event["agency"]["code"] == "CBI"
    assert event["timezone"] == "Asia/Kolkata" and event["local_time"].endswith("+05:30")
    assert event["place"] == "Mumbai"


def test_folder_ingest_keeps_relative_paths_and_deduplicates_blobs(
    node: Node, tmp_path: Path
) -> None:
    folder = tmp_path / "seized"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"same")
    (folder / "sub" / "b.txt").write_bytes(b"same")
    (folder / "empty.bin").write_bytes(b"")
    (folder / "link").symlink_to(folder / "a.txt")
    items, warnings = ingest(node.ctx, None, _case(node), [folder], IngestOptions())
    assert sorted(i["path"] for i in items) == [
        "seized/a.txt",
        "seized/empty.bin",
        "seized/sub/b.txt",
    ]
    assert any("link" in w for w in warnings)
    assert len(store_for(node.ctx).listing()) == 2  # "same" stored once, and the empty file


def test_hash_mismatch_refuses_everything(node: Node, tmp_path: Path) -> None:
    good, bad = tmp_path / "good.bin", tmp_path / "bad.bin"
    good.write_bytes(b"good")
    bad.write_bytes(b"bad")
    case = _case(node)
    before = _counts(node)
    with pytest.raises(HashMismatch) as info:
        ingest(
            node.ctx, None, case, [good, bad], IngestOptions(expected_sha256={"bad.bin": "0" * 64})
        )
    assert info.value.data["expected"] == "0" * 64
    assert info.value.data["actual"] == hashlib.sha256(b"bad").hexdigest()
    assert _counts(node) == before
    assert store_for(node.ctx).listing() == []
    assert not any((node.ctx.settings.evidence_dir / "staging").iterdir())


def test_missing_and_special_paths_are_bad_input(node: Node, tmp_path: Path) -> None:
    case = _case(node)
    with pytest.raises(EvidenceInputError):
        ingest(node.ctx, None, case, [tmp_path / "absent"], IngestOptions())
    link = tmp_path / "l"
    link.symlink_to(tmp_path)
    with pytest.raises(EvidenceInputError):
        ingest(node.ctx, None, case, [link], IngestOptions())


def test_a_flipped_byte_in_the_store_is_found(node: Node, tmp_path: Path) -> None:
    source = tmp_path / "doc.pdf"
    source.write_bytes(os.urandom(5000))
    (item,) = ingest(node.ctx, None, _case(node), [source], IngestOptions())[0]
    store = store_for(node.ctx)
    path = store.path(store.listing()[0])
    blob = bytearray(path.read_bytes())
    blob[100] ^= 1
    path.write_bytes(bytes(blob))
    with node.ctx.transaction() as session:
        row = session.get_one(EvidenceItem, __import__("uuid").UUID(item["id"]))
        problem = content_problem(node.ctx, row)
    assert problem is not None and "altered" in problem


def _staged_files(node: Node) -> list[Path]:
    staging = node.ctx.settings.evidence_dir / "staging"
    return sorted(p for p in staging.rglob("*") if p.is_file()) if staging.is_dir() else []


def test_recovery_during_an_ingest_leaves_its_staging_alone(node: Node, tmp_path: Path) -> None:
    """The ingest's own recovery, and any other, skip a staging folder that is still in use."""
    data = os.urandom(9 << 20)  # three read buffers
    source = tmp_path / "disk.img"
    source.write_bytes(data)
    seen: list[list[Path]] = []

    def progress(_n: int) -> None:
        if not seen:
            assert recover_store(node.ctx) == []
            seen.append(_staged_files(node))

    (item,), _ = ingest(node.ctx, None, _case(node), [source], IngestOptions(), progress)
    assert [p.name for p in seen[0]] == [".lock", "0.blob"]
    assert item["hashes"]["sha256"] == hashlib.sha256(data).hexdigest()
    with node.ctx.transaction() as session:
        row = session.get_one(EvidenceItem, __import__("uuid").UUID(item["id"]))
        assert content_problem(node.ctx, row) is None
    assert _staged_files(node) == []


def test_leaving_a_background_stream_early_stops_it_and_removes_its_files(
    node: Node, tmp_path: Path
) -> None:
    source = tmp_path / "disk.img"
    with source.open("wb") as handle:
        handle.truncate(1 << 30)
    sources, warnings = collect_sources([source])
    started = threading.Event()
    read: list[int] = []

    def progress(n: int) -> None:
        read.append(n)
        started.set()

    with (
        pytest.raises(RuntimeError, match="the case check failed"),
        Intake(node.ctx.settings, sources, warnings, IngestOptions(), progress) as intake,
    ):
        intake.start()
        assert started.wait(60)
        assert _staged_files(node)
        raise RuntimeError("the case check failed")
    assert sum(read) < 1 << 30  # stopped, not streamed to the end
    assert _staged_files(node) == []
    assert not list((node.ctx.settings.evidence_dir / "staging").iterdir())
    assert store_for(node.ctx).listing() == []


def test_a_failed_background_stream_raises_in_the_caller(node: Node, tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc")
    sources, warnings = collect_sources([source])
    options = IngestOptions(expected_sha256={"a.bin": "0" * 64})
    with Intake(node.ctx.settings, sources, warnings, options) as intake:
        intake.start()
        with pytest.raises(HashMismatch):
            intake.staged()
    assert _staged_files(node) == []


def test_no_store_is_created_outside_a_node(tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc")
    sources, warnings = collect_sources([source])
    settings = load_settings(home=tmp_path / "typo")
    with (
        pytest.raises(ConfigurationError, match="not initialized"),
        Intake(settings, sources, warnings, IngestOptions()),
    ):
        pass
    assert not (tmp_path / "typo").exists()
