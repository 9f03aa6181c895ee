"""Serving a sandbox from its ``__main__``: werkzeug's threaded server until Ctrl+C, then cleanup.

Shared by the sandboxes only (they import nothing from the middleware, so they stay independent of it).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from werkzeug.serving import make_server


def serve(app: Flask, host: str, port: int, banner: Callable[[int], str], on_close: Callable[[], None] | None = None) -> int:
    """Serve ``app``; ``banner(port)`` is printed first (``--port 0`` picks a free port and names it)."""
    server = make_server(host, port, app, threaded=True)
    print(banner(server.server_port), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if on_close is not None:
            on_close()
        server.server_close()
    return 0
