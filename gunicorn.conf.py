"""gunicorn settings for production (`gunicorn -c gunicorn.conf.py wsgi:app`); each can be overridden by env.

Workers are processes: the app holds no state between requests that is not in PostgreSQL
(records, and the signed-in sessions' rows in `web_sessions`: the cookie only names one) or Redis
(rate-limit counters), so any worker — or any instance on another machine sharing the same
database, Redis and SECRET_KEY — can answer, and signing out on one ends the session on all.

It listens on 127.0.0.1:8000 (PORT changes the port), for a proxy on the same machine (nginx) in
front; set BIND (for example 0.0.0.0:8000) to be reached directly from elsewhere.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")  # never every interface by default
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))  # a PDF certificate is the slowest page, about 1 s
graceful_timeout = 20
max_requests = 2000  # recycle workers now and then, so a slow leak can never grow without bound
max_requests_jitter = 200
# The app writes one structured line per request itself (lms/logs.py), so gunicorn's own access log is off.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Only these proxy addresses may set X-Forwarded-*; the app's PROXY_HOPS decides how many hops to trust.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 27's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which two
# instances on one host would fight over; nothing here uses it.
control_socket_disable = True
