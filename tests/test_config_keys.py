"""The config refuses what would fail later or be silently ignored: a huge number of
days that overflows every ingest, a ``[keys]`` id no binding of the console has."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

from omni_tui.config import parse_config
from omni_tui.config.keys import BINDING_IDS
from omni_tui.errors import ConfigError


def test_the_config_knows_exactly_the_consoles_binding_ids() -> None:
    from textual.binding import Binding
    from textual.dom import DOMNode

    import omni_tui.tui

    found: set[str] = set()
    for module in pkgutil.walk_packages(omni_tui.tui.__path__, "omni_tui.tui."):
        for value in vars(importlib.import_module(module.name)).values():
            if inspect.isclass(value) and issubclass(value, DOMNode):
                bindings = value.__dict__.get("BINDINGS", [])
                found |= {b.id for b in bindings if isinstance(b, Binding) and b.id}
    assert BINDING_IDS == found


def test_a_mistyped_key_binding_id_is_refused_with_the_id_it_meant() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config('[keys]\n"app.serach" = "f"\n')
    assert refused.value.key == "keys.app.serach"
    assert "did you mean 'app.search'?" in refused.value.fix


def test_a_known_key_binding_id_is_remapped() -> None:
    assert parse_config('[keys]\n"app.search" = "f"\n').keys == {"app.search": "f"}


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("conversation", "join_window_days"),
        ("sla", "warn_after_minutes"),
        ("sla", "breach_after_minutes"),
        ("outbox", "retry_after_seconds"),
        ("outbox", "max_attempts"),
        ("relay", "retention_days"),
        ("relay", "max_body_bytes"),
    ],
)
def test_a_number_too_big_to_mean_anything_is_refused_naming_the_range(
    section: str, key: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(f"[{section}]\n{key} = 1000000000000\n")
    assert refused.value.key == f"{section}.{key}"
    assert refused.value.fix.startswith("use a number from ")


def test_a_join_window_of_a_million_days_is_refused_before_any_ingest() -> None:
    with pytest.raises(ConfigError, match="join_window_days: 1000000 is out of range"):
        parse_config("[conversation]\njoin_window_days = 1000000\n")
