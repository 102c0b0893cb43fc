"""dd.claim: a verdict line, an error for a false claim, and the record mode."""

from __future__ import annotations

import numpy as np
import pytest

import dd_lib as dd


def test_a_claim_that_holds_prints_its_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    dd.claim("two is larger than one", bool(np.float64(2) > 1))
    assert capsys.readouterr().out == "claim holds: two is larger than one\n"


def test_a_false_claim_stops_the_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DD_CLAIMS", raising=False)
    with pytest.raises(AssertionError, match="claim does not hold: one > two"):
        dd.claim("one > two", False)
    monkeypatch.setenv("DD_CLAIMS", "raise")
    with pytest.raises(AssertionError):
        dd.claim("one > two", np.bool_(False))


def test_record_mode_prints_a_false_claim_and_goes_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DD_CLAIMS", "record")
    dd.claim("one > two", False)
    dd.claim("two > one", True)
    out = capsys.readouterr().out.splitlines()
    assert out == ["claim does NOT hold: one > two", "claim holds: two > one"]


@pytest.mark.parametrize(
    ("statement", "holds", "mode", "message"),
    [
        ("", True, "raise", "non-empty string"),
        ("x", 1, "raise", "must be a boolean"),
        ("x", True, "ignore", "DD_CLAIMS must be 'raise' or 'record'"),
    ],
)
def test_bad_input_is_a_clear_value_error(
    monkeypatch: pytest.MonkeyPatch,
    statement: str,
    holds: bool,
    mode: str,
    message: str,
) -> None:
    monkeypatch.setenv("DD_CLAIMS", mode)
    with pytest.raises(ValueError, match=message):
        dd.claim(statement, holds)
