"""The blob store's crash recovery: staged and journalled objects of dead writers vanish."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from comity.evidence.blobstore import BlobStore, blob_address


def _store(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "evidence", os.urandom(32))


def test_addresses_are_keyed(tmp_path: Path) -> None:
    digest = "ab" * 32
    first, second = os.urandom(32), os.urandom(32)
    assert blob_address(first, digest) != blob_address(second, digest)
    assert blob_address(first, digest) != digest
    assert blob_address(first, digest) == blob_address(first, digest)


def test_failed_transaction_unpublishes_new_objects(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.stage() as staging:
        staged = staging.file("0.blob")
        staged.write_bytes(b"ciphertext")
        address = store.address("cd" * 32)
        with pytest.raises(RuntimeError), store.publishing(staging, {address: staged}):
            assert store.path(address).is_file()
            raise RuntimeError("the database refused the transaction")
    assert store.listing() == []
    assert list((tmp_path / "evidence" / "journal").iterdir()) == []


def test_recover_removes_objects_of_a_writer_killed_before_commit(tmp_path: Path) -> None:
    store = _store(tmp_path)
    recorded, orphan = store.address("01" * 32), store.address("02" * 32)
    for address in (recorded, orphan):
        store.path(address).parent.mkdir(parents=True, exist_ok=True)
        store.path(address).write_bytes(b"x")
    store.journal_root.mkdir(parents=True, exist_ok=True)
    (store.journal_root / "dead.json").write_text(json.dumps([recorded, orphan]))
    dead_staging = store.staging_root / "dead"
    dead_staging.mkdir(parents=True)
    (dead_staging / "0.blob").write_bytes(b"partial")
    removed = store.recover(lambda addresses: {a for a in addresses if a == recorded})
    assert removed == [orphan]
    assert store.listing() == [recorded]
    assert not dead_staging.exists()
    assert list(store.journal_root.iterdir()) == []


def test_recover_leaves_a_live_writer_alone(tmp_path: Path) -> None:
    store = _store(tmp_path)
    with store.stage() as staging:
        staging.file("0.blob").write_bytes(b"in progress")
        store.recover(lambda addresses: set())
        assert staging.file("0.blob").read_bytes() == b"in progress"


def test_recover_leaves_this_process_s_staging_alone_even_where_flock_does_not_exclude(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On file systems that emulate ``flock`` with per-process record locks (NFS), a process's
    own lock never stops it; the registry of live folders still does."""
    import fcntl

    store = _store(tmp_path)
    with store.stage() as staging:
        staging.file("0.blob").write_bytes(b"in progress")
        monkeypatch.setattr(fcntl, "flock", lambda fd, operation: None)
        store.recover(lambda addresses: set())
        assert staging.file("0.blob").read_bytes() == b"in progress"
        monkeypatch.undo()
    assert not staging.path.exists()
    # Once it is closed, the same folder left behind would be recovered.
    dead = store.staging_root / staging.path.name
    dead.mkdir()
    (dead / "0.blob").write_bytes(b"partial")
    store.recover(lambda addresses: set())
    assert not dead.exists()
