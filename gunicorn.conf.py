"""Production serving: `gunicorn -c gunicorn.conf.py "encyclopedia:create_app()"`
(or `encyclopedia serve --production`, which runs exactly this).

One process per core, each with a few threads: searches are CPU-bound in pure Python,
so processes give the cores; threads keep a slow client from holding a whole worker.
Settings come from ENCYCLOPEDIA_* variables; put a TLS-terminating proxy in front and
set ENCYCLOPEDIA_HTTPS=1 so session cookies are Secure.
"""

import errno
import multiprocessing
import os
import socket
import time
from pathlib import Path

from encyclopedia.production import send_headers_with_body

send_headers_with_body()  # see its docstring: a killed replica must not truncate a page

bind = os.environ.get("ENCYCLOPEDIA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ENCYCLOPEDIA_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("ENCYCLOPEDIA_THREADS", 4))
timeout = 30
graceful_timeout = 10
keepalive = 5
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel deals new
# connections out evenly. On one shared socket a gthread worker accepts whenever it
# wakes first, busy or not: the benchmark saw one worker hold all 50 keep-alive
# connections while the other idled. In six 5 s runs at 50 connections, one fell from
# 2,300 to 1,000 search pages/s and another had p99 282 ms.
reuse_port = True
# Recycle workers now and then, so a slow leak can never grow without bound. Rarely:
# each recycle re-opens the index, empties the page cache and drops its keep-alive
# connections. At 20,000 the benchmark's load runs showed the restarts as p99 spikes;
# at 200,000, once replayed responses made a worker three times faster (2026-12-03),
# a worker recycled inside a 5 s wrk run and 36 connections were reset. Every cache is
# bounded, so this is only a guard: at full load about once an hour per worker.
max_requests = 2_000_000
max_requests_jitter = 200_000
# No access log unless asked for: the proxy in front keeps one, the URLs are patients'
# health searches, and writing it cost 12% of the search page's throughput. Asked for,
# it leaves out the client's address, the query string and the referrer.
accesslog = os.environ.get("ENCYCLOPEDIA_ACCESS_LOG") or None
access_log_format = os.environ.get(
    "ENCYCLOPEDIA_ACCESS_LOG_FORMAT", '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
)
errorlog = "-"
forwarded_allow_ips = os.environ.get("ENCYCLOPEDIA_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Refuse an address something already listens on. With reuse_port each worker binds
    for itself, so a second server on the same port would silently share its traffic,
    and a port held by another program would leave workers failing to boot forever."""
    for address in server.cfg.address:
        if not isinstance(address, tuple):
            continue  # a Unix socket: gunicorn checks those itself
        host, port = address[0], address[1]
        if port == 0:
            raise SystemExit(
                "Error: give a port; with one socket per worker, 0 would pick one each"
            )
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as exc:
                reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"fails: {exc}"
                raise SystemExit(f"Error: {host}:{port} {reason}") from None
    migrate = Path("/proc/sys/net/ipv4/tcp_migrate_req")
    if migrate.exists() and migrate.read_text().strip() == "0":
        server.log.info(
            "net.ipv4.tcp_migrate_req is 0: connections still queued on a worker's socket "
            "when it restarts are reset; 'sysctl -w net.ipv4.tcp_migrate_req=1' hands them "
            "to another worker"
        )


def post_worker_init(worker):
    """Open the index and build its tables before the worker's first request, so a new
    or recycled worker never makes a patient wait for them. The log line says when a
    worker is ready (the benchmarks wait for one per worker before measuring)."""
    started = time.monotonic()
    try:
        worker.wsgi.extensions["library"].warm()
    except Exception as exc:  # no index yet, or a damaged one: the site says so per request
        worker.log.warning("index not warmed: %s", exc)
    else:
        worker.log.info("index warmed in %.2f s", time.monotonic() - started)
