"""What a peer's HTTP status means to the caller: refused (exit 2) or try later (exit 3)."""

from __future__ import annotations

import httpx
import pytest

from comity.federation.peer_http import REFUSED, raise_for_status
from comity.taxii.errors import PeerAnswerInvalid, PeerRefused, PeerUnreachable


def answer(status: int) -> httpx.Response:
    return httpx.Response(status, request=httpx.Request("GET", "https://peer.example/x"))


@pytest.mark.parametrize(
    ("status", "error", "exit_code"),
    [
        (401, PeerRefused, 2),
        (403, PeerRefused, 2),
        (404, PeerRefused, 2),
        (429, PeerUnreachable, 3),
        (503, PeerUnreachable, 3),
        (400, PeerAnswerInvalid, 3),
        (302, PeerAnswerInvalid, 3),
    ],
)
def test_a_status_becomes_the_peer_error_it_means(
    status: int, error: type[Exception], exit_code: int
) -> None:
    with pytest.raises(error) as raised:
        raise_for_status(answer(status), f"the peer answered {status}")
    assert type(raised.value) is error
    assert raised.value.exit_code == exit_code  # type: ignore[attr-defined]
    assert raised.value.data["status"] == status  # type: ignore[attr-defined]


def test_a_caller_may_count_more_statuses_as_refusals() -> None:
    raise_for_status(answer(200), "fine")
    with pytest.raises(PeerRefused):
        raise_for_status(answer(400), "the match was refused", refused=REFUSED | {400})
