from live import live_server  # noqa: F401
