"""Commands: ``comity request …`` — requests for assistance abroad, from draft to closed.

    comity request create CBI-2026-0001 --kind preservation --to US --need content \\
        --identifier email-addr:kyc.update.sbi@gmail.com --period 2025-01-01..2025-03-31
    comity request advance REQ-2026-0001 --state review --note "ready"
    comity request advance REQ-2026-0001 --state transmitted --at 2026-01-10T10:00+05:30
    comity request renew REQ-2026-0001 --note "renewed with the provider"
    comity request due --within 2w
    comity request stats --json
    comity request export REQ-2026-0002 --to FBI --out req.json       # see cli_exchange

Thin: options are parsed here; the work is done by :mod:`comity.legal.requests` (creation,
particulars) and :mod:`comity.legal.lifecycle` (states, deadlines, figures).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.markup import escape
from rich.table import Table

from comity.cli.common import JsonOption, acting, console, emit, state
from comity.legal.models import STATES
from comity.legal.schema import HOLDERS, NEEDS, REQUEST_KINDS, URGENCIES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from comity.legal.knowledge import KnowledgeBase

request_app = typer.Typer(
    name="request",
    help="Requests for assistance abroad: create, fill in, move through their states, deadlines.",
    no_args_is_help=True,
)

FACTS = typer.Option(None, "--facts", help="The facts (default: the case's summary).")
OFFENCE = typer.Option([], "--offence", help="A statute reference, 'IN:BNS 318(4)'; repeat.")
IDENTIFIER = typer.Option(
    [], "--identifier", help="TYPE:VALUE, e.g. email-addr:name@example.com; repeat."
)
PERIOD = typer.Option(None, "--period", help="Dates of the data sought: 2025-01-01..2025-03-31.")
ASSISTANCE = typer.Option([], "--assistance", help="Assistance asked for, a question; repeat.")
NEXUS = typer.Option(None, "--nexus", help="How the evidence relates to the offence.")
CUSTODIAN = typer.Option(None, "--custodian", help="Who holds the data, and where.")
NECESSITY = typer.Option(None, "--necessity", help="Why it must be preserved now.")
FOLLOW_UP = typer.Option(
    None, "--follow-up/--no-follow-up", help="Whether an MLA request will follow."
)
PROBABLE_CAUSE = typer.Option(None, "--probable-cause", help="Facts showing probable cause.")
CONFIDENTIALITY = typer.Option(None, "--confidentiality", help="Why it must stay confidential.")
URGENCY_REASON = typer.Option(None, "--urgency-reason", help="Why it is urgent.")
RECIPROCITY = typer.Option(
    None, "--reciprocity/--no-reciprocity", help="Whether reciprocity is assured."
)
DANGER = typer.Option(None, "--danger", help="The danger to life (emergency requests).")
SUBJECT = typer.Option(None, "--subject", help="The person to locate or arrest.")
REQUEST_ID = typer.Argument(..., metavar="REQUEST_ID", help="e.g. REQ-2026-0001.")
AT = typer.Option(
    None, "--at", help="When it happened, with its offset (default now): 2026-01-10T10:00+05:30."
)


def _fields(**values: Any) -> dict[str, Any]:
    """The particulars options under their field names."""
    return {"offences" if k == "offence" else k: v for k, v in values.items()}


def _kb_and_country(session: Session) -> tuple[KnowledgeBase, str]:
    from comity.identity.services import local_agency
    from comity.legal.kb_services import current_kb

    return current_kb(session), local_agency(session).country


def _rows(rows: list[tuple[str, str]]) -> None:
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        console.print(f"[bold]{key.ljust(width)}[/bold]  {escape(value)}", highlight=False)


def _print_deadlines(items: list[dict[str, Any]]) -> None:
    """One line per deadline (request, what, when, basis), its note indented below."""
    for d in items:
        when = d["due"] or "date unknown"
        if d.get("minimum") and d["due"]:
            when = f"at least {when}"
        if d.get("overdue"):
            when = f"{when} OVERDUE"
        elif d.get("days_left") is not None:
            when = f"{when} (in {d['days_left']} days)"
        case = f" ({d['case']})" if d["case"] else ""
        basis = f"  {'; '.join(d['basis'])}" if d["basis"] else ""
        line = f"{d['request']}{case}  {d['kind'].replace('-', ' ')}  {when}{basis}"
        console.print(f"[bold]{escape(line)}[/bold]", highlight=False)
        console.print(f"  {escape(d['note'])}", highlight=False)


def _print_request(d: dict[str, Any]) -> None:
    rows = [
        ("request", d["id"]),
        ("case", d["case"] or "-"),
        ("kind", d["kind"]),
        ("route", f"{d['from']} → {d['to']}"),
        ("needs", ", ".join(d["needs"]) or "-"),
        ("holder", d["holder"]),
        ("urgency", d["urgency"]),
        ("state", d["state"] + (f" (next: {', '.join(d['next'])})" if d["next"] else "")),
        ("created", f"{d['created_at']} by {d['created_by']}"),
    ]
    if d["transmitted_at"]:
        rows.append(("transmitted", d["transmitted_at"]))
    if d["answered_at"]:
        rows.append(("answered", d["answered_at"]))
    if d["renewals"]:
        rows.append(("renewals", str(d["renewals"])))
    for key, value in d["particulars"].items():
        if isinstance(value, list):
            shown = " | ".join(
                f"{v['type']}:{v['value']}" if isinstance(v, dict) else str(v) for v in value
            )
        elif isinstance(value, dict):
            shown = f"{value.get('from')}..{value.get('to')}"
        else:
            shown = str(value)
        rows.append((key.replace("_", " "), shown))
    _rows(rows)
    table = Table("#", "at", "action", "from", "to", "by", "note", title="history")
    for e in d["history"]:
        table.add_row(
            str(e["seq"]),
            e["at"],
            e["action"],
            e["from"] or "",
            e["to"],
            escape(e["by"]),
            escape(e["note"]),
        )
    console.print(table)
    if d["deadlines"]:
        console.print("[bold]deadlines[/bold]")
        _print_deadlines(d["deadlines"])


@request_app.command("create")
def create_cmd(
    ctx: typer.Context,
    case: str = typer.Argument(..., metavar="CASE", help="The case's reference or id."),
    kind: str = typer.Option(..., "--kind", help=f"One of: {', '.join(REQUEST_KINDS)}."),
    to: str = typer.Option(..., "--to", help="The requested country: ISO code, e.g. US."),
    need: list[str] = typer.Option([], "--need", help=f"Repeat; of: {', '.join(NEEDS)}."),
    holder: str = typer.Option("provider", "--holder", help=f"One of: {', '.join(HOLDERS)}."),
    urgency: str = typer.Option("normal", "--urgency", help=f"One of: {', '.join(URGENCIES)}."),
    facts: str = FACTS,
    offence: list[str] = OFFENCE,
    identifier: list[str] = IDENTIFIER,
    period: str = PERIOD,
    assistance: list[str] = ASSISTANCE,
    nexus: str = NEXUS,
    custodian: str = CUSTODIAN,
    necessity: str = NECESSITY,
    follow_up: bool | None = FOLLOW_UP,
    probable_cause: str = PROBABLE_CAUSE,
    confidentiality: str = CONFIDENTIALITY,
    urgency_reason: str = URGENCY_REASON,
    reciprocity: bool | None = RECIPROCITY,
    danger: str = DANGER,
    subject: str = SUBJECT,
    as_json: bool = JsonOption,
) -> None:
    """Start a request in draft for a case; its facts and offences default to the case's."""
    from comity.legal.lifecycle import particulars_changes, request_view
    from comity.legal.requests import create_request

    fields = _fields(
        facts=facts, offence=offence, identifiers=identifier, period=period,
        assistance=assistance, nexus=nexus, custodian=custodian, necessity=necessity,
        follow_up=follow_up, probable_cause=probable_cause, confidentiality=confidentiality,
        urgency_reason=urgency_reason, reciprocity=reciprocity, danger=danger, subject=subject,
    )  # fmt: skip
    st = state(ctx)
    with acting(st) as (session, actor):
        kb, country = _kb_and_country(session)
        request = create_request(
            session,
            actor,
            kb,
            case,
            kind=kind,
            to=to,
            needs=need,
            holder=holder,
            urgency=urgency,
            changes=particulars_changes(fields, country),
        )
        data = request_view(session, kb, request)

    def human(d: dict[str, Any]) -> None:
        console.print(
            f"Created request [bold]{d['id']}[/bold] ({d['kind']} to {d['to']}) in draft.",
            highlight=False,
        )
        _print_request(d)

    emit(data, as_json, human)


