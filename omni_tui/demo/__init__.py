"""A deterministic demo data set: a small coffee roaster's support week."""

from __future__ import annotations

from omni_tui.demo.seed import DemoSummary, seed_demo

__all__ = ["DemoSummary", "seed_demo"]
