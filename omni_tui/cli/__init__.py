"""The ``omni-tui`` command line: every console action, scriptable, with ``--json``."""
