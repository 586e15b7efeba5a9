"""Commands: ``comity legal …`` — the knowledge base, the route advisor and a case's plan.

    comity legal facts IN --with US
    comity legal route --from IN --to US --need content --json
    comity legal kb import statutes.json --note "IT Act texts"      # a legal officer
    comity legal kb revert
    comity legal need add CBI-2026-0001 --need content --in US --holder-name "Google LLC" \\
        --identifier email-addr:kyc.update.sbi@gmail.com
    comity legal plan CBI-2026-0001
    comity legal draft REQ-2026-0001 --out request.pdf      # checked against the checklist

Thin: options are parsed here; the work is done by :mod:`comity.legal.facts`,
:mod:`comity.legal.routes`, :mod:`comity.legal.kb_services` and :mod:`comity.legal.plan`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from comity.cli.common import JsonOption, acting, console, emit, state
from comity.legal.cli_draft import draft_cmd

legal_app = typer.Typer(
    name="legal",
    help="Legal cooperation: the knowledge base, the route advisor, a case's plan, drafts.",
    no_args_is_help=True,
)
kb_app = typer.Typer(
    help="The legal knowledge base: import, revert, versions.", no_args_is_help=True
)
need_app = typer.Typer(help="What a case needs abroad.", no_args_is_help=True)
legal_app.add_typer(kb_app, name="kb")
legal_app.add_typer(need_app, name="need")
legal_app.command("draft")(draft_cmd)

_STATUS_STYLE = {
    "verified": "green",
    "interpretation": "cyan",
    "unverified": "yellow",
    "conflict": "red",
}


def _status(status: str | None) -> str:
    if not status:
        return ""
    return f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _line(text: str, indent: int = 0) -> None:
    console.print(" " * indent + escape(text), highlight=False, soft_wrap=False)


def _print_facts(view: dict[str, Any]) -> None:
    title = view["country"]["name"] + f" ({view['country']['code']})"
    if view["with"]:
        title += f" and {view['with']['name']} ({view['with']['code']})"
    console.print(f"[bold]{escape(title)}[/bold]", highlight=False)
    for section in view["sections"]:
        console.print(f"\n[bold underline]{escape(section['title'])}[/]", highlight=False)
        if not section["facts"]:
            _line(section["note"], 2)
        for fact in section["facts"]:
            console.print(f"  • {escape(fact['text'])}", highlight=False)
            origin = "" if fact["origin"] == "package" else f"; from {fact['origin']}"
            console.print(
                f"    [dim]{escape(fact['source'])}; as of {escape(fact['as_of'])}{origin}[/] "
                + _status(fact["status"]),
                highlight=False,
            )
            for figure in fact.get("figures", []):
                console.print(
                    f"      [dim]{escape(str(figure['value']))} — {escape(figure['source'])} "
                    f"({escape(figure['as_of'])})[/]",
                    highlight=False,
                )
    counts = ", ".join(f"{n} {s}" for s, n in view["counts"].items())
    console.print(f"\n[dim]facts: {counts}[/]", highlight=False)


@legal_app.command("facts")
def facts_cmd(
    ctx: typer.Context,
    country: str = typer.Argument(..., help="ISO 3166-1 alpha-2 code (IN)."),
    other: str = typer.Option(None, "--with", help="A second country: what applies between."),
    section: list[str] = typer.Option(
        None, "--section", help="Only sections whose title has this word (treaties, law …)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """What the knowledge base holds for a country, or between two: each fact sourced."""
    from comity.legal.facts import facts_for
    from comity.legal.kb_services import current_kb

    with acting(state(ctx)) as (session, _actor):
        view = facts_for(current_kb(session), country, other, sections=section or None)
    emit(view, as_json, _print_facts)


def _print_route(route: dict[str, Any], number: int) -> None:
    console.print(
        f"\n[bold]{number}. {escape(route['name'])}[/bold] [dim]({route['class']}, "
        f"{route['mechanism']})[/] {_status(route['status'])}",
        highlight=False,
    )
    rows: list[tuple[str, str]] = [("channel", route["channel"])]
    expected = route["expected_days"]
    if expected:
        rows.append(
            (
                "expected",
                f"about {expected['typical']} days ({expected['note']}; "
                f"{expected['source']}) [{expected['status']}]",
            )
        )
    else:
        rows.append(("expected", route["expected_days_note"]))
    rows += [("legal basis", b) for b in route["legal_basis"]]
    rows += [("before", p) for p in route["preconditions"]]
    dual = route["dual_criminality"]
    if dual:
        required = {True: "required", False: "not required", None: "unknown"}[dual["required"]]
        rows.append(("dual criminality", f"{required}: {dual['basis']}"))
        offence = dual.get("offence")
        if offence:
            corresponding = ", ".join(offence["corresponding"]) or "none mapped"
            rows.append(("  offence", f"{offence['ref']} → {corresponding}"))
    rows += [("next", s) for s in route["next_steps"]]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        console.print(f"   [bold]{key.ljust(width)}[/bold]  {escape(value)}", highlight=False)


def _print_advice(advice: dict[str, Any]) -> None:
    console.print(f"[bold]{escape(advice['message'])}[/bold]", highlight=False)
    for number, route in enumerate(advice["routes"], 1):
        _print_route(route, number)
    if advice["excluded"]:
        console.print("\n[bold]Excluded[/bold]")
        for item in advice["excluded"]:
            _line(f"- {item['name']}: {item['reason']}", 2)
    if advice["undetermined"]:
        console.print("\n[bold]The knowledge base cannot tell[/bold]")
        for item in advice["undetermined"]:
            _line(f"- {item['name']}: {item['reason']}", 2)


@legal_app.command("route")
def route_cmd(
    ctx: typer.Context,
    from_: str = typer.Option(..., "--from", help="The requesting state (IN)."),
    to: str = typer.Option(..., "--to", help="Where the data, asset or person is (US)."),
    need: str = typer.Option(
        ...,
        "--need",
        help="subscriber, traffic, content, preservation, "
        "bank-records, testimony, search, freeze-assets, locate-person, "
        "arrest.",
    ),
    holder: str = typer.Option(
        None, "--holder", help="provider, bank, person or government (default: from the need)."
    ),
    urgency: str = typer.Option(
        "normal", "--urgency", help="normal or emergency (danger to life)."
    ),
    offence: str = typer.Option(
        None,
        "--offence",
        help="An offence, 'IN:IT Act 66D': shows the corresponding offences for dual criminality.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """The lawful routes to what is needed abroad, fastest first; excluded ones with the reason."""
    from comity.legal.kb_services import current_kb
    from comity.legal.routes import advise

    with acting(state(ctx)) as (session, _actor):
        advice = advise(
            current_kb(session), from_, to, need, holder=holder, urgency=urgency, offence=offence
        )
    emit(advice, as_json, _print_advice)


# -- knowledge base -----------------------------------------------------------------------------


def _print_version(v: dict[str, Any]) -> None:
    what = (
        f"reverts version {v['reverts']}" if v["action"] == "revert" else f"{v['entries']} entries"
    )
    console.print(
        f"version {v['version']}: {v['action']} of {escape(v['kind'])} ({escape(v['file'])}), "
        f"{what}, by {escape(v['by'])} at {v['at']}",
        highlight=False,
    )
    for key in ("added", "replaced"):
        if v.get(key):
            _line(f"{key}: {', '.join(v[key])}", 2)


@kb_app.command("import")
def kb_import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A knowledge-base file (JSON, see docs/legal.md)."),
    note: str = typer.Option("", "--note", help="Why (kept with the version)."),
    as_json: bool = JsonOption,
) -> None:
    """Add or correct facts: validated, recorded as a new version, audited."""
    from comity.legal.kb_services import import_file

    with acting(state(ctx)) as (session, actor):
        result = import_file(session, actor, file, note)
    emit(result, as_json, _print_version)


@kb_app.command("revert")
def kb_revert_cmd(
    ctx: typer.Context,
    version: int = typer.Argument(None, help="The version to undo (default: the latest import)."),
    note: str = typer.Option("", "--note", help="Why."),
    as_json: bool = JsonOption,
) -> None:
    """Undo an imported version (recorded as a new version; the history never shrinks)."""
    from comity.legal.kb_services import revert

    with acting(state(ctx)) as (session, actor):
        result = revert(session, actor, version, note)
    emit(result, as_json, _print_version)


@kb_app.command("versions")
def kb_versions_cmd(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """The knowledge base's versions, newest first."""
    from comity.legal.kb_services import versions

    with acting(state(ctx)) as (session, _actor):
        rows = versions(session)

    def human(items: list[dict[str, Any]]) -> None:
        if not items:
            console.print("no imported versions: the knowledge base is the package's")
            return
        table = Table("version", "action", "kind", "file", "entries", "by", "at", "in force")
        for column in table.columns:
            column.overflow = "fold"
        for v in items:
            table.add_row(
                str(v["version"]),
                v["action"],
                v["kind"],
                escape(v["file"]),
                str(v["entries"]) if v["action"] == "import" else f"undoes {v['reverts']}",
                escape(v["by"]),
                v["at"][:16].replace("T", " "),
                "yes" if v["active"] else "no",
            )
        console.print(table)

    emit(rows, as_json, human)


