"""The errors omni-tui reports to people, each with the exit code a script sees::

    OmniError (1)
     ├── ConfigError (1)     the config file is unreadable, invalid, or names a bad value
     ├── StoreError (1)      the store file is not ours, corrupt, or from a newer version
     │    └── StoreBusy (75)  another writer held the store past the wait: try again
     ├── NotFound (3)        a conversation, customer, identity or message id does not exist
     └── Refused (4)         the action is valid but not allowed now (opted out, conflict)

Usage errors (bad flags) exit with 2, as argparse does.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_REFUSED = 4
#: sysexits' EX_TEMPFAIL: the same command may well work in a moment
EXIT_BUSY = 75


class OmniError(Exception):
    """An error with a one-line message meant for the person at the terminal."""

    exit_code = EXIT_ERROR


class ConfigError(OmniError):
    def __init__(self, file: str, key: str | None, problem: str, fix: str) -> None:
        where = f"{file}: {key}" if key else file
        super().__init__(f"{where}: {problem} — {fix}")
        self.file, self.key, self.problem, self.fix = file, key, problem, fix


class StoreError(OmniError):
    pass


class StoreBusy(StoreError):
    """Another writer (a long import, a stuck process) kept the store locked: nothing
    is wrong with it, and a script should wait and run the command again."""

    exit_code = EXIT_BUSY


class NotFound(OmniError):
    exit_code = EXIT_NOT_FOUND

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind, self.key = kind, key


class Refused(OmniError):
    exit_code = EXIT_REFUSED
