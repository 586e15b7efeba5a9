"""The ``comity`` command end to end: real processes, real databases, exit codes, --json."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from comity.evidence.blobstore import BlobStore
from tests.conftest import CliResult


def _init(factory: Any, name: str, code: str, country: str, agency: str, tz: str) -> Any:
    node = factory(name)
    result = node.run(
        "init",
        "--agency",
        agency,
        "--agency-code",
        code,
        "--country",
        country,
        "--timezone",
        tz,
        "--url",
        f"https://{name}.example",
        "--json",
        check=True,
    )
    assert result.json()["created"] is True
    return node


def _node_with_case(factory: Any) -> tuple[Any, dict[str, Any]]:
    cbi = _init(factory, "cbi", "CBI", "IN", "CBI", "Asia/Kolkata")
    case = cbi.run(
        "case", "create", "--title", "t", "--jurisdiction", "IN", "--json", check=True
    ).json()
    return cbi, case


def test_init_peer_case_evidence_and_verify(cli_node_factory: Any, tmp_path: Path) -> None:
    cbi = _init(
        cli_node_factory, "cbi", "CBI", "IN", "Central Bureau of Investigation", "Asia/Kolkata"
    )
    fbi = _init(
        cli_node_factory, "fbi", "FBI", "US", "Federal Bureau of Investigation", "America/New_York"
    )

    shown = cbi.run("node", "show", "--json", check=True).json()
    assert shown["agency"]["code"] == "CBI" and shown["url"] == "https://cbi.example"

    descriptor = tmp_path / "fbi-node.json"
    fbi.run("node", "export", "--out", str(descriptor), check=True)
    added = cbi.run("peer", "add", "--descriptor", str(descriptor), "--json", check=True).json()
    fbi_fp = fbi.run("node", "show", "--json", check=True).json()["keys"]["signing"]["fingerprint"]
    assert added["code"] == "FBI" and added["fingerprint"] == fbi_fp
    assert set(added["credentials"]) == {"username", "password", "token"}

    again = cbi.run("peer", "add", "--descriptor", str(descriptor), "--json")
    assert again.code == 2 and "already registered" in again.err and "Traceback" not in again.err
    listed = cbi.run("peer", "show", "FBI", "--json", check=True).json()
    assert listed["keys"][0]["fingerprint"] == fbi_fp

    case = cbi.run(
        "case",
        "create",
        "--title",
        "Fake call centre",
        "--jurisdiction",
        "IN",
        "--jurisdiction",
        "US",
        "--json",
        check=True,
    ).json()
    assert case["id"] and case["jurisdictions"] == ["IN", "US"]

    evidence = tmp_path / "seized.img"
    evidence.write_bytes(os.urandom(200_000))
    added_items = cbi.run(
        "evidence", "add", case["id"], str(evidence), "--md5", "--json", check=True
    ).json()
    (item,) = added_items["items"]
    assert item["id"] and set(item["hashes"]) == {"sha256", "md5"} and item["size"] == 200_000

    verified = cbi.run("custody", "verify", "--json", check=True).json()
    assert verified["ok"] is True and verified["items"] == 1
    log = cbi.run("custody", "log", item["id"], "--json", check=True).json()
    assert [e["action"] for e in log["events"]] == ["acquired"]
    audit = cbi.run("audit", "verify", "--json", check=True).json()
    assert audit["ok"] is True and audit["count"] > 5


BAD_INPUT = [
    ["case", "show", "CBI-2000-0001"],
    ["case", "create", "--title", "t", "--jurisdiction", "INDIA"],
    ["evidence", "add", "CBI-2000-0001", "/nonexistent"],
    ["peer", "add", "X"],
    ["case", "frobnicate"],
    ["peer", "add", "--descriptor", "/nonexistent.json"],
    ["evidence", "add", "x", "y", "--device-type", "toaster"],
    ["user", "add", "bob", "--role", "wizard"],
]


def test_bad_input_exits_2_with_a_message_and_no_traceback(cli_node_factory: Any) -> None:
    cbi = _init(cli_node_factory, "cbi", "CBI", "IN", "CBI", "Asia/Kolkata")
    for args in BAD_INPUT:
        result = cbi.run(*args)
        assert result.code == 2, (args, result.err)
        assert "Traceback" not in result.err and result.err.strip(), args


def test_commands_before_init_say_so(cli_node_factory: Any) -> None:
    node = cli_node_factory("fresh")
    result = node.run("node", "show")
    assert result.code in (2, 3) and "Traceback" not in result.err


def test_wrong_expected_hash_exits_1_and_writes_nothing(
    cli_node_factory: Any, tmp_path: Path
) -> None:
    cbi, case = _node_with_case(cli_node_factory)
    source = tmp_path / "a.bin"
    source.write_bytes(b"abc")
    result = cbi.run("evidence", "add", case["id"], str(source), "--expected-sha256", "a" * 64)
    assert result.code == 1 and "expected" in result.err
    assert cbi.run("evidence", "list", case["id"], "--json", check=True).json()["items"] == []


def test_killed_ingest_leaves_nothing_and_a_rerun_works(
    cli_node_factory: Any, tmp_path: Path
) -> None:
    cbi, case = _node_with_case(cli_node_factory)
    big = tmp_path / "disk.img"
    with big.open("wb") as handle:
        handle.truncate(3 << 30)  # sparse: 3 GiB to read, hash and encrypt
    staging = cbi.home / "evidence" / "staging"
    env = dict(cbi.env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "comity.cli.main", "evidence", "add", case["id"], str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        blobs = list(staging.glob("*/*.blob")) if staging.exists() else []
        if blobs and blobs[0].stat().st_size > (64 << 20):
            break
        assert proc.poll() is None, "ingest ended before it could be interrupted"
        time.sleep(0.05)
    else:
        pytest.fail("ingest never started writing")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    listed = cbi.run("evidence", "list", case["id"], "--json", check=True).json()
    assert listed["items"] == []
    store = BlobStore(cbi.home / "evidence", b"\0" * 32)
    assert store.listing() == []
    assert cbi.run("custody", "verify", "--json", check=True).json()["events"] == 0

    small = tmp_path / "small.bin"
    small.write_bytes(b"evidence")
    rerun = cbi.run("evidence", "add", case["id"], str(small), "--json", check=True).json()
    assert len(rerun["items"]) == 1
    assert list(staging.iterdir()) == []  # the dead ingest's staging folder was removed
    assert len(store.listing()) == 1


def _store_leftovers(node: Any) -> dict[str, list[str]]:
    """Files in the node's evidence store: objects, staging folders, journals."""
    root = node.home / "evidence"
    found: dict[str, list[str]] = {}
    for part in ("objects", "staging", "journal"):
        folder = root / part
        found[part] = (
            sorted(
                str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_dir()
            )
            if folder.is_dir()
            else []
        )
    return found


