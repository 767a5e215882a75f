"""Email: IMAP pull, SMTP replies, and the MIME in between."""

from __future__ import annotations
