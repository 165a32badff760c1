"""The automatic screen and the duplicate suggestions, for texts written the way young people write.

screen_text(text) returns the reasons to hold a submission for a facilitator: "insult", "hate", "accusation",
"phone", "email". A flag never rejects a submission; it holds it (see services.item_submit). fold(text) and
likely_duplicates(text, others) share the screen's normalisation, so that one idea written in Arabic script,
Arabizi or French is suggested as a duplicate of itself. docs/screening.md explains the lists and the figures.
"""

from .duplicates import fold, likely_duplicates
from .screen import FLAGS, screen_text

__all__ = ["FLAGS", "fold", "likely_duplicates", "screen_text"]
