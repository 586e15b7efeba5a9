"""Commands: ``comity operation …`` — a fraud network turned into a joint operation.

    comity operation create --network N-000001 --agency FBI=America/New_York \\
        --at "2026-03-14T06:00+05:30" --title "Operation Chakra"
    comity operation target add OP-2026-0001 suspect --jurisdiction IN --name "Ravi Kumar"
    comity operation status OP-2026-0001 active
    comity operation outcome add OP-2026-0001 --kind funds_frozen --amount "2.45 lakh" \\
        --currency INR
    comity operation stats --year 2026

Thin: options are parsed here and the work is done by :mod:`comity.operations.services`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from comity.cli.common import JsonOption, acting, console, emit, state
from comity.operations.models import COUNT_KINDS, FUNDS_KINDS, STATUSES

operation_app = typer.Typer(
    name="operation",
    help="Joint operations: targets, a synchronized time, tasks, outcomes and their figures.",
    no_args_is_help=True,
)
agency_app = typer.Typer(help="Agencies taking part in an operation.", no_args_is_help=True)
target_app = typer.Typer(help="Targets of an operation, per jurisdiction.", no_args_is_help=True)
task_app = typer.Typer(help="Tasks of an operation.", no_args_is_help=True)
outcome_app = typer.Typer(help="Outcomes an agency reports.", no_args_is_help=True)
note_app = typer.Typer(help="Notes on an operation.", no_args_is_help=True)
operation_app.add_typer(agency_app, name="agency")
operation_app.add_typer(target_app, name="target")
operation_app.add_typer(task_app, name="task")
operation_app.add_typer(outcome_app, name="outcome")
operation_app.add_typer(note_app, name="note")

LABELS = {
    "arrests": "arrests",
    "searches": "searches",
    "devices_seized": "devices seized",
    "accounts_frozen": "accounts frozen",
    "victims_identified": "victims identified",
    "funds_frozen": "funds frozen",
    "funds_recovered": "funds recovered",
}


def _rows(rows: list[tuple[str, str]]) -> None:
    """Aligned key/value rows; values are printed as given (never read as markup)."""
    width = max((len(k) for k, _ in rows), default=0)
    for key, value in rows:
        console.print(f"[bold]{key.ljust(width)}[/bold]  {escape(value)}", highlight=False)


def _money(amount: str, currency: str) -> str:
    """``INR 2,45,000.00 (₹2.45 lakh)``; other currencies grouped in threes."""
    from comity.operations.money import format_inr, group_indian

    value = Decimal(amount)
    if currency == "INR":
        whole, _, fraction = amount.partition(".")
        grouped = group_indian(whole) + (f".{fraction}" if fraction else "")
        return f"INR {grouped} ({format_inr(value, 'auto')})"
    return f"{currency} {value:,}"


def _utc(moment: str | None) -> str:
    """``2026-03-14T00:30:00Z`` as ``2026-03-14 00:30 UTC``."""
    return f"{moment[:16].replace('T', ' ')} UTC" if moment else "-"


def _local(view: dict[str, Any]) -> str:
    """An agency's view of a time: ``2026-03-14 06:00 IST``."""
    return f"{view['time'][:16].replace('T', ' ')} {view['abbreviation']}"


def _funds(by_currency: dict[str, str]) -> str:
    return "; ".join(_money(a, c) for c, a in by_currency.items()) or "-"


def _totals_text(totals: dict[str, Any]) -> str:
    parts = [f"{LABELS[k]} {totals[k]}" for k in COUNT_KINDS if totals[k]]
    parts += [f"{LABELS[k]} {_funds(totals[k])}" for k in FUNDS_KINDS if totals[k]]
    return "; ".join(parts) or "-"


