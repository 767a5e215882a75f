"""Reports: volume, response and resolution times, reopens, backlog, channel switches.

Computed from the store's conversations, messages and event log; shared by the
console's reports screen and ``omni-tui stats``. Imports without Textual.
"""

from __future__ import annotations

from omni_tui.reports.metrics import build_report, case_groups
from omni_tui.reports.model import (
    AGE_BUCKETS,
    GROUPINGS,
    Backlog,
    Durations,
    Group,
    Report,
    ReportQuery,
    SwitchPair,
    VolumeRow,
)
from omni_tui.reports.shape import CSV_COLUMNS, report_csv, report_json

__all__ = [
    "AGE_BUCKETS",
    "CSV_COLUMNS",
    "GROUPINGS",
    "Backlog",
    "Durations",
    "Group",
    "Report",
    "ReportQuery",
    "SwitchPair",
    "VolumeRow",
    "build_report",
    "case_groups",
    "report_csv",
    "report_json",
]
