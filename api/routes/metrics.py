"""GET /metrics: Prometheus text format. Guarded like the admin (bearer ADMIN_TOKEN for a
scraper); the labels hold no numbers or text, but user counts are still nobody else's business."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response
from prometheus_client.exposition import choose_encoder

from api.admin.auth import AdminDenied, authenticate
from api.admin.responses import json_error
from api.deps import DatabaseDep, SettingsDep
from messaging import metrics
from stores.redact import described

log = logging.getLogger(__name__)
router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def prometheus_metrics(
    request: Request, settings: SettingsDep, database: DatabaseDep
) -> Response:
    try:
        authenticate(request, settings)
    except AdminDenied as denied:
        return json_error(denied.status, denied.message)
    try:
        async with database.session() as session:
            await metrics.refresh_database_gauges(session)
        metrics.DATABASE_UP.set(1)
    except Exception as error:  # the process metrics are still worth serving
        log.warning(
            "metrics: could not read the database gauges (%s)",
            described(error),
        )
        metrics.DATABASE_UP.set(0)
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(content=encoder(metrics.REGISTRY), media_type=content_type)