def _print_operation(d: dict[str, Any]) -> None:
    network = d["network"]
    now = network["status_now"]
    if network["merged_into"]:
        now = f"{now} into {network['merged_into']}"
    rows = [
        ("operation", d["id"]),
        ("title", d["title"]),
        ("status", d["status"] + (f" (next: {', '.join(d['next'])})" if d["next"] else "")),
        (
            "network",
            f"{network['id']} ({network['complaints_at_creation']} complaints when created; "
            f"now {now}, {network['complaints_now']})",
        ),
        (
            "agencies",
            ", ".join(f"{a['code']} ({a['role']}, {a['timezone']})" for a in d["agencies"]),
        ),
        ("planned", _utc(d["planned_at"]) if d["planned_at"] else "not set"),
    ]
    rows += [(f"  {p['agency']}", _local(p)) for p in d["planned_local"]]
    if d["executed_at"]:
        rows.append(("executed", _utc(d["executed_at"])))
        rows += [(f"  {p['agency']}", _local(p)) for p in d["executed_local"]]
    rows.append(("outcomes", _totals_text(d["totals"])))
    if d.get("summary"):
        rows.append(("summary", d["summary"]))
    _rows(rows)
    if "targets" not in d:
        return
    if d["targets"]:
        table = Table("#", "jurisdiction", "kind", "target", "source", title="targets")
        for t in d["targets"]:
            if t["kind"] == "identifier":
                what = f"{t['type']} {t['value']}"
            elif t["kind"] == "suspect":
                aliases = f" (alias {', '.join(t['aliases'])})" if t["aliases"] else ""
                what = f"{t['name']}{aliases}"
            else:
                what = f"{t['address']}, {t['city']}"
            table.add_row(
                f"T{t['number']}", t["jurisdiction"], t["kind"], escape(what), t["source"]
            )
        console.print(table)
    if d["tasks"]:
        table = Table("#", "done", "agency", "due", "task", title="tasks")
        for t in d["tasks"]:
            table.add_row(
                str(t["number"]),
                "yes" if t["done"] else "",
                t["agency"],
                t["due"] or "",
                escape(t["title"]),
            )
        console.print(table)
    if d["outcomes"]:
        noted = any(o["note"] for o in d["outcomes"])
        table = Table("#", "agency", "outcome", "figure", *(["note"] if noted else []))
        table.title = "outcomes"
        for o in d["outcomes"]:
            figure = (
                str(o["count"]) if o["count"] is not None else _money(o["amount"], o["currency"])
            )
            row = [str(o["number"]), o["agency"], LABELS[o["kind"]], figure]
            table.add_row(*row, *([escape(o["note"])] if noted else []))
        console.print(table)
    for n in d["notes"]:
        console.print(f"note {n['number']} by {escape(n['author'])}, {n['at']}:", highlight=False)
        console.print(f"  {escape(n['text'])}", highlight=False)


@operation_app.command("create")
def create_cmd(
    ctx: typer.Context,
    network: str = typer.Option(..., "--network", help="The fraud network (comity link networks)."),
    title: str = typer.Option(None, "--title", help="Default: 'Operation against network …'."),
    summary: str = typer.Option("", "--summary"),
    agency: list[str] = typer.Option(
        [], "--agency", help="A peer taking part: CODE or CODE=IANA-ZONE; repeat."
    ),
    at: str = typer.Option(
        None, "--at", help="Synchronized time with its offset: 2026-03-14T06:00+05:30."
    ),
    zone: str = typer.Option(
        None, "--zone", help="Read --at in this IANA zone, or an agency's (--zone FBI)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Turn a fraud network into a joint operation; its identifiers become the first targets."""
    from comity.operations.services import create_operation, operation_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        operation = create_operation(
            session,
            actor,
            st.settings,
            network_id=network,
            title=title,
            summary=summary,
            agencies=agency,
            planned_at=at,
            zone=zone,
        )
        data = operation_summary(operation)

    def human(d: dict[str, Any]) -> None:
        console.print(
            f"Created operation [bold]{d['id']}[/bold] from network {d['network']['id']} "
            f"({len(d['targets'])} targets).",
            highlight=False,
        )
        _print_operation(d)

    emit(data, as_json, human)


@operation_app.command("list")
def list_cmd(
    ctx: typer.Context,
    status: str = typer.Option(None, "--status", help=f"Only this status: {', '.join(STATUSES)}."),
    network: str = typer.Option(None, "--network", help="Only operations from this network."),
    as_json: bool = JsonOption,
) -> None:
    """List operations, newest first."""
    from comity.operations.services import list_operations, operation_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        found = list_operations(session, actor, status=status, network_id=network)
        data = {"operations": [operation_summary(o, full=False) for o in found]}

    def human(d: dict[str, Any]) -> None:
        table = Table("operation", "status", "title", "network", "agencies", "planned")
        for o in d["operations"]:
            table.add_row(
                o["id"],
                o["status"],
                escape(o["title"]),
                o["network"]["id"],
                ", ".join(a["code"] for a in o["agencies"]),
                _utc(o["planned_at"]),
            )
        console.print(table)

    emit(data, as_json, human)


@operation_app.command("show")
def show_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    as_json: bool = JsonOption,
) -> None:
    """Show an operation: agencies, planned time in each agency's zone, targets, tasks,
    outcomes, notes, history."""
    from comity.operations.services import get_operation, operation_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        data = operation_summary(get_operation(session, actor, operation))
    emit(data, as_json, _print_operation)


@operation_app.command("status")
def status_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    status: str = typer.Argument(..., help=f"One of: {', '.join(STATUSES)}."),
    at: str = typer.Option(
        None, "--at", help="For executed: when it was carried out (default: now), with offset."
    ),
    zone: str = typer.Option(None, "--zone", help="Read --at in this IANA zone or agency's."),
    reason: str = typer.Option("", "--reason", help="Why (kept in the history)."),
    as_json: bool = JsonOption,
) -> None:
    """Change an operation's status: planned → active → executed → closed, or cancelled."""
    from comity.operations.services import change_status, operation_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        changed = change_status(session, actor, operation, status, at=at, zone=zone, reason=reason)
        data = operation_summary(changed)
    emit(
        data,
        as_json,
        lambda d: console.print(f"{d['id']} is now {d['status']}.", highlight=False),
    )


