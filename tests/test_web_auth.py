"""The token rule's pure parts: what counts as loopback, which tokens are refused, the cookie."""

from __future__ import annotations

import pytest

from lineage_engine.web.auth import TokenCheck, is_loopback, session_value, token_problem, without_token


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.1.2.3", True), ("::1", True),
                                                ("[::1]", True), ("localhost", True), ("0.0.0.0", False),
                                                ("::", False), ("10.0.0.5", False), ("example.internal", False)])
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert (token_problem(None, host) is None) is loopback


def test_tokens() -> None:
    token = "a-long-enough-token-0123"
    assert token_problem(token, "0.0.0.0") is None
    assert "shorter than 16" in str(token_problem("short", "127.0.0.1"))
    check = TokenCheck(token)
    assert check.bearer_ok(f"Bearer {token}") and check.bearer_ok(f"bearer {token}")
    assert not check.bearer_ok(f"Basic {token}") and not check.bearer_ok("Bearer nope") and not check.bearer_ok(None)
    assert check.cookie_ok(session_value(token)) and not check.cookie_ok(token)
    assert token not in session_value(token)
    assert not TokenCheck(None).enabled and not TokenCheck(None).token_ok(token)
    assert without_token("a=1&token=x&b=2") == "a=1&b=2"
