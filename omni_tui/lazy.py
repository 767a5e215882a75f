"""Modules loaded on first use.

The console's first paint needs Textual and the store's plain-SQL readers; the
action and query modules pull in SQLModel and SQLAlchemy (about 0.4 s of
imports on a small machine), which load while the agent reads the inbox.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class Deferred(ModuleType):
    """Stands for a module that is imported when one of its names is first read.

    Every read goes to the real module (so a test's monkeypatch is seen), and the
    import is the interpreter's own, so a thread may import the module meanwhile.
    """

    def __getattr__(self, name: str) -> object:
        return getattr(importlib.import_module(self.__name__), name)


def deferred(name: str) -> ModuleType:
    return Deferred(name)
