from omni_tui.tui.inbox.list import InboxList
from omni_tui.tui.inbox.views import InboxView, default_views

__all__ = ["InboxList", "InboxView", "default_views"]
