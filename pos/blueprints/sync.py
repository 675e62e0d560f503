"""Sync between a booth and the organiser's hub"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sync", __name__, url_prefix="/sync")

# JSON routes of this area, merged into /api/v1/openapi.json (see blueprints/openapi.py).
OPENAPI_PATHS: dict = {}


def init_cli(app) -> None:
    """Add this area's `pos` commands (called by pos.cli.init_app)."""
