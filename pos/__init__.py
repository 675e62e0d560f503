"""Fair POS: point of sale and consignment stock for OCOP trade-fair booths."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, has_request_context, session
from flask_login import current_user

# The factory is the top floor: it imports the faces, and nothing imports it but the tests and the
# `pos` command's loader (FLASK_APP=pos). `extensions`, not `extensions.db`: the submodule pos.db
# takes the name `db` in this package once anything imports it.
from . import cli, extensions, models  # noqa: F401 (models registers the tables)
from .config import Config
from .db import MIGRATIONS_DIR  # noqa: F401 (pos.MIGRATIONS_DIR, for the tests' upgrades)
from .web import AREAS, access, api, apispec, security_headers, templating


def _secret_key(app: Flask) -> str:
    """The session secret, generated into instance/ on first run and kept there."""
    path = Path(app.instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def _resolve_sqlite_path(app: Flask) -> None:
    """sqlite:///pos.sqlite means instance/pos.sqlite, whatever the working directory."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    prefix = "sqlite:///"
    if uri.startswith(prefix) and not uri.startswith(prefix + "/") and uri != "sqlite://":
        rel = uri[len(prefix):]
        if not os.path.isabs(rel):
            Path(app.instance_path).mkdir(parents=True, exist_ok=True)
            app.config["SQLALCHEMY_DATABASE_URI"] = prefix + str(Path(app.instance_path) / rel)


def _select_locale():
    if not has_request_context():
        return "vi"  # the CLI speaks the booth's language
    if current_user and current_user.is_authenticated:
        return current_user.language
    # Vietnamese first: a browser's own language preference is not asked, the booth speaks Vietnamese
    # until someone picks English.
    return session.get("lang", "vi")


def create_app(config_class=Config, overrides=None):
    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("POS_INSTANCE_PATH") or None,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_object(config_class)
    if not app.testing:
        app.config.from_pyfile("config.py", silent=True)  # secrets, DB path, printer address
    app.config.update(overrides or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    _resolve_sqlite_path(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A file on this laptop: no server can have dropped the connection, so no ping before each use.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}),
                                                   "pool_pre_ping": False}

    db = extensions.db
    db.init_app(app)
    extensions.migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=_select_locale,
                              default_translation_directories=str(Path(__file__).parent / "translations"))

    apispec.init_app(app)  # before the routes: <int:...> in their URLs is bounded by the database's ids
    for area in AREAS:
        app.register_blueprint(area.bp)
        if hasattr(area, "api_bp"):  # the area's JSON routes, under /api/v1/<area>
            app.register_blueprint(area.api_bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")
    app.before_request(access.check_access)
    templating.init_app(app)
    # CSP and the other security headers, Secure cookies over HTTPS, failed PINs kept after a rollback.
    security_headers.init_app(app)

    cli.init_app(app)  # every area's `pos` commands
    # A command that opens another database (the demo's, a backup being restored) builds its app with
    # the factory that built this one, so the faces never import the top floor.
    app.extensions["pos.create_app"] = create_app
    return app
