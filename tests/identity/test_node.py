"""The node: init, keys on disk, users and roles, tokens, the audit log."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from comity.core.errors import (
    AlreadyExists,
    ConfigurationError,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
)
from comity.core.keys import NodeKeys
from comity.identity import audit
from comity.identity.services import (
    authenticate_password,
    authenticate_token,
    create_user,
    describe_node,
    init_node,
)
from tests.conftest import Node, remove_append_only


def test_init_writes_private_keys_readable_by_owner_only(node: Node) -> None:
    keys = sorted(p.name for p in (node.home / "keys").iterdir())
    assert keys == ["address.key", "encryption.pem", "signing.pem"]
    for path in (node.home / "keys").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_node_description_names_agency_and_keys(node: Node) -> None:
    with node.ctx.transaction() as session:
        info = describe_node(session)
    assert info["agency"] == {
        "code": "CBI",
        "name": "Central Bureau of Investigation",
        "country": "IN",
    }
    assert info["keys"]["signing"]["fingerprint"] == node.ctx.keys.signing_fingerprint
    assert info["keys"]["encryption"]["public_key"] == node.ctx.keys.encryption_public
    assert info["timezone"] == "Asia/Kolkata"


def test_init_again_upgrades_and_refuses_another_agency(node: Node) -> None:
    again = init_node(node.ctx, agency=None, code=None, country=None, migrate_schema=False)
    assert again["created"] is False and "admin" not in again
    with pytest.raises(AlreadyExists):
        init_node(node.ctx, agency="FBI", code="FBI", country="US", migrate_schema=False)


def test_admin_token_authenticates_and_a_wrong_one_does_not(node: Node) -> None:
    with node.ctx.transaction() as session:
        assert authenticate_token(session, node.admin_token).username == "admin"
        with pytest.raises(NotAuthenticated):
            authenticate_token(session, node.admin_token + "x")


def test_users_with_roles_and_passwords(node: Node) -> None:
    admin = node.actor()
    with node.ctx.transaction() as session:
        _user, token = create_user(
            session,
            admin,
            username="r.iyer",
            display_name="R. Iyer",
            roles=["forensic_examiner"],
            password="correct horse",
        )
        assert authenticate_password(session, "r.iyer", "correct horse").username == "r.iyer"
        with pytest.raises(NotAuthenticated):
            authenticate_password(session, "r.iyer", "wrong")
        assert authenticate_token(session, token).user.roles == ["forensic_examiner"]
        with pytest.raises(InvalidInput):
            create_user(session, admin, username="x", display_name="x", roles=["wizard"])
        with pytest.raises(InvalidInput, match="at least 12"):
            create_user(
                session, admin, username="z", display_name="z", roles=["analyst"], password="short"
            )
        with pytest.raises(AlreadyExists):
            create_user(session, admin, username="r.iyer", display_name="x", roles=["analyst"])
    examiner = node.actor("r.iyer")
    with node.ctx.transaction() as session, pytest.raises(PermissionDenied):
        create_user(session, examiner, username="y", display_name="y", roles=["analyst"])


def test_audit_log_is_hash_chained_and_verifies(node: Node) -> None:
    admin = node.actor()
    with node.ctx.transaction() as session:
        audit.record(session, admin.username, "test.one", "thing", "1")
        audit.record(session, admin.username, "test.two", "thing", "2")
        report = audit.verify_audit(session)
        entries = audit.entries(session)
    assert report.ok and report.count == len(entries) >= 3
    assert [e.action for e in entries][-2:] == ["test.one", "test.two"]
    assert entries[-1].prev_hash == entries[-2].hash


def test_database_refuses_changes_to_the_audit_log(node: Node) -> None:
    with node.ctx.transaction() as session:
        audit.record(session, "admin", "test.one", "thing", "1")
    for statement in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with pytest.raises(Exception, match="append-only"), node.ctx.transaction() as session:
            session.execute(text(statement))


def test_tampering_with_the_audit_log_is_detected(node: Node, backend: str) -> None:
    with node.ctx.transaction() as session:
        audit.record(session, "admin", "test.one", "thing", "1")
        audit.record(session, "admin", "test.two", "thing", "2")
    with node.ctx.transaction() as session:
        remove_append_only(session, backend, "audit_events")
        session.execute(
            text("UPDATE audit_events SET body = replace(body, 'test.one', 'test.uno')")
        )
        report = audit.verify_audit(session)
    assert not report.ok
    assert "does not follow" in report.problems[0]


def test_keys_protected_by_a_passphrase_need_it(tmp_path: Path) -> None:
    keys = NodeKeys.generate()
    keys.save(tmp_path, passphrase="s3cret passphrase")
    assert b"ENCRYPTED" in (tmp_path / "signing.pem").read_bytes()
    loaded = NodeKeys.load(tmp_path, "s3cret passphrase")
    assert loaded.signing_fingerprint == keys.signing_fingerprint
    with pytest.raises(ConfigurationError, match="passphrase"):
        NodeKeys.load(tmp_path, None)
    with pytest.raises(ConfigurationError, match="wrong passphrase"):
        NodeKeys.load(tmp_path, "guess")
