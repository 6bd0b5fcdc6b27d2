#!/usr/bin/env bash
# Development: the web app and the django-q2 worker together. Ctrl-C (or either one exiting)
# stops both.
set -euo pipefail
PY=${PY:-.venv/bin/python}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

trap 'trap - EXIT INT TERM; kill 0 2>/dev/null; wait' EXIT INT TERM

"$PY" manage.py qcluster &
"$PY" manage.py runserver --noreload "$HOST:$PORT" &

cat <<MSG

  Dashboard:   http://$HOST:$PORT/  (staff log in here)
  Admin:       http://$HOST:$PORT/admin/  Booking page: http://$HOST:$PORT/book/
  Demo login:  manager@demo.clinic / demo-password-123
  Stop:        Ctrl-C (stops the web app and the worker)

MSG
wait -n
