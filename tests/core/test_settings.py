"""Settings: defaults, the node's comity.toml, environment variables, explicit values."""

from __future__ import annotations

from pathlib import Path

import pytest

from comity.core.errors import ConfigurationError, InvalidInput
from comity.core.settings import load_settings
from comity.core.timeutil import parse_time, zone


def test_precedence_explicit_over_environment_over_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "comity.toml").write_text('timezone = "Asia/Kolkata"\nurl = "https://a.example"\n')
    monkeypatch.delenv("COMITY_TIMEZONE", raising=False)
    monkeypatch.delenv("COMITY_DATABASE_URL", raising=False)
    settings = load_settings(home=tmp_path)
    assert settings.timezone == "Asia/Kolkata" and settings.url == "https://a.example"
    assert settings.database.startswith("sqlite:///") and settings.database.endswith("comity.db")
    monkeypatch.setenv("COMITY_TIMEZONE", "America/New_York")
    assert load_settings(home=tmp_path).timezone == "America/New_York"
    assert load_settings(home=tmp_path, timezone="UTC").timezone == "UTC"


def test_broken_toml_is_a_configuration_error(tmp_path: Path) -> None:
    (tmp_path / "comity.toml").write_text("timezone = \n")
    with pytest.raises(ConfigurationError):
        load_settings(home=tmp_path)


def test_time_parsing_refuses_naive_times_and_unknown_zones() -> None:
    assert parse_time("2026-03-14T11:30:00+05:30").utcoffset() is not None
    with pytest.raises(InvalidInput):
        parse_time("2026-03-14T11:30:00")
    with pytest.raises(InvalidInput):
        zone("Mars/Olympus_Mons")
