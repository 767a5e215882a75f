from omni_tui.tui.composer.composer import Composer, Target

__all__ = ["Composer", "Target"]
