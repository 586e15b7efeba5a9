"""``comity intel extract FILE|-`` through the real ``comity`` entry point."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from comity.cli.main import main

DATA = Path(__file__).parents[1] / "data" / "intel"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_extract_json_lists_every_observable_with_offsets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = DATA / "complaint_hi.txt"
    code, out, err = run(["intel", "extract", str(path), "--country", "IN", "--json"], capsys)
    assert code == 0, err
    observables = json.loads(out)["observables"]
    text = path.read_text(encoding="utf-8")
    assert {"type", "value", "raw", "start", "end", "valid"} <= set(observables[0])
    for item in observables:
        assert text[item["start"] : item["end"]] == item["raw"]
    assert {"type": "phone-number", "value": "+919823456780", "raw": "९८२३४५६७८०"}.items() <= (
        observables[0].items()
    )
    assert {o["value"] for o in observables} >= {"PUNB0123400:987654321012", "kyc.help.desk@ybl"}


def test_extract_reads_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = "Pay fraud.kyc@okaxis, कॉल करें 0091 98765 43210\n".encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _err = run(["intel", "extract", "-", "--country", "US", "--json"], capsys)
    assert code == 0
    assert [(o["type"], o["value"]) for o in json.loads(out)["observables"]] == [
        ("upi-id", "fraud.kyc@okaxis"),
        ("phone-number", "+919876543210"),
    ]


def test_extract_prints_a_table_without_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from comity.cli.common import console

    monkeypatch.setattr(console, "width", 200)
    path = tmp_path / "tip.txt"
    path.write_text("Wallet 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD and evil[.]example[.]com")
    code, out, _err = run(["intel", "extract", str(path)], capsys)
    assert code == 0
    assert "cryptocurrency-wallet" in out and "EIP-55" in out
    assert "evil[.]example[.]com" in out  # raw values are shown, not read as markup
    assert "2 observables, 1 invalid" in out
    empty = tmp_path / "empty.txt"
    empty.write_text("nothing to see")
    assert run(["intel", "extract", str(empty)], capsys)[1].strip() == "no observables found"


def test_bad_input_exits_2_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = run(["intel", "extract", str(tmp_path / "nope.txt")], capsys)
    assert missing[0] == 2 and "cannot read" in missing[2] and "Traceback" not in missing[2]
    folder = run(["intel", "extract", str(tmp_path)], capsys)
    assert folder[0] == 2 and "cannot read" in folder[2]
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    undecodable = run(["intel", "extract", str(binary)], capsys)
    assert undecodable[0] == 2 and "not UTF-8" in undecodable[2]
    text = tmp_path / "ok.txt"
    text.write_text("+91 98765 43210")
    country = run(["intel", "extract", str(text), "--country", "XX"], capsys)
    assert country[0] == 2 and "unknown country" in country[2]
    usage = run(["intel", "extract"], capsys)
    assert usage[0] == 2


def test_the_installed_command_runs_extract(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMITY_")}
    env["COMITY_HOME"] = str(tmp_path / "no-node-needed")
    source = DATA / "advisory_us.txt"
    proc = subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "intel", "extract", "-", "--json"],
        input=source.read_bytes(),
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    observables = json.loads(proc.stdout)["observables"]
    assert ("url", "https://secure-ms-helpdesk.com/remote/start") in {
        (o["type"], o["value"]) for o in observables
    }
    bad = subprocess.run(
        [sys.executable, "-m", "comity.cli.main", "intel", "extract", "-"],
        input=b"\xc3\x28 invalid utf-8",
        capture_output=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2 and b"not UTF-8" in bad.stderr and b"Traceback" not in bad.stderr
