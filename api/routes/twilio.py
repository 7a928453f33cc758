"""Twilio's webhooks: POST /twilio/sms (inbound texts) and POST /twilio/status (delivery)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import FormData

from api import twiml
from api.deps import ClockDep, DatabaseDep, SettingsDep, pipeline_by
from api.forms import BadForm, inbound_from_form, read_form
from api.signature import is_valid_signature
from messaging import delivery, metrics, replies
from messaging.sender import apply_status_callback
from stores import inbox, media
from stores.phones import mask_phone
from stores.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/twilio", tags=["twilio"])


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


async def _verified_form(request: Request, settings: Settings) -> FormData | JSONResponse:
    """The posted form if it is one and Twilio signed it; otherwise the error to answer."""
    try:
        form = await read_form(request)
    except BadForm as error:
        metrics.record_webhook("bad_form")
        return _error(error.status, str(error))
    if settings.twilio_validate_signature:
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        if not is_valid_signature(
            request, form, auth_token=token, public_base_url=settings.public_base_url
        ):
            log.warning(
                "rejected %s with a missing or invalid X-Twilio-Signature", request.url.path
            )
            metrics.record_webhook("rejected_signature")
            return _error(403, "invalid or missing X-Twilio-Signature")
    return form


@router.post("/sms", response_class=Response)
async def inbound_sms(
    request: Request,
    settings: SettingsDep,
    database: DatabaseDep,
    clock: ClockDep,
) -> Response:
    # Twilio's 15 s includes everything, so the deadline runs from the request's arrival.
    deadline = asyncio.get_running_loop().time() + settings.reply_deadline_seconds
    form = await _verified_form(request, settings)
    if isinstance(form, JSONResponse):
        return form
    try:
        inbound = inbound_from_form(form, default_region=settings.default_region)
    except BadForm as error:
        metrics.record_webhook("bad_form")
        return _error(error.status, str(error))

    # Committed before anything else happens to it: from here on the text cannot be lost.
    async with database.session() as session:
        row, is_new = await inbox.receive(session, inbound=inbound, clock=clock)
        if is_new and inbound.num_media:
            await media.record_inbound_media(
                session, inbox_id=row.id, media=media.media_from_form(form)
            )
    if not is_new:
        log.info("duplicate delivery of MessageSid=%s", inbound.message_sid)
        already = row.delivery == inbox.VIA_TWIML and row.state in (inbox.DONE, inbox.FAILED)
        metrics.record_webhook("duplicate")
        return twiml.render(row.reply if already else None)

    try:
        pipeline = await pipeline_by(request, deadline)
        if pipeline is None:  # still starting: the reply will go out by REST
            async with database.session() as session:
                await delivery.release_to_outbox(session, inbox_id=row.id)
            metrics.record_webhook("no_inline_reply")
            return twiml.render(None)
        pipeline.signal.wake()
        reply = await pipeline.wait_for_reply(row.id, deadline, request.is_disconnected)
    except Exception as error:
        log.exception(
            "webhook failed: %s for MessageSid=%s from %s",
            type(error).__name__,
            inbound.message_sid,
            mask_phone(inbound.from_number),
        )
        metrics.record_webhook("error")
        return twiml.render(replies.UNEXPECTED_ERROR)
    metrics.record_webhook("replied_inline" if reply else "no_inline_reply")
    return twiml.render(reply)


@router.post("/status")
async def delivery_status(
    request: Request, settings: SettingsDep, database: DatabaseDep, clock: ClockDep
) -> Response:
    form = await _verified_form(request, settings)
    if isinstance(form, JSONResponse):
        return form
    sid = str(form.get("MessageSid") or "").strip()
    status = str(form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not sid or not status:
        return _error(400, "missing required field(s): MessageSid and MessageStatus")
    raw_code = str(form.get("ErrorCode") or "").strip()
    if raw_code and not raw_code.isdigit():
        return _error(400, "ErrorCode must be a number")
    known = await apply_status_callback(
        database,
        twilio_sid=sid,
        status=status[:16],
        error_code=int(raw_code) if raw_code else None,
        clock=clock,
    )
    metrics.record_send(status[:16])
    if not known:
        log.info("status callback for unknown MessageSid=%s", sid)
    return Response(status_code=204)
