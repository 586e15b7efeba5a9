"""The human form of ``comity legal plan``: today's preservation, direct asks, requests to start.

print_plan(case_plan(session, actor, kb, "CBI-2026-0001"))
"""

from __future__ import annotations

from typing import Any

from rich.markup import escape

from comity.cli.common import console


def _p(text: str, indent: int = 0, style: str = "") -> None:
    body = escape(text)
    console.print(" " * indent + (f"[{style}]{body}[/]" if style else body), highlight=False)


def _step(step: dict[str, Any]) -> None:
    ids = f" — {', '.join(step['identifiers'])}" if step["identifiers"] else ""
    numbers = ", ".join(str(n) for n in step.get("needs", [step["need"]]))
    label = "needs" if "," in numbers else "need"
    _p(f"• {label} {numbers}: {step['what']} in {step['country']} from {step['holder']}{ids}", 2)
    _p(f"{step['name']} [{step['status']}]", 4, "bold")
    _p(f"through {step['channel']}", 4)
    for basis in step["legal_basis"]:
        _p(f"basis: {basis}", 4, "dim")
    for pre in step["preconditions"]:
        _p(f"before: {pre}", 4)


def print_plan(plan: dict[str, Any]) -> None:
    """Print a case plan for a person: the order in which to act."""
    console.print(
        f"[bold]Plan for case {escape(plan['case'])}[/bold] (requests from {plan['from']})",
        highlight=False,
    )
    if plan["message"]:
        _p(plan["message"], 2)
        return
    actions = plan["actions"]
    sections = (
        ("Preserve today", actions["preserve_today"]),
        ("Ask providers directly", actions["ask_providers"]),
        ("Police-to-police channels", actions["police_channels"]),
    )
    for title, steps in sections:
        console.print(f"\n[bold underline]{title}[/]")
        if not steps:
            _p("nothing", 2, "dim")
        for step in steps:
            _step(step)
    console.print("\n[bold underline]Requests to start[/]")
    if not actions["start_requests"]:
        _p("none", 2, "dim")
    for group in actions["start_requests"]:
        fallback = " (if the direct routes fail)" if group["fallback_only"] else ""
        _p(
            f"• {group['name']} to {group['country_name']} ({group['country']}){fallback} "
            f"[{group['status']}]",
            2,
            "bold",
        )
        _p(f"kind: {group['request_kind']}; through {group['through']}", 4)
        expected = group["expected_days"]
        _p(
            "expected: "
            + (
                f"about {expected['typical']} days ({expected['source']}) [{expected['status']}]"
                if expected
                else "no sourced duration"
            ),
            4,
        )
        for need in group["needs"]:
            ids = f" — {', '.join(need['identifiers'])}" if need["identifiers"] else ""
            _p(f"for need {need['need']}: {need['what']} from {need['holder']}{ids}", 4)
        for basis in group["legal_basis"]:
            _p(f"basis: {basis}", 4, "dim")
        for pre in group["preconditions"]:
            _p(f"before: {pre}", 4)
        if group["must_contain"]:
            _p(f"must contain: {'; '.join(group['must_contain'])}", 4)
    if actions["unknown"]:
        console.print("\n[bold underline]The knowledge base cannot tell[/]")
        for item in actions["unknown"]:
            _p(f"• need {item['need']}: {item['what']} in {item['country']}: {item['message']}", 2)
            for reason in item["reasons"]:
                _p(reason, 4, "dim")
