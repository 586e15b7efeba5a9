"""Typed settings, built once and passed in.

Sources, strongest first: explicit arguments, ``COMITY_*`` environment variables, the node's
``comity.toml`` (in the node home), defaults. The node home is ``COMITY_HOME``, default
``./.comity``::

    settings = load_settings()                       # from the environment
    settings = load_settings(home=Path("/srv/cbi"))  # tests build their own
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from comity.core.errors import ConfigurationError

CONFIG_FILE = "comity.toml"
_toml_path: ContextVar[Path | None] = ContextVar("comity_toml_path", default=None)


class Settings(BaseSettings):
    """Everything a node needs to run, typed."""

    model_config = SettingsConfigDict(env_prefix="COMITY_", extra="ignore")

    home: Path = Field(default=Path(".comity"), description="the node home folder")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default SQLite inside the home"
    )
    user: str | None = Field(default=None, description="the user the CLI acts as")
    key_passphrase: SecretStr | None = Field(default=None, description="passphrase of the keys")
    timezone: str = Field(default="UTC", description="IANA time zone of the node's agency")
    url: str | None = Field(default=None, description="the URL peers reach this node at")
    max_request_bytes: int = Field(default=64 << 20, description="largest API request body")
    max_package_expansion: int = Field(
        default=1 << 40, description="largest total size an imported package may expand to"
    )
    default_tlp: str = Field(
        default="amber", description="TLP given to intelligence that arrives without one"
    )
    max_intel_bytes: int = Field(
        default=512 << 20, description="largest intelligence file or TAXII envelope accepted"
    )
    correlation_cap: int = Field(
        default=50,
        description="an identifier known from more places than this is not correlated further",
    )
    warninglists_skip: list[str] | None = Field(
        default=None,
        description="MISP warning lists not used (folder names; '*': all); default: the "
        "million-entry popularity lists and cloud providers' address ranges",
    )

    link_hub_min_complaints: int = Field(
        default=25,
        ge=2,
        description="linkage: an identifier in fewer complaints is never taken for a hub",
    )
    link_hub_min_groups: int = Field(
        default=5,
        ge=2,
        description="linkage: an identifier whose complaints fall in this many otherwise "
        "unrelated groups is a hub and links nothing",
    )
    link_engine: str = Field(
        default="memory",
        description="linkage: the engine of a full run — memory (up to a few million "
        "identifiers), duckdb (one machine, tens of millions), spark (a cluster)",
    )
    link_engine_memory: str = Field(
        default="4GB",
        pattern=r"^[0-9]+(\.[0-9]+)?\s*[KMGT]i?B?$",
        description="linkage: the memory the duckdb engine (or the Spark driver) may use "
        "before spilling to disk, such as 4GB",
    )
    link_spark_master: str = Field(
        default="local[*]",
        description="linkage: the Spark master of the spark engine (local[*]: this machine)",
    )
    link_exchange_rates: dict[str, Decimal] = Field(
        default_factory=lambda: {"USD": Decimal(1)},
        description="linkage: US dollars per unit of each currency, for the loss term of a "
        "network's score (currencies without a rate are shown but not scored)",
    )

    link_ingest_workers: int | None = Field(
        default=None,
        ge=1,
        description="linkage: processes that check complaint rows during an ingest (default: "
        "one per core; 1: checked in the ingest's own process, without a pool)",
    )

    link_match_tlp: str = Field(
        default="amber",
        description="linkage: the TLP of 'this node holds identifier X' in a private match; "
        "a peer's complaints agreement must reach it",
    )
    link_match_max_request: int = Field(
        default=1_000_000,
        ge=1,
        description="linkage: the most identifiers a peer may ask about in one private match",
    )
    link_match_daily_budget: int = Field(
        default=2_000_000,
        ge=1,
        description="linkage: the most identifiers a peer may ask about in 24 hours, so the "
        "matches cannot test every possible phone number",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Explicit values, then the environment, then ``comity.toml``."""
        path = _toml_path.get()
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None and path.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def database(self) -> str:
        """The database URL, defaulting to SQLite inside the home."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'comity.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        """Where the node's private keys live."""
        return self.home / "keys"

    @property
    def evidence_dir(self) -> Path:
        """Where the encrypted evidence store lives."""
        return self.home / "evidence"

    @property
    def passphrase(self) -> str | None:
        """The key passphrase, if any."""
        return self.key_passphrase.get_secret_value() if self.key_passphrase else None


def load_settings(home: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings for the node at ``home`` (default: ``COMITY_HOME`` or ``./.comity``)."""
    chosen = home or Path(os.environ.get("COMITY_HOME") or ".comity")
    token = _toml_path.set(chosen / CONFIG_FILE)
    try:
        values = {k: v for k, v in overrides.items() if v is not None}
        return Settings(home=chosen, **values)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{chosen / CONFIG_FILE} is not valid TOML: {exc}") from exc
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc
    finally:
        _toml_path.reset(token)


def write_config(settings: Settings, values: dict[str, str]) -> None:
    """Write ``values`` to the node's ``comity.toml`` (simple string keys only)."""
    from comity.core.files import write_atomic

    lines = ["# Comity node configuration; environment variables COMITY_* override it."]
    for key, value in sorted(values.items()):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key} = "{escaped}"')
    write_atomic(settings.home / CONFIG_FILE, ("\n".join(lines) + "\n").encode())