@operation_app.command("schedule")
def schedule_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    at: str = typer.Argument(..., help="2026-03-14T06:00+05:30, or a local time with --zone."),
    zone: str = typer.Option(None, "--zone", help="IANA zone, or an agency's code (FBI)."),
    as_json: bool = JsonOption,
) -> None:
    """Set the synchronized time; it is shown in every agency's time zone."""
    from comity.operations.services import operation_summary, schedule

    st = state(ctx)
    with acting(st) as (session, actor):
        data = operation_summary(schedule(session, actor, operation, at, zone=zone))

    def human(d: dict[str, Any]) -> None:
        _rows(
            [("planned", _utc(d["planned_at"]))]
            + [(f"  {p['agency']}", _local(p)) for p in d["planned_local"]]
        )

    emit(data, as_json, human)


@agency_app.command("add")
def agency_add_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    agencies: list[str] = typer.Argument(
        ..., metavar="CODE[=ZONE]...", help="e.g. FBI=America/New_York."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Add peer agencies to an operation (each with its time zone where its country has
    several)."""
    from comity.operations.services import add_agencies, operation_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        data = operation_summary(add_agencies(session, actor, operation, agencies))
    emit(
        data,
        as_json,
        lambda d: _rows(
            [("agencies", ", ".join(f"{a['code']} ({a['timezone']})" for a in d["agencies"]))]
        ),
    )


@target_app.command("add")
def target_add_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    kind: str = typer.Argument(..., help="identifier, suspect or premises."),
    jurisdiction: str = typer.Option(..., "--jurisdiction", help="ISO 3166 code: IN, US…"),
    obs_type: str = typer.Option(None, "--type", help="identifier: phone-number, upi-id…"),
    value: str = typer.Option(None, "--value", help="identifier: as written; it is normalized."),
    name: str = typer.Option(None, "--name", help="suspect: name."),
    alias: list[str] = typer.Option([], "--alias", help="suspect: an alias; repeat."),
    address: str = typer.Option(None, "--address", help="premises: address."),
    city: str = typer.Option(None, "--city", help="premises: city."),
    as_json: bool = JsonOption,
) -> None:
    """Add a target in one jurisdiction: an identifier, a suspect or premises."""
    from comity.operations.services import add_target, target_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        target = add_target(
            session,
            actor,
            operation,
            kind,
            jurisdiction,
            obs_type=obs_type,
            value=value,
            name=name,
            aliases=alias,
            address=address,
            city=city,
        )
        data = target_summary(target)
    emit(
        data,
        as_json,
        lambda d: console.print(
            f"Added target T{d['number']} ({d['kind']}, {d['jurisdiction']}).", highlight=False
        ),
    )


@task_app.command("add")
def task_add_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    title: str = typer.Option(..., "--title"),
    agency: str = typer.Option(None, "--agency", help="Assignee agency (default: this node's)."),
    due: str = typer.Option(None, "--due", help="Due date: 2026-03-20."),
    as_json: bool = JsonOption,
) -> None:
    """Add a task for one of the operation's agencies."""
    from comity.operations.services import add_task, task_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        data = task_summary(add_task(session, actor, operation, title, agency=agency, due=due))
    emit(
        data,
        as_json,
        lambda d: console.print(f"Added task {d['number']} for {d['agency']}.", highlight=False),
    )


@task_app.command("done")
def task_done_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    number: int = typer.Argument(..., help="The task's number."),
    as_json: bool = JsonOption,
) -> None:
    """Mark a task done."""
    from comity.operations.services import complete_task, task_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        data = task_summary(complete_task(session, actor, operation, number))
    emit(
        data,
        as_json,
        lambda d: console.print(f"Task {d['number']} is done.", highlight=False),
    )