def _audit_actions(node: Any) -> list[tuple[str, str, Any]]:
    entries = node.run("audit", "log", "--json", check=True).json()["entries"]
    return [(e["actor"], e["action"], e["details"].get("purpose")) for e in entries]


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def test_refused_ingest_leaves_nothing_behind(cli_node_factory: Any, tmp_path: Path) -> None:
    """Unknown case, no right to write, wrong hash: no item, no blob, no staging file, and the
    audit log holds what it always did (only the read of the case the mismatch came after)."""
    cbi, case = _node_with_case(cli_node_factory)
    cbi.run("user", "add", "ana", "--role", "analyst", "--json", check=True)
    cbi.run("case", "member", case["id"], "ana", "--json", check=True)
    cbi.run("user", "add", "ivan", "--role", "investigator", "--json", check=True)
    # Large enough that the refusal comes while the file is still streaming.
    big = _sparse(tmp_path / "disk.img", 1 << 30)
    small = tmp_path / "a.bin"
    small.write_bytes(os.urandom(3 << 20))
    empty_store = {"objects": [], "staging": [], "journal": []}

    def refused(*args: str, user: str | None = None) -> tuple[CliResult, list[Any]]:
        before = _audit_actions(cbi)
        result = cbi.run("evidence", "add", *args, "--json", user=user)
        audited = _audit_actions(cbi)[len(before) :]  # ``audit log`` itself adds no entry
        assert result.out == "" and "Traceback" not in result.err
        assert _store_leftovers(cbi) == empty_store
        listed = cbi.run("evidence", "list", case["id"], "--json", check=True)
        assert listed.json()["items"] == []
        return result, audited

    unknown, audited = refused("CBI-2000-0001", str(big))
    assert unknown.code == 2 and "CBI-2000-0001" in unknown.err
    assert audited == []

    reader, audited = refused(case["id"], str(big), user="ana")  # a member, but an analyst
    assert reader.code == 2 and "needs one of the roles" in reader.err
    assert audited == []

    outsider, audited = refused(case["reference"], str(big), user="ivan")  # not a member
    assert outsider.code == 2 and "not a member" in outsider.err
    assert audited == []

    wrong, audited = refused(case["id"], str(small), "--expected-sha256", "a" * 64)
    assert wrong.code == 1 and "a" * 64 in wrong.err and "nothing was ingested" in wrong.err
    assert audited == [("admin", "case.read", "add evidence")]  # as before the mismatch

    # The same file with the right hash goes in, and its custody and audit records are the usual.
    right = hashlib.sha256(small.read_bytes()).hexdigest()
    before = _audit_actions(cbi)
    added = cbi.run(
        "evidence", "add", case["id"], str(small), "--expected-sha256", right, "--json", check=True
    ).json()
    (item,) = added["items"]
    assert item["hashes"]["sha256"] == right
    assert _audit_actions(cbi)[len(before) :] == [
        ("admin", "case.read", "add evidence"),
        ("admin", "evidence.add", None),
    ]
    log = cbi.run("custody", "log", item["id"], "--json", check=True).json()
    assert [e["action"] for e in log["events"]] == ["acquired"]
    assert cbi.run("custody", "verify", "--json", check=True).json()["ok"] is True
    leftovers = _store_leftovers(cbi)
    assert leftovers["staging"] == [] and leftovers["journal"] == []


