"""The agent console (Textual).  It renders the store; it never talks to a provider."""
