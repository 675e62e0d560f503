"""Configuration classes. Secrets, the database path and the printer address live in
instance/config.py or POS_* environment variables, never in git."""
from __future__ import annotations

import os


class Config:
    # Relative SQLite paths are resolved inside instance/ by create_app().
    SQLALCHEMY_DATABASE_URI = os.environ.get("POS_DATABASE_URL", "sqlite:///pos.sqlite")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # a till stays open all day; the token lives as long as the session
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # SQLite waits this long for another till's write before giving up with a clear message.
    SQLITE_BUSY_TIMEOUT_MS = 10_000
    PRINTER_URL = os.environ.get("POS_PRINTER_URL", "none")
    # Secure session cookie even over plain HTTP (behind an HTTPS proxy); over HTTPS it is Secure anyway.
    SESSION_COOKIE_SECURE = os.environ.get("POS_COOKIE_SECURE", "") == "1"
    # Backups of the booth's SQLite database (pos serve, shift close, `pos backup`).
    BACKUP_DIR = os.environ.get("POS_BACKUP_DIR", "")  # "" = instance/backups
    BACKUP_USB_PATH = os.environ.get("POS_BACKUP_USB_PATH", "")  # a folder on a USB stick: each backup is copied there too
    BACKUP_INTERVAL_MINUTES = float(os.environ.get("POS_BACKUP_INTERVAL_MINUTES", "5"))  # 0 = no periodic backups
    BACKUP_KEEP = int(os.environ.get("POS_BACKUP_KEEP", "48"))  # per kind (auto, shift, manual): 4 hours of 5-minute copies


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    WTF_CSRF_ENABLED = False
    SQLALCHEMY_DATABASE_URI = "sqlite://"
