"""omni-tui: one terminal inbox for email, SMS and chat, with each customer's whole history."""

__version__ = "0.1.0"