@kb_app.command("export")
def kb_export_cmd(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="The kind of file (offences, treaties …)."),
    out: Path = typer.Option(..., "--out", help="Where to write the file."),
    as_json: bool = JsonOption,
) -> None:
    """Write the entries of one kind as they stand, as a file to edit and import back."""
    from comity.core.files import write_atomic
    from comity.legal.errors import LegalInputError
    from comity.legal.kb_services import current_kb, export_kind

    if not out.parent.is_dir():
        raise LegalInputError(f"no folder {out.parent}", path=str(out))
    with acting(state(ctx)) as (session, _actor):
        document = export_kind(current_kb(session), kind)
    data = (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()
    write_atomic(out, data)
    result = {"kind": kind, "entries": len(document["entries"]), "file": str(out)}
    emit(
        result,
        as_json,
        lambda r: console.print(
            f"wrote {r['entries']} {escape(r['kind'])} entries to {escape(r['file'])}",
            highlight=False,
        ),
    )


# -- a case's needs and plan ----------------------------------------------------------------------


@need_app.command("add")
def need_add_cmd(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case reference or id."),
    need: str = typer.Option(..., "--need", help="What is needed (content, bank-records …)."),
    country: str = typer.Option(..., "--in", help="Where it is (ISO 3166-1 alpha-2)."),
    holder: str = typer.Option(None, "--holder", help="provider, bank, person or government."),
    holder_name: str = typer.Option("", "--holder-name", help="Who holds it (Google LLC)."),
    urgency: str = typer.Option("normal", "--urgency", help="normal or emergency."),
    description: str = typer.Option("", "--what", help="What exactly, in a sentence."),
    identifiers: list[str] = typer.Option(
        None, "--identifier", help="TYPE:VALUE (email-addr:x@example.com); repeatable."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Record something a case needs abroad (evidence, an asset, a person)."""
    from comity.legal.kb_services import current_kb
    from comity.legal.plan import add_need, need_summary

    with acting(state(ctx)) as (session, actor):
        row = add_need(
            session,
            actor,
            current_kb(session),
            case,
            need=need,
            country=country,
            holder=holder,
            holder_name=holder_name,
            urgency=urgency,
            description=description,
            identifiers=identifiers or [],
        )
        result = need_summary(row)
    emit(
        result,
        as_json,
        lambda d: console.print(
            f"need {d['number']}: {d['need']} in {d['country']} "
            f"({escape(d['holder_name'] or d['holder'])})",
            highlight=False,
        ),
    )


@need_app.command("list")
def need_list_cmd(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case reference or id."),
    as_json: bool = JsonOption,
) -> None:
    """The needs recorded for a case."""
    from comity.legal.plan import list_needs, need_summary

    with acting(state(ctx)) as (session, actor):
        rows = [need_summary(r) for r in list_needs(session, actor, case)]

    def human(items: list[dict[str, Any]]) -> None:
        table = Table("#", "need", "in", "holder", "urgency", "what", "identifiers")
        for n in items:
            table.add_row(
                str(n["number"]),
                n["need"],
                n["country"],
                escape(n["holder_name"] or n["holder"]),
                n["urgency"],
                escape(n["description"]),
                escape(", ".join(f"{i['type']}:{i['value']}" for i in n["identifiers"])),
            )
        console.print(table)

    emit(rows, as_json, human)


def _print_plan(plan: dict[str, Any]) -> None:
    from comity.legal.cli_plan import print_plan

    print_plan(plan)


@legal_app.command("plan")
def plan_cmd(
    ctx: typer.Context,
    case: str = typer.Argument(..., help="Case reference or id."),
    as_json: bool = JsonOption,
) -> None:
    """A case's plan: what to preserve today, ask providers and start, through whom."""
    from comity.legal.kb_services import current_kb
    from comity.legal.plan import case_plan

    with acting(state(ctx)) as (session, actor):
        plan = case_plan(session, actor, current_kb(session), case)
    emit(plan, as_json, _print_plan)
