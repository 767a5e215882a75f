from omni_tui.tui.inbox.list import InboxList, InboxView, default_views

__all__ = ["InboxList", "InboxView", "default_views"]