@request_app.command("set")
def set_cmd(
    ctx: typer.Context,
    request_id: str = REQUEST_ID,
    facts: str = FACTS,
    offence: list[str] = OFFENCE,
    identifier: list[str] = IDENTIFIER,
    period: str = PERIOD,
    assistance: list[str] = ASSISTANCE,
    nexus: str = NEXUS,
    custodian: str = CUSTODIAN,
    necessity: str = NECESSITY,
    follow_up: bool | None = FOLLOW_UP,
    probable_cause: str = PROBABLE_CAUSE,
    confidentiality: str = CONFIDENTIALITY,
    urgency_reason: str = URGENCY_REASON,
    reciprocity: bool | None = RECIPROCITY,
    danger: str = DANGER,
    subject: str = SUBJECT,
    note: str = typer.Option("", "--note", help="Why (kept in the history)."),
    as_json: bool = JsonOption,
) -> None:
    """Fill in a request's particulars (in draft or review): texts replace, lists extend."""
    from comity.legal.lifecycle import particulars_changes, request_view
    from comity.legal.requests import update_request

    fields = _fields(
        facts=facts, offence=offence, identifiers=identifier, period=period,
        assistance=assistance, nexus=nexus, custodian=custodian, necessity=necessity,
        follow_up=follow_up, probable_cause=probable_cause, confidentiality=confidentiality,
        urgency_reason=urgency_reason, reciprocity=reciprocity, danger=danger, subject=subject,
    )  # fmt: skip
    st = state(ctx)
    with acting(st) as (session, actor):
        kb, country = _kb_and_country(session)
        changes = particulars_changes(fields, country)
        data = request_view(session, kb, update_request(session, actor, request_id, changes, note))
    emit(data, as_json, _print_request)


