"""Phone numbers: parse to E.164 (`phonenumbers`), split off the WhatsApp channel, mask for logs."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number we can text; the message says why."""


@dataclass(frozen=True)
class Address:
    """Who a message is from or to: an E.164 number and the channel it travels on."""

    phone: str
    channel: str  # "sms" or "whatsapp"

    @property
    def twilio_address(self) -> str:
        return f"whatsapp:{self.phone}" if self.channel == "whatsapp" else self.phone


def normalise_phone(raw: str, *, default_region: str = "US") -> str:
    """E.164 form of `raw` ("+14155550123"), or InvalidPhoneNumber with a reason."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("phone number is empty")
    try:
        parsed = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhoneNumber(f"{text!r} is not a phone number ({error._msg})") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(f"{text!r} has the wrong number of digits for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def parse_address(raw: str, *, default_region: str = "US") -> Address:
    """Twilio's `From`/`To`: "+14155550123" or "whatsapp:+14155550123"."""
    text = (raw or "").strip()
    channel = "sms"
    if text.lower().startswith("whatsapp:"):
        channel, text = "whatsapp", text.split(":", 1)[1]
    return Address(phone=normalise_phone(text, default_region=default_region), channel=channel)


def mask_phone(phone: str | None) -> str:
    """Only the last four digits, for logs: "+14155550123" -> "***0123"."""
    if not phone:
        return "unknown"
    digits = [c for c in phone if c.isdigit()]
    return "***" + "".join(digits[-4:])
