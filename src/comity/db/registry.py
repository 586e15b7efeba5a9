"""Imports every domain's models so the metadata is complete (for migrations and checks)."""

from __future__ import annotations

from sqlalchemy import MetaData


def all_metadata() -> MetaData:
    """Return the metadata with every model of every domain registered."""
    from comity.cases import models as _cases  # noqa: F401
    from comity.db.base import Base
    from comity.evidence import models as _evidence  # noqa: F401
    from comity.federation import models as _federation  # noqa: F401
    from comity.identity import models as _identity  # noqa: F401
    from comity.intel import models as _intel  # noqa: F401
    from comity.legal import models as _legal  # noqa: F401
    from comity.link import models as _link  # noqa: F401
    from comity.operations import models as _operations  # noqa: F401

    return Base.metadata
