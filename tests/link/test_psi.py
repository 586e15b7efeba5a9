"""The PSI protocol wrapper: what the requester finds is exactly the intersection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comity.link import psi

items = st.sets(st.text(min_size=1, max_size=12), max_size=25)


@settings(max_examples=40, deadline=None)
@given(items, items)
def test_the_requester_finds_exactly_the_intersection(mine: set[str], theirs: set[str]) -> None:
    secret, requests = psi.start(sorted(mine))
    assert psi.request_size(requests) == len(mine)
    answer = psi.respond(requests, sorted(theirs))
    assert set(psi.finish(secret, answer)) == mine & theirs


def test_chunks_spread_over_processes_give_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(psi, "CHUNK", 100)
    mine = [f"phone-number\t+91987650{i:04d}" for i in range(350)]
    theirs = [f"phone-number\t+91987650{i:04d}" for i in range(300, 700)]
    secret, requests = psi.start(mine, workers=2)
    assert len(requests) == 4
    answer = psi.respond(requests, theirs, workers=2)
    assert psi.finish(secret, answer, workers=2) == mine[300:]
    restored = psi.Secret.from_dict(secret.as_dict())
    assert psi.finish(restored, answer) == mine[300:]


def test_damaged_messages_are_refused() -> None:
    secret, requests = psi.start(["a", "b"])
    with pytest.raises(psi.MatchMessageError):
        psi.request_size([b"\x00\xffnot a request"])
    with pytest.raises(psi.MatchMessageError):
        psi.respond([b"\x00\xffnot a request"], ["a"])
    answer = psi.respond(requests, ["a"])
    with pytest.raises(psi.MatchMessageError, match="cannot be read"):
        psi.finish(secret, psi.Answer(b"\x00garbage", answer.responses))
    with pytest.raises(psi.MatchMessageError, match="parts"):
        psi.finish(secret, psi.Answer(answer.setup, answer.responses * 2))
    with pytest.raises(psi.MatchMessageError, match="base64"):
        psi.decode("not base64!")
