"""``omni-tui relay``: the server that takes webhooks for a team's consoles.

A console on an agent's terminal cannot be reached from the internet. The relay
runs on the team's server, commits every accepted webhook to its own SQLite log
before answering 2xx, and lets consoles pull the log (long-poll or SSE) and post
replies. It also serves the web chat widget.
"""
