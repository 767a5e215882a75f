"""One TOML table under validation: typed reads whose every error is one line.

An error names the file and the key as ``prefix.key`` (``accounts[0].imap_port``),
says what is wrong and how to fix it. ``parse`` describes omni-tui's config with it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from omni_tui.errors import ConfigError

KINDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    str: "a string",
    list: "an array",
    dict: "a table",
}  # tomllib's types; anything else is a date/time


def kind_of(value: object) -> str:
    return KINDS.get(type(value), "a date/time")


def show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class Table:
    """One TOML table under validation; its errors name ``file: prefix.key``."""

    def __init__(
        self,
        file: str,
        prefix: str,
        data: object,
        base: Path | None,
        sections: Mapping[str, tuple[str, ...] | None] | None = None,
    ) -> None:
        if not isinstance(data, dict):
            raise ConfigError(
                file,
                prefix,
                f"expected a table, got {kind_of(data)}",
                "write it as a [table] of key = value lines",
            )
        self.file, self.prefix, self.data, self.base = file, prefix, data, base
        #: the keys each [section] below this table takes (None: any)
        self.sections = sections or {}

    def error(self, key: str, problem: str, fix: str) -> ConfigError:
        key = key if key.isprintable() and key else repr(key)
        return ConfigError(self.file, f"{self.prefix}.{key}" if self.prefix else key, problem, fix)

    def only(
        self, allowed: tuple[str, ...], what: str, elsewhere: dict[str, str] | None = None
    ) -> None:
        for key in self.data:
            if key in allowed:
                continue
            if elsewhere and key in elsewhere:
                raise self.error(
                    key,
                    f"{key!r} is only for {elsewhere[key]}",
                    "remove it, or fix this account's channel or provider",
                )
            close = difflib.get_close_matches(key, allowed, n=1)
            fix = (
                f"did you mean {close[0]!r}?"
                if close
                else f"remove it; {what} take {', '.join(allowed) or 'nothing else'}"
            )
            raise self.error(key, f"unknown key {show(key)}", fix)

    def get(
        self,
        key: str,
        kind: type,
        default: Any = None,
        *,
        required: bool = False,
        example: str = '"..."',
    ) -> Any:
        if key not in self.data:
            if required:
                raise self.error(key, "missing required key", f"add {key} = {example}")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(
                key,
                f"expected {KINDS[kind]}, got {kind_of(value)} {show(value)}",
                f"write it like {key} = {example}",
            )
        if kind is str and not value.strip():
            raise self.error(key, "is empty", f"write it like {key} = {example}, or remove it")
        return value

    def text(self, key: str, default: str | None = None, **kw: Any) -> Any:
        return self.get(key, str, default, **kw)

    def integer(self, key: str, default: int, lo: int, hi: int) -> int:
        """Every integer has both bounds: a huge one passes TOML and overflows later."""
        value = self.get(key, int, default, example=str(default))
        if not lo <= value <= hi:
            raise self.error(key, f"{value} is out of range", f"use a number from {lo} to {hi}")
        return value

    def choice(
        self,
        key: str,
        options: tuple[str, ...],
        default: str | None = None,
        *,
        required: bool = False,
    ) -> Any:
        value = self.text(key, default, required=required, example=f'"{options[0]}"')
        if value is not None and value not in options:
            raise self.error(
                key, f"unknown {key} {show(value)}", f"use one of {', '.join(options)}"
            )
        return value

    def names(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(key, list, default, example='["INBOX"]')
        if not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(key, "must be a non-empty list of names", f'write {key} = ["INBOX"]')
        return tuple(value)

    def secret(self, key: str) -> dict[str, Any]:
        """``key`` and ``key_command`` (a non-empty string or argv list), at most one set."""
        literal, command = self.text(key), self.data.get(f"{key}_command")
        if isinstance(command, list) and command and all(isinstance(a, str) for a in command):
            command = tuple(command)
        elif command is not None and not (isinstance(command, str) and command.strip()):
            raise self.error(
                f"{key}_command",
                f"expected a command, got {show(command)}",
                f'write {key}_command = "pass show x" or ["pass", "show", "x"]',
            )
        if literal is not None and command is not None:
            raise self.error(
                f"{key}_command", f"both {key} and {key}_command are set", "keep only one of them"
            )
        return {key: literal, f"{key}_command": command}

    def path(self, key: str) -> Path | None:
        value = self.text(key, example='"~/some/file"')
        path = None if value is None else Path(value).expanduser()
        return path if path is None or path.is_absolute() or not self.base else self.base / path

    def url(self, key: str, schemes: tuple[str, ...], default: str | None = None) -> Any:
        value = self.text(key, default, required=default is None, example='"https://…"')
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.netloc:
            raise self.error(
                key,
                f"{show(value)} is not a URL",
                f"write a full URL starting with {' or '.join(schemes)}://",
            )
        return value

    def section(self, key: str) -> Table:
        table = Table(self.file, key, self.data.get(key, {}), self.base)
        if (allowed := self.sections.get(key)) is not None:
            table.only(allowed, f"[{key}] tables")
        return table

    def tables(self, key: str) -> list[Table]:
        items = self.data.get(key, [])
        if not isinstance(items, list):
            raise self.error(
                key,
                f"expected [[{key}]] tables, got {kind_of(items)}",
                f"write each entry as its own [[{key}]] table",
            )
        return [Table(self.file, f"{key}[{i}]", item, self.base) for i, item in enumerate(items)]
