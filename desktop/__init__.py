"""PySide6 staff console. Talks only to core/; never to SQLAlchemy or the storage folder."""
