from omni_tui.tui.conversation.view import ConversationView, MessageCard

__all__ = ["ConversationView", "MessageCard"]
