"""Errors a turn can end with; the API maps each to a short, friendly reply."""


class UserNotFound(LookupError):
    """The turn was for a user who is not (or no longer) registered."""


MAX_DETAIL_CHARS = 128


def describe(error: BaseException) -> str:
    """The error class, and for a model server's answer its status code and message, e.g.
    `OpenAIAPIError 500: Expected 'content' to be a string` (for the log and the admin's run
    view; never the user's text, which servers do not echo in their errors)."""
    status = getattr(error, "status_code", None)
    body = getattr(error, "body", None)
    message = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = str(inner.get("message") if isinstance(inner, dict) else inner or "")
    elif isinstance(body, str):
        message = body
    detail = type(error).__name__
    if status is not None:
        detail += f" {status}"
    if message:
        detail += ": " + " ".join(message.split())
    return detail[:MAX_DETAIL_CHARS]
