"""Modal screens: pickers, prompts, help and search."""
