"""Flask intake web app for students. Talks only to core/; never to SQLAlchemy or storage/."""
