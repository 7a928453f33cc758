"""POST /twilio/sms: Twilio's inbound-message webhook."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from twilio.base.exceptions import TwilioException

from api import replies, twiml
from api.deps import ClockDep, DatabaseDep, RunnerDep, SettingsDep
from api.forms import BadForm, inbound_from_form, read_form
from api.runner import TurnFailed
from api.signature import is_valid_signature
from graph.errors import UserNotFound
from stores import inbox
from stores.phones import mask_phone

log = logging.getLogger(__name__)
router = APIRouter(prefix="/twilio", tags=["twilio"])


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


@router.post("/sms", response_class=Response)
async def inbound_sms(
    request: Request,
    settings: SettingsDep,
    database: DatabaseDep,
    runner: RunnerDep,
    clock: ClockDep,
) -> Response:
    try:
        form = await read_form(request)
    except BadForm as error:
        return _error(error.status, str(error))

    if settings.twilio_validate_signature:
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        if not is_valid_signature(
            request, form, auth_token=token, public_base_url=settings.public_base_url
        ):
            log.warning("rejected webhook with a missing or invalid X-Twilio-Signature")
            return _error(403, "invalid or missing X-Twilio-Signature")

    try:
        inbound = inbound_from_form(form, default_region=settings.default_region)
    except BadForm as error:
        return _error(error.status, str(error))

    async with database.session() as session:
        row, is_new = await inbox.receive(session, inbound=inbound, clock=clock)
    if not is_new:
        log.info("duplicate delivery of MessageSid=%s", inbound.message_sid)
        return twiml.render(row.reply if row.state == inbox.DONE else None)

    try:
        result = await runner.run(row.id)
    except TurnFailed as failure:
        return twiml.render(_friendly(failure.cause))
    except Exception as error:
        log.exception(
            "webhook failed: %s for MessageSid=%s from %s",
            type(error).__name__,
            inbound.message_sid,
            mask_phone(inbound.from_number),
        )
        return twiml.render(replies.UNEXPECTED_ERROR)
    return twiml.render(result.reply)


def _friendly(cause: BaseException) -> str:
    if isinstance(cause, UserNotFound):
        return replies.USER_NOT_FOUND
    if isinstance(cause, TwilioException):
        return replies.TWILIO_ERROR
    return replies.AGENT_ERROR
