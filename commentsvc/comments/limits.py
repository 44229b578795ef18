"""The size limits of what readers and moderators send, defined once.

The models' column lengths, the schemas that check input, the OpenAPI document
(generated from the schemas) and the widget's ``maxlength`` attributes
(``embed/embed.js``; a test compares them with these) all use these numbers.
"""

NAME_MAX = 100
EMAIL_MAX = 254
WEBSITE_MAX = 500
BODY_MAX = 10_000
URL_MAX = 2_000
# The threads.url column, set by the first migration: above URL_MAX, so that any
# accepted address fits once normalised.
URL_COLUMN_MAX = 2_048
MODERATOR_NAME_MAX = 100
# Articles in one counts request; comments in one read of the moderation queue.
COUNTS_MAX = 100
QUEUE_LIMIT_MAX = 100
# Ids are 32-bit on every database; a larger number cannot name a comment.
MAX_ID = 2**31 - 1
