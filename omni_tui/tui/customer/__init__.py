from omni_tui.tui.customer.panel import CustomerPanel
from omni_tui.tui.customer.timeline import Timeline

__all__ = ["CustomerPanel", "Timeline"]
