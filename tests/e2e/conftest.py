from live import live_server  # noqa: F401
from private_pg import cluster, live_db  # noqa: F401