@request_app.command("list")
def list_cmd(
    ctx: typer.Context,
    case: str = typer.Option(None, "--case", help="Only this case's requests."),
    state_: str = typer.Option(None, "--state", help=f"Only this state: {', '.join(STATES)}."),
    to: str = typer.Option(None, "--to", help="Only requests to this country."),
    as_json: bool = JsonOption,
) -> None:
    """List the requests you may see, newest first."""
    from comity.legal.particulars import check_choice
    from comity.legal.requests import list_requests, request_summary

    wanted = check_choice(state_, STATES, "state") if state_ else None
    st = state(ctx)
    with acting(st) as (session, actor):
        found = list_requests(session, actor, case_ref=case, state=wanted, to=to)
        data = {"requests": [request_summary(session, r) for r in found]}

    def human(d: dict[str, Any]) -> None:
        table = Table("request", "case", "kind", "to", "state", "needs", "updated")
        for r in d["requests"]:
            table.add_row(
                r["id"],
                escape(r["case"] or "-"),
                r["kind"],
                r["to"],
                r["state"],
                ", ".join(r["needs"]),
                r["updated_at"],
            )
        console.print(table)

    emit(data, as_json, human)


@request_app.command("attach")
def attach_cmd(
    ctx: typer.Context,
    request_id: str = REQUEST_ID,
    case: str = typer.Option(..., "--case", help="This node's case to file it under."),
    note: str = typer.Option("", "--note", help="Why (kept in the history)."),
    as_json: bool = JsonOption,
) -> None:
    """File an incoming request under one of this node's cases (its members then see it)."""
    from comity.legal.kb_services import current_kb
    from comity.legal.lifecycle import request_view
    from comity.legal.requests import attach_case

    st = state(ctx)
    with acting(st) as (session, actor):
        data = request_view(session, current_kb(session),
                            attach_case(session, actor, request_id, case, note))  # fmt: skip
    emit(data, as_json, _print_request)


@request_app.command("show")
def show_cmd(ctx: typer.Context, request_id: str = REQUEST_ID, as_json: bool = JsonOption) -> None:
    """Show a request: its particulars, the states it may move to, its history and deadlines."""
    from comity.legal.kb_services import current_kb
    from comity.legal.lifecycle import request_view
    from comity.legal.requests import get_request

    st = state(ctx)
    with acting(st) as (session, actor):
        data = request_view(session, current_kb(session), get_request(session, actor, request_id))
    emit(data, as_json, _print_request)