def test_recovery_never_removes_a_live_ingest(
    cli_node_factory: Any, tmp_path: Path, backend: str
) -> None:
    """``recover_store`` run while ``comity evidence add`` streams leaves its staging alone."""
    from comity.context import NodeContext
    from comity.core.settings import load_settings
    from comity.evidence.ingest import recover_store

    cbi, case = _node_with_case(cli_node_factory)
    big = _sparse(tmp_path / "disk.img", 1 << 30)
    staging = cbi.home / "evidence" / "staging"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "comity.cli.main",
            "evidence",
            "add",
            case["id"],
            str(big),
            "--json",
        ],
        env=cbi.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    ctx = NodeContext(load_settings(home=cbi.home, database_url=cbi.env.get("COMITY_DATABASE_URL")))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            blobs = list(staging.glob("*/*.blob")) if staging.exists() else []
            if blobs and blobs[0].stat().st_size > (16 << 20):
                break
            assert proc.poll() is None, "ingest ended before recovery could run"
            time.sleep(0.01)
        else:
            pytest.fail("ingest never started writing")
        assert recover_store(ctx) == []
        assert blobs[0].exists(), "recovery removed a live ingest's staging folder"
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        ctx.dispose()
    assert proc.returncode == 0, err
    (item,) = json.loads(out)["items"]
    assert item["hashes"]["sha256"] == hashlib.sha256(b"\0" * (1 << 30)).hexdigest()
    assert item["size"] == 1 << 30
    assert cbi.run("custody", "verify", "--json", check=True).json()["ok"] is True
    assert list(staging.iterdir()) == []


_STARTS_EARLY = (
    "import sys\n"
    "from comity.evidence import intake\n"
    "start = intake.Intake.start\n"
    "def spy(self):\n"
    "    print('sqlalchemy loaded at start:', 'sqlalchemy' in sys.modules, file=sys.stderr)\n"
    "    start(self)\n"
    "intake.Intake.start = spy\n"
    "from comity.cli.main import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_evidence_add_streams_before_loading_the_database_layer(
    cli_node_factory: Any, tmp_path: Path
) -> None:
    cbi, case = _node_with_case(cli_node_factory)
    source = tmp_path / "a.bin"
    source.write_bytes(b"evidence")
    done = subprocess.run(
        [sys.executable, "-c", _STARTS_EARLY, "evidence", "add", case["id"], str(source), "--json"],
        env=cbi.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "sqlalchemy loaded at start: False" in done.stderr
    assert len(json.loads(done.stdout)["items"]) == 1


def test_json_output_is_json_everywhere(cli_node_factory: Any) -> None:
    cbi = _init(cli_node_factory, "cbi", "CBI", "IN", "CBI", "Asia/Kolkata")
    for args in (
        ["node", "show"],
        ["peer", "list"],
        ["case", "list"],
        ["user", "list"],
        ["audit", "log"],
        ["custody", "verify"],
    ):
        result = cbi.run(*args, "--json", check=True)
        assert isinstance(json.loads(result.out), dict), args


_LOADED = (
    "import sys\n"
    "from comity.cli.main import main\n"
    "code = main(sys.argv[1:])\n"
    "heavy = ('sqlalchemy', 'fastapi', 'reportlab', 'uvicorn')\n"
    "print(code, *sorted(m for m in heavy if m in sys.modules))\n"
)


def _modules_loaded_by(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", _LOADED, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1].split()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["version"], ["0"]),
        (["verify", "--help"], ["0"]),
        (["evidence", "add", "--help"], ["0"]),
        (["--as", "someone", "verify", "--help"], ["0"]),
        (["serve", "--help"], ["0"]),
    ],
)
def test_each_command_loads_only_its_own_layers(args: list[str], expected: list[str]) -> None:
    """Start-up stays cheap: ``comity verify`` must not pay for the database layer."""
    assert _modules_loaded_by(*args) == expected


def test_help_lists_every_command_and_an_unknown_one_is_a_usage_error() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    names = ("init", "peer", "case", "evidence", "custody", "verify", "certificate", "serve")
    for name in (*names, "collection", "share", "intel"):
        assert f" {name} " in shown
    wrong = subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "evidense", "list"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert wrong.returncode == 2
    assert "evidence" in wrong.stderr  # the suggestion names the real command
