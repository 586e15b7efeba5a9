"""Which identifiers are evidence of a fraud, and which a complaint only mentions.

    not_evidence = evidence_rule(warninglists.for_settings(settings))
    not_evidence("domain-name", "gmail.com")          # "on the local list 'free-email-…"
    not_evidence("phone-number", "IN:100")            # 'a national short code …'
    not_evidence("email-addr", "service@paypal.com")  # "an address at paypal.com, …"
    not_evidence("email-addr", "kyc.desk@gmail.com")  # None: the fraudster's own address

The rule, in order:

1. a value a warning list names (MISP's lists and Comity's defaults: free e-mail providers'
   domains, India's helplines, banks' customer care, the reporting portals, popular sites);
2. a national short code (``IN:100``, ``US:911``) is a helpline or an emergency number: a
   fraud's own line is never one;
3. an e-mail address at a domain a warning list names — except lists of e-mail providers:
   ``service@paypal.com`` is the brand's own address, which victims quote from the real
   company's mail, while an address at ``gmail.com`` belongs to whoever made it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from comity.intel.warninglists import Warninglists

MAIL_LIST_WORDS: Final = ("mail",)
"""A list whose id contains one of these is a list of e-mail providers (rule 3)."""


def evidence_rule(lists: Warninglists) -> Callable[[str, str], str | None]:
    """The function telling why an identifier is not evidence (``None``: it is)."""

    def not_evidence(obs_type: str, value: str) -> str | None:
        reason = lists.suppression(obs_type, value)
        if reason is not None:
            return reason
        if obs_type == "phone-number" and ":" in value:
            return "a national short code (a helpline or an emergency number)"
        if obs_type != "email-addr":
            return None
        domain = value.rpartition("@")[2]
        found = lists.listed_by("domain-name", domain)
        if found is None or any(word in found[0].id for word in MAIL_LIST_WORDS):
            return None
        return f"an address at {domain}, whose domain is on the list {found[0].id!r}"

    return not_evidence
