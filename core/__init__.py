"""PrintDesk domain and service API. Never imports Qt or Flask."""

__version__ = "0.1.0"
