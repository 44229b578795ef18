"""Notifications: moderators and readers hear about comments, and nothing is lost.

Posting a comment or deciding one writes an event row in the same transaction
(``outbox``); the worker (``commentsvc worker``, or the one ``serve`` starts) turns
each event into deliveries, one per recipient, and delivers them at least once:
mail (``mail``), webhooks (``webhooks``), with retries and backoff (``delivery``).
Links in mails are signed (``links``); readers' opt-in lives in ``subscriptions``.
"""
