"""A CBI node with complaints linked into fraud networks and the FBI and a state cell as peers.

Complaints (the interchange format, ``docs/complaints.md``):

- network **A**: two Indian and two US victims — an Indian mobile number and a UPI id link the
  Indian complaints to the first US one, an e-mail address the two US ones;
- network **B**: two Indian victims who paid the same UPI id;
- **L**: a complaint linked to nothing.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from comity.federation.services import add_peer
from comity.link.ingest import IngestOptions, ingest_file
from comity.link.networks import list_networks, run_linkage
from tests.conftest import Node

FIELDS = [
    "complaint_id",
    "country",
    "received_on",
    "loss_amount",
    "currency",
    "phones",
    "emails",
    "upi_ids",
]
ROWS: list[dict[str, str]] = [
    {
        "complaint_id": "NCRP-1",
        "country": "IN",
        "received_on": "2024-05-01",
        "loss_amount": "245000",
        "currency": "INR",
        "phones": "+91 98201 34567",
        "upi_ids": "kyc.help@okaxis",
    },
    {
        "complaint_id": "NCRP-2",
        "country": "IN",
        "received_on": "2024-05-02",
        "phones": "098201-34567",
    },
    {
        "complaint_id": "IC3-1",
        "country": "US",
        "received_on": "2024-05-03",
        "phones": "+1 (415) 555-2671",
        "emails": "desk@kyc-refund.com",
        "upi_ids": "KYC.Help@OKAXIS",
    },
    {
        "complaint_id": "IC3-2",
        "country": "US",
        "received_on": "2024-05-04",
        "emails": "Desk@kyc-refund.com",
    },
    {
        "complaint_id": "NCRP-3",
        "country": "IN",
        "received_on": "2024-05-05",
        "upi_ids": "refund.desk@ybl",
    },
    {
        "complaint_id": "NCRP-4",
        "country": "IN",
        "received_on": "2024-05-06",
        "upi_ids": "refund.desk@ybl",
    },
    {
        "complaint_id": "NCRP-5",
        "country": "IN",
        "received_on": "2024-05-07",
        "phones": "+91 70214 55831",
    },
]


def write_complaints(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write ``rows`` as a complaint CSV."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows([{k: row.get(k, "") for k in FIELDS} for row in rows])
    return path


def link_complaints(node: Node, path: Path) -> dict[str, str]:
    """Ingest ``path``, link, and return each complaint's network id."""
    ingest_file(node.ctx, None, path, IngestOptions())
    run_linkage(node.ctx, None)
    with node.ctx.transaction() as session:
        listing = list_networks(session, node.actor(), node.ctx.settings)["networks"]
    return {cid: n["id"] for n in listing for cid in n["complaints"]}


@dataclass
class Linked:
    """The node, its two networks, and where its complaints file is."""

    node: Node
    a: str
    b: str
    folder: Path

    def actor(self, username: str | None = None) -> Any:
        """A user of the node (default: the administrator)."""
        return self.node.actor(username)


@pytest.fixture
def linked(node: Node, tmp_path: Path) -> Linked:
    """The CBI node with networks A and B, and peers FBI (US) and MHCYBER (IN)."""
    networks = link_complaints(node, write_complaints(tmp_path / "complaints.csv", ROWS))
    with node.ctx.transaction() as session:
        admin = node.actor()
        add_peer(session, admin, code="FBI", agency="Federal Bureau of Investigation", country="US")
        add_peer(session, admin, code="MHCYBER", agency="Maharashtra Cyber", country="IN")
    return Linked(node, networks["NCRP-1"], networks["NCRP-3"], tmp_path)
