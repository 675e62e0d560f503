"""Reports"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")

# JSON routes of this area, merged into /api/v1/openapi.json (see blueprints/openapi.py).
OPENAPI_PATHS: dict = {}


def init_cli(app) -> None:
    """Add this area's `pos` commands (called by pos.cli.init_app)."""
