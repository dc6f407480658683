"""The prompt catalogue: every Russian sentence the robot speaks (dialogs issue fills it)."""

from __future__ import annotations


def static_texts() -> list[str]:
    """Every fixed prompt, for `hotline prompts build` to pre-render."""
    return []
