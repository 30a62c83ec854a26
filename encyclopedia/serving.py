"""Production serving through gunicorn's Python API, so ``encyclopedia serve --production``
needs no separate config file to get started (``gunicorn.conf.py`` is there for operators)."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication


class _Server(BaseApplication):
    def __init__(self, options: dict[str, Any], overrides: dict[str, Any]):
        self.options = options
        self.overrides = overrides
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from encyclopedia import create_app

        return create_app(self.overrides)


def run_gunicorn(host: str, port: int, workers: int, overrides: dict[str, Any]) -> None:
    _Server(
        {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": "gthread",
            "threads": 4,
            "accesslog": "-",
            "timeout": 30,
            "graceful_timeout": 10,
            "keepalive": 5,
        },
        overrides,
    ).run()
