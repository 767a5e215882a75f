import sys

from omni_tui.cli.main import main

sys.exit(main())
