"""``autograder api``: serve the HTTP API under gunicorn (the process docker runs).

gunicorn's gthread workers (AUTOGRADER_API_WORKERS processes x AUTOGRADER_API_THREADS
threads) let long polls (?wait=, up to 30 s) wait without blocking other requests. Each
worker process builds its own app, so no client is shared across a fork.
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``api`` subcommand."""
    parser = subparsers.add_parser(
        "api",
        help="serve the HTTP API (gunicorn)",
        description="Serve the API; Redis and workers must be running (see `autograder serve`).",
    )
    parser.add_argument("--host", help="bind address (default AUTOGRADER_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default AUTOGRADER_PORT or 8000)")
    parser.add_argument(
        "--dev", action="store_true", help="Flask's development server instead of gunicorn"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; return the exit status."""
    from common.settings import Settings

    settings = Settings()
    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = settings.model_copy(update=overrides)
    if args.dev:
        from service import create_app

        create_app(settings).run(host=settings.host, port=settings.port, threaded=True)
        return 0
    serve_gunicorn(settings)
    return 0


def serve_gunicorn(settings) -> None:
    """Run gunicorn in this process with the app built from ``settings``."""
    from gunicorn.app.base import BaseApplication

    class Application(BaseApplication):
        def load_config(self) -> None:
            options = {
                "bind": f"{settings.host}:{settings.port}",
                "workers": settings.api_workers,
                "threads": settings.api_threads,
                "worker_class": "gthread",
                "timeout": 60,  # above the longest long poll (30 s)
                "graceful_timeout": 10,
                "accesslog": "-",
                "errorlog": "-",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self):
            from service import create_app

            return create_app(settings)

    Application().run()
