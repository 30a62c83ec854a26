"""Production serving: `gunicorn -c gunicorn.conf.py "encyclopedia:create_app()"`
(or `encyclopedia serve --production`, which runs exactly this).

One process per core, each with a few threads: searches are CPU-bound in pure Python,
so processes give the cores; threads keep a slow client from holding a whole worker.
Settings come from ENCYCLOPEDIA_* variables; put a TLS-terminating proxy in front and
set ENCYCLOPEDIA_HTTPS=1 so session cookies are Secure.
"""

import multiprocessing
import os

bind = os.environ.get("ENCYCLOPEDIA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ENCYCLOPEDIA_WORKERS", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("ENCYCLOPEDIA_THREADS", 4))
timeout = 30
graceful_timeout = 10
keepalive = 5
# Recycle workers now and then, so a slow leak can never grow without bound. Rarely:
# each recycle re-opens the index and empties the page caches, and at 20,000 the
# benchmark's load runs showed the restarts as p99 spikes on the search page.
max_requests = 200000
max_requests_jitter = 20000
accesslog = os.environ.get("ENCYCLOPEDIA_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("ENCYCLOPEDIA_FORWARDED_ALLOW_IPS", "127.0.0.1")
