from __future__ import annotations

import subprocess
import sys


def test_core_and_cli_listing_import_without_textual() -> None:
    code = (
        "import sys\n"
        "import adapters, omni_tui.store, omni_tui.ingest, omni_tui.identity, omni_tui.queries\n"
        "import omni_tui.customers, omni_tui.outbox, omni_tui.transfer, omni_tui.config\n"
        "import omni_tui.cli.main, omni_tui.cli.commands\n"
        "assert 'textual' not in sys.modules, 'textual imported by the core'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_adapters_never_import_the_store_or_the_console() -> None:
    code = (
        "import sys, adapters\n"
        "bad = [m for m in sys.modules if m.startswith(('omni_tui', 'textual', 'sqlmodel'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
