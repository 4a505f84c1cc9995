"""P-Mode files: what they allow, and what they refuse to load (with where it is wrong)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from singlewindow.exchange.errors import InvalidProcessingMode
from singlewindow.exchange.pmode import Leg, ProcessingModes

ACDD = {"service": "urn:asw:pre-arrival", "action": "ACDD"}


def paths(exc: pytest.ExceptionInfo[InvalidProcessingMode]) -> set[str]:
    return {problem.path for problem in exc.value.problems}


def test_legs_allowed_in_each_direction() -> None:
    modes = ProcessingModes.from_dict(
        {
            "partners": {
                "KH-CUSTOMS": {
                    "send": [ACDD],
                    "receive": [
                        {"service": "urn:asw:origin", "action": "FormD", "service_type": "t"},
                        {"service": "urn:asw:pre-arrival", "action": "ACDD"},
                    ],
                }
            }
        }
    )
    kh = modes.partner("KH-CUSTOMS")
    assert kh is not None
    assert kh.encrypt is True  # the default
    assert kh.may_send_to_them("urn:asw:pre-arrival", "ACDD")
    assert not kh.may_send_to_them("urn:asw:origin", "FormD")  # receive-only leg
    assert kh.send_leg("urn:asw:pre-arrival", "ACDD") == Leg("urn:asw:pre-arrival", "ACDD")
    assert kh.send_leg("urn:asw:pre-arrival", "Other") is None
    # A leg naming a service type requires that type; one without accepts any.
    assert kh.may_receive_from_them("urn:asw:origin", "FormD", "t")
    assert not kh.may_receive_from_them("urn:asw:origin", "FormD", "other")
    assert not kh.may_receive_from_them("urn:asw:origin", "FormD")
    assert kh.may_receive_from_them("urn:asw:pre-arrival", "ACDD", "anything")
    assert not kh.may_receive_from_them("urn:asw:pre-arrival", "FormD")
    assert modes.partner("TH-CUSTOMS") is None


def test_defaults_and_values() -> None:
    modes = ProcessingModes.from_dict(
        {
            "replay_window_seconds": 60,
            "retry": {"first_delay_seconds": 0.5, "max_delay_seconds": 30, "max_attempts": 7},
            "partners": {"VN-CUSTOMS": {"encrypt": False, "endpoint": "https://vn/as4"}},
        }
    )
    assert modes.replay_window == timedelta(seconds=60)
    assert modes.retry.first_delay == timedelta(seconds=0.5)
    assert modes.retry.max_delay == timedelta(seconds=30)
    assert modes.retry.max_attempts == 7
    vn = modes.partner("VN-CUSTOMS")
    assert vn is not None and vn.encrypt is False and vn.endpoint == "https://vn/as4"
    assert vn.send == () and vn.receive == ()
    empty = ProcessingModes.from_dict({})
    assert empty.partners == {} and empty.replay_window == timedelta(minutes=15)


def test_parse_errors_name_their_paths() -> None:
    with pytest.raises(InvalidProcessingMode) as exc:
        ProcessingModes.from_dict(
            {
                "replay_window_seconds": 0,
                "retry": {"max_attempts": 0},
                "partners": {
                    "KH-CUSTOMS": {
                        "encrypt": "yes",
                        "send": [{"service": "urn:asw:pre-arrival"}, ACDD],
                        "receive": [{"action": "ACDD"}],
                    },
                    "TH-CUSTOMS": "not an object",
                },
            }
        )
    assert paths(exc) == {
        "replay_window_seconds",
        "retry.max_attempts",
        "partners.KH-CUSTOMS.encrypt",
        "partners.KH-CUSTOMS.send.0",
        "partners.KH-CUSTOMS.receive.0",
        "partners.TH-CUSTOMS",
    }


def test_legs_must_be_a_list() -> None:
    with pytest.raises(InvalidProcessingMode) as exc:
        ProcessingModes.from_dict({"partners": {"KH-CUSTOMS": {"send": "ACDD"}}})
    assert paths(exc) == {"partners.KH-CUSTOMS.send.0"}


def test_partners_must_be_a_mapping() -> None:
    with pytest.raises(InvalidProcessingMode) as exc:
        ProcessingModes.from_dict({"partners": ["KH-CUSTOMS"]})
    assert paths(exc) == {"partners"}


def test_retry_values_must_be_numbers() -> None:
    with pytest.raises(InvalidProcessingMode) as exc:
        ProcessingModes.from_dict({"retry": {"first_delay_seconds": "soon"}})
    assert paths(exc) == {"retry"}


def test_load_json_and_toml(tmp_path: Path) -> None:
    data = {"replay_window_seconds": 300, "partners": {"KH-CUSTOMS": {"send": [ACDD]}}}
    (tmp_path / "pmode.json").write_text(json.dumps(data))
    (tmp_path / "pmode.toml").write_text(
        "replay_window_seconds = 300\n"
        "[partners.KH-CUSTOMS]\n"
        'send = [{service = "urn:asw:pre-arrival", action = "ACDD"}]\n'
    )
    for name in ("pmode.json", "pmode.toml"):
        modes = ProcessingModes.load(tmp_path / name)
        kh = modes.partner("KH-CUSTOMS")
        assert modes.replay_window == timedelta(seconds=300)
        assert kh is not None and kh.may_send_to_them("urn:asw:pre-arrival", "ACDD")
