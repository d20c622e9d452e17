"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Values come from the environment where it sets them (GUNICORN_BIND, GUNICORN_WORKERS, ...). Access log lines
carry the request id and never a secret link's token (clinic.logredact filters gunicorn's loggers in each
worker).
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
# Sync workers (threads = 1), chosen by measurement (docs/benchmarks.md, "Worker model"): gthread served more
# requests per second, but under the mixed load its slowest requests took up to twice as long.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Restart workers now and then so a slow leak cannot grow without bound. The jitter is half the count:
# workers share the load evenly, so with a small jitter they all reached the count within seconds of each
# other and restarted together, and for the 2-3 s a worker takes to start nothing answered (the load
# benchmark's /healthz p99 of 2.4-3.1 s). Spread out, one restarts while the others answer.
max_requests = 2000
max_requests_jitter = 1000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
# Behind a TLS-terminating proxy: trust its X-Forwarded-* headers (set the proxy's address in production).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
control_socket_disable = True


def worker_exit(server, worker):
    """Write the rows this worker queued for writing in the background (feed fetches' audit rows) before it
    goes; clinic.write_behind also does it at interpreter exit, this is the earlier and surer moment."""
    from clinic.write_behind import flush_all

    flush_all()


def post_worker_init(worker):
    """Freeze what the worker loaded at start (the app, its modules and caches): the collector then never
    walks those objects again, so a full collection costs what the requests themselves allocated."""
    gc.collect()
    gc.freeze()
