"""What the texter sees when something goes wrong: short, friendly, and free of internals;
and what may go in any outgoing body at all."""

import re

USER_NOT_FOUND = "Sorry, I couldn't find your account. Ask the assistant's operator to add you."
AGENT_ERROR = "Sorry, something went wrong while I worked on that. Please try again in a minute."
TWILIO_ERROR = "Sorry, I couldn't process your message just now. Please try again in a minute."
UNEXPECTED_ERROR = "Sorry, something unexpected happened. Please try again later."

MAX_SMS_CHARS = 1600
"""Twilio refuses a message body longer than this."""


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
"""Characters XML 1.0 cannot carry (C0 controls, NUL, lone surrogates, U+FFFE/U+FFFF)."""


def sendable(text: str) -> str:
    """`text` without characters XML cannot carry: a TwiML <Message> holding one is not XML
    and Twilio drops the reply; the REST API refuses or mangles them too. A texter's own
    control characters (echoed in "Saved note: ...") are the usual source."""
    return _NOT_XML.sub("", text)


def friendly(error: BaseException) -> str:
    """The texter's message for a failed turn; details go to the log only."""
    from twilio.base.exceptions import TwilioException

    from graph.errors import UserNotFound

    if isinstance(error, UserNotFound):
        return USER_NOT_FOUND
    if isinstance(error, TwilioException):
        return TWILIO_ERROR
    return AGENT_ERROR
