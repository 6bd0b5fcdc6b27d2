"""gunicorn's settings for the web app, read from the working directory: `gunicorn --bind
0.0.0.0:8000` (docs/OPERATIONS.md). Each can be overridden on the command line or in
GUNICORN_CMD_ARGS; WEB_CONCURRENCY sets the number of worker processes.

- gevent workers: one process per core serves many connections, each request in a greenlet;
  a request waiting on the database, Gmail, Twilio or OpenAI lets the others run. psycopg 3
  cooperates with gevent by itself.
- Database connections come from a pool per worker (DATABASE_POOL_SIZE, 20 unless set),
  given back after each request: a persistent connection held by a greenlet would never be
  closed (Django's connections are per greenlet here).
- After a worker has loaded the app, everything allocated so far (Django, the URLconf, the
  libraries) is moved out of the garbage collector's sight (gc.freeze): otherwise every full
  collection walks those objects again, a pause of tens of milliseconds under load.
"""

import gc
import multiprocessing
import os

# Read by the workers' settings when they load the app.
os.environ.setdefault("DATABASE_POOL_SIZE", "20")

wsgi_app = "dentalai.wsgi"
worker_class = "gevent"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# Connections (greenlets) a worker serves at once.
worker_connections = int(os.environ.get("WEB_WORKER_CONNECTIONS", 100))
graceful_timeout = 20


def post_worker_init(worker):
    gc.collect()
    gc.freeze()


def worker_exit(server, worker):
    # Close the pool's connections while the worker can still do it cleanly (the pool is
    # shared by the worker's greenlets; each greenlet has its own connection handler).
    from django.db import connections

    for connection in connections.all():
        if getattr(connection, "pool", None):
            connection.close_pool()
