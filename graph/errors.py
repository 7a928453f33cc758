"""Errors a turn can end with; the API maps each to a short, friendly reply."""


class UserNotFound(LookupError):
    """The turn was for a user who is not (or no longer) registered."""
