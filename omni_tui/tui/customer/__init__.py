from omni_tui.tui.customer.panel import CustomerPanel, Timeline

__all__ = ["CustomerPanel", "Timeline"]