@request_app.command("advance")
def advance_cmd(
    ctx: typer.Context,
    request_id: str = REQUEST_ID,
    to: str = typer.Option(..., "--state", help=f"The new state: {', '.join(STATES)}."),
    note: str = typer.Option("", "--note", help="Why (kept in the history)."),
    at: str = AT,
    as_json: bool = JsonOption,
) -> None:
    """Move a request to its next state, as of now or a past time (--at)."""
    from comity.legal.kb_services import current_kb
    from comity.legal.lifecycle import advance, parse_at, request_view

    moment = parse_at(at, "--at") if at is not None else None
    st = state(ctx)
    with acting(st) as (session, actor):
        kb = current_kb(session)
        moved = advance(session, actor, kb, request_id, to, note=note, at=moment)
        data = request_view(session, kb, moved)
    emit(
        data,
        as_json,
        lambda d: console.print(
            f"{d['id']} is now {d['state']}"
            + (f" (next: {', '.join(d['next'])})." if d["next"] else "."),
            highlight=False,
        ),
    )


@request_app.command("renew")
def renew_cmd(
    ctx: typer.Context,
    request_id: str = REQUEST_ID,
    note: str = typer.Option("", "--note", help="Why (kept in the history)."),
    at: str = AT,
    as_json: bool = JsonOption,
) -> None:
    """Record the renewal of a transmitted preservation request (as often as its law allows)."""
    from comity.legal.kb_services import current_kb
    from comity.legal.lifecycle import parse_at, renew, request_view

    moment = parse_at(at, "--at") if at is not None else None
    st = state(ctx)
    with acting(st) as (session, actor):
        kb = current_kb(session)
        data = request_view(session, kb, renew(session, actor, kb, request_id, note, moment))

    def human(d: dict[str, Any]) -> None:
        console.print(f"{d['id']} renewed ({d['renewals']} renewal(s)).", highlight=False)
        _print_deadlines(d["deadlines"])

    emit(data, as_json, human)


@request_app.command("due")
def due_cmd(
    ctx: typer.Context,
    within: str = typer.Option("14d", "--within", help="How far ahead: 14d, 2w."),
    as_json: bool = JsonOption,
) -> None:
    """What falls due: preservations lapsing and MLA requests they promised (overdue too)."""
    from comity.legal.deadlines import due, parse_window
    from comity.legal.kb_services import current_kb

    days = parse_window(within)
    st = state(ctx)
    with acting(st) as (session, actor):
        data = due(session, actor, current_kb(session), days)

    def human(d: dict[str, Any]) -> None:
        if not d["deadlines"]:
            console.print(
                f"Nothing falls due in the {d['within_days']} days from {d['today']}.",
                highlight=False,
            )
            return
        console.print(f"Due within {d['within_days']} days of {d['today']}:", highlight=False)
        _print_deadlines(d["deadlines"])

    emit(data, as_json, human)


@request_app.command("stats")
def stats_cmd(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Figures from the data: pending requests by country and age, median days to an answer."""
    from comity.legal.kb_services import current_kb
    from comity.legal.lifecycle import stats

    st = state(ctx)
    with acting(st) as (session, actor):
        data = stats(session, actor, current_kb(session))

    def human(d: dict[str, Any]) -> None:
        pending = d["pending"]
        ages = list(pending["by_age"])
        table = Table("country", "pending", *ages, title=f"pending requests ({pending['total']})")
        for code, count in pending["by_country"].items():
            row = pending["by_country_and_age"][code]
            name = f"{code} {d['countries'].get(code, '')}".strip()
            table.add_row(escape(name), str(count), *(str(row[a]) for a in ages))
        console.print(table)
        if not d["answered"]:
            console.print("time to an answer: no request has been answered yet")
            return
        answers = Table("country", "answered", "median days", title="time to an answer")
        for code, a in d["answered"].items():
            name = f"{code} {d['countries'].get(code, '')}".strip()
            answers.add_row(escape(name), str(a["count"]), f"{a['median_days']:g}")
        console.print(answers)

    emit(data, as_json, human)


def _add_exchange_commands() -> None:
    """``export``, ``import`` and ``status-export``: requests between nodes as signed files."""
    from comity.legal.cli_exchange import export_cmd, import_cmd, status_export_cmd

    request_app.command("export")(export_cmd)
    request_app.command("import")(import_cmd)
    request_app.command("status-export")(status_export_cmd)


_add_exchange_commands()
