"""Static files for phones on the booth's Wi-Fi: fingerprinted URLs cached for a year, compression.

Every url_for('static', ...) gets ?v=<modification time and size of the file>, so a new version of
sell.js has a new URL and the old one can be cached for good ("immutable"): a phone till loads
its 90 KB of script and styles once, not on every page. A URL without ?v (or with another v)
is answered with an ETag and revalidated. Pages, JSON and static text go out compressed
(Flask-Compress: gzip or deflate, the encodings browsers offer over plain HTTP on a LAN).
"""
from __future__ import annotations

import os

from flask import request

ONE_YEAR_S = 365 * 24 * 3600


def _version(static_folder: str, filename: str) -> str | None:
    try:
        st = os.stat(os.path.join(static_folder, filename))
    except (OSError, ValueError):
        return None  # a missing file keeps its plain URL and gets its 404 as usual
    return f"{st.st_mtime_ns // 1_000_000:x}{st.st_size:x}"


def init_app(app) -> None:
    from flask_compress import Compress

    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip", "deflate"])
    # Static files are sent as streams; browsers offer only gzip and deflate over plain HTTP.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    Compress(app)

    @app.url_defaults
    def _fingerprint_static(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = _version(app.static_folder, values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _cache_static(response):
        if request.endpoint != "static" or response.status_code not in (200, 304):
            return response
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args.get("v") == _version(app.static_folder, filename):
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR_S
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True  # keep it, but ask (ETag) before using it
        return response
