from omni_tui.tui.conversation.message_list import MessageList
from omni_tui.tui.conversation.view import ConversationView

__all__ = ["ConversationView", "MessageList"]
