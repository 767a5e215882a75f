"""Chat through omni-tui's webhook relay: web widget visitors, Telegram, and any
service posting our generic chat schema."""