@outcome_app.command("add")
def outcome_add_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    kind: str = typer.Option(
        ...,
        "--kind",
        help="arrests, searches, devices_seized, accounts_frozen, "
        "victims_identified, funds_frozen, funds_recovered.",
    ),
    agency: str = typer.Option(None, "--agency", help="Reporting agency (default: this node's)."),
    count: int = typer.Option(None, "--count", help="For counts: how many."),
    amount: str = typer.Option(
        None, "--amount", help="For funds: 245000.50, 2,45,000 or '2.45 lakh'."
    ),
    currency: str = typer.Option(None, "--currency", help="For funds: ISO 4217 code (INR, USD)."),
    note: str = typer.Option("", "--note"),
    as_json: bool = JsonOption,
) -> None:
    """Record an outcome for one agency of the operation."""
    from comity.operations.services import add_outcome, outcome_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        outcome = add_outcome(
            session,
            actor,
            operation,
            kind=kind,
            agency=agency,
            count=count,
            amount=amount,
            currency=currency,
            note=note,
        )
        data = outcome_summary(outcome)

    def human(d: dict[str, Any]) -> None:
        figure = str(d["count"]) if d["count"] is not None else _money(d["amount"], d["currency"])
        console.print(
            f"Recorded outcome {d['number']}: {d['agency']} {LABELS[d['kind']]} {figure}.",
            highlight=False,
        )

    emit(data, as_json, human)


@note_app.command("add")
def note_add_cmd(
    ctx: typer.Context,
    operation: str = typer.Argument(..., metavar="OPERATION_ID"),
    text: str = typer.Argument(..., help="The note."),
    as_json: bool = JsonOption,
) -> None:
    """Add a note to an operation."""
    from comity.operations.services import add_note, note_summary

    st = state(ctx)
    with acting(st) as (session, actor):
        data = note_summary(add_note(session, actor, operation, text))
    emit(
        data,
        as_json,
        lambda d: console.print(f"Added note {d['number']} to {d['operation']}.", highlight=False),
    )


@operation_app.command("stats")
def stats_cmd(
    ctx: typer.Context,
    year: int = typer.Option(None, "--year", help="Only operations executed in this year."),
    agency: str = typer.Option(None, "--agency", help="Only operations this agency took part in."),
    as_json: bool = JsonOption,
) -> None:
    """Figures from the data: operations carried out, and the sums of their outcomes."""
    from comity.operations.services import operation_stats

    st = state(ctx)
    with acting(st) as (session, actor):
        data = operation_stats(session, actor, year=year, agency=agency)
    emit(data, as_json, _print_stats)


def _print_stats(d: dict[str, Any]) -> None:
    console.print(f"[bold]{escape(d['summary'])}[/bold]", highlight=False)
    by_status = ", ".join(f"{s} {n}" for s, n in d["by_status"].items())
    rows = [
        ("operations", f"{d['operations']}" + (f" ({by_status})" if by_status else "")),
        ("joint", str(d["joint_operations"])),
    ]
    rows += [(LABELS[k], str(d["outcomes"][k])) for k in COUNT_KINDS]
    rows += [(LABELS[k], _funds(d["outcomes"][k])) for k in FUNDS_KINDS]
    _rows(rows)
    if d["by_agency"]:
        console.print("[bold]by agency[/bold]")
        _rows([(f"  {code}", _totals_text(totals)) for code, totals in d["by_agency"].items()])
    now = ", ".join(f"{s} {n}" for s, n in d["status_now"].items() if n)
    console.print(
        f"counted by year of execution ({d['timezone']}); all operations now: {now or 'none'}",
        highlight=False,
    )
