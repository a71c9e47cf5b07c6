"""`/healthz` and `/metrics` of the web process (no session needed)."""
from __future__ import annotations

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from daemon.web.app import ctx

blueprint = Blueprint("ops", __name__)


@blueprint.get("/healthz", endpoint="health")
def health():
    return Response("ok\n", mimetype="text/plain")


@blueprint.get("/metrics", endpoint="metrics_page")
def metrics_page():
    registry = ctx().metrics.registry
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
