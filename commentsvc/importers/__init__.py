"""Bringing comments in (and out): the JSON Lines transfer and other systems' exports."""
