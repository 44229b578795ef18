"""Moderation: the Redis queue, the spam rules, moderators and their decisions."""
