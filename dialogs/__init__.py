"""The conversation the hotline holds, over a channel interface (no sockets, no SQL)."""
