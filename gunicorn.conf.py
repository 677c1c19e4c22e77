"""gunicorn's settings for production: ``gunicorn -c gunicorn.conf.py``.

Threaded workers (``gthread``) behind nginx (``deploy/nginx.conf``), which
buffers whole requests, so a slow client never holds a thread here. Delivery
does not run in these processes: ``FORMS_TASK_MODE`` defaults to ``deliver``
(web workers only signal; run ``forms-service deliver`` beside them) unless it
is set, e.g. to ``celery`` for scale-out. A worker gunicorn restarts or kills
then loses no delivery thread and leaves no message ``sending``.

Environment: ``GUNICORN_BIND`` (default ``127.0.0.1:8000``, loopback, for
nginx), ``WEB_CONCURRENCY`` (worker processes, default 2: SQLite takes one
writer at a time, and renders run elsewhere), ``GUNICORN_THREADS`` (threads
per worker, default 8).
"""

from __future__ import annotations

import os

os.environ.setdefault("FORMS_TASK_MODE", "deliver")

wsgi_app = "forms_service:create_app()"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A worker that does not report for this long is killed and replaced: with nothing
# but requests in it (no delivery thread), that costs only the requests in flight.
timeout = 60
# On a restart, requests in flight get this long to finish.
graceful_timeout = 30
# nginx keeps its upstream connections open (``keepalive 16``); close idle ones after this.
keepalive = 75
# Only nginx on this machine may say which scheme the client used.
forwarded_allow_ips = "127.0.0.1,::1"
# Replace each worker now and then, so slow growth in memory never builds up.
max_requests = 5000
max_requests_jitter = 500
# The request line and headers gunicorn accepts (nginx already enforces smaller ones).
limit_request_line = 8190
limit_request_fields = 100
accesslog = "-"
