#!/usr/bin/env bash
# Load test: Garita under gunicorn + its worker on PostgreSQL, driven by locust on loopback.
#
#   bench/load/run_load.sh                 # 200 users, 5 minutes (the figure in the docs)
#   bench/load/run_load.sh --short         # 20 users, 20 s (CI smoke)
#   bench/load/run_load.sh --users 100 --time 2m --people 20000 --workers 4
#
# Needs PostgreSQL at 127.0.0.1:5432 (DATABASE_URL overrides). Prints per-endpoint
# throughput and p50/p99, writes CSVs to var/load/, exits non-zero on any 5xx.
set -euo pipefail
cd "$(dirname "$0")/../.."

USERS=200; SPAWN=20; TIME=5m; PEOPLE=3000; WORKERS=4; THREADS=4; PORT=8765
while [ $# -gt 0 ]; do
  case "$1" in
    --short) USERS=20; SPAWN=10; TIME=20s; PEOPLE=300; WORKERS=2 ;;
    --users) USERS=$2; shift ;;
    --time) TIME=$2; shift ;;
    --people) PEOPLE=$2; shift ;;
    --workers) WORKERS=$2; shift ;;
    --port) PORT=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

BIN=.venv/bin
OUT=var/load
mkdir -p "$OUT"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/garita_load}"
export GARITA_VAR_DIR="$PWD/$OUT/var"
export GARITA_DB_CONN_MAX_AGE=60
export TWILIO_AUTH_TOKEN="${TWILIO_AUTH_TOKEN:-load-test-token-$(date +%s)}"
export GARITA_HOTLINE_VALIDATE_SIGNATURE=1   # requests are signed by the locustfile
mkdir -p "$GARITA_VAR_DIR"

echo "load: fresh database ${DATABASE_URL##*/}"
$BIN/python - <<'PY'
import os, psycopg
from urllib.parse import urlparse
u = urlparse(os.environ["DATABASE_URL"])
name = u.path.lstrip("/")
with psycopg.connect(host=u.hostname, port=u.port or 5432, user=u.username or "postgres",
                     password=u.password, dbname="postgres", autocommit=True) as pg:
    pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg.execute(f'CREATE DATABASE "{name}"')
PY
$BIN/garita migrate --noinput -v 0
$BIN/garita createcachetable
echo "load: seeding $PEOPLE people"
$BIN/garita seed --people "$PEOPLE" --seed 2019 --no-progress --lookups "$OUT/sample_lookups.json"
$BIN/garita demo_accounts > /dev/null
export GARITA_LOAD_LOOKUPS="$OUT/sample_lookups.json"
export GARITA_LOAD_STAFF_USER=officer
GARITA_LOAD_STAFF_PASSWORD=$($BIN/python -c "import json,sys; print(json.load(open(sys.argv[1]))['officer'])" "$GARITA_VAR_DIR/demo_accounts.json")
export GARITA_LOAD_STAFF_PASSWORD
GARITA_LOAD_API_TOKEN=$($BIN/garita shell -c "
from garita.accounts.models import ApiToken, User
print(ApiToken.issue(User.objects.get(username='officer'), 'load test')[1])" | tail -n 1)
export GARITA_LOAD_API_TOKEN

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Idle keep-alive connections outlive locust's pauses (behind nginx this is nginx's job).
export GUNICORN_CMD_ARGS="${GUNICORN_CMD_ARGS:---keep-alive 30 --backlog 2048}"
echo "load: gunicorn with $WORKERS workers x $THREADS threads on 127.0.0.1:$PORT"
$BIN/garita serve --host 127.0.0.1 --port "$PORT" --workers "$WORKERS" --threads "$THREADS" \
  > "$OUT/web.log" 2>&1 &
PIDS+=($!)
WORKER_CMD=db_worker
if $BIN/garita help worker >/dev/null 2>&1; then WORKER_CMD=worker; fi
$BIN/garita "$WORKER_CMD" > "$OUT/worker.log" 2>&1 &
PIDS+=($!)
$BIN/python - "$PORT" <<'PY'
import sys, time, urllib.request
url = f"http://127.0.0.1:{sys.argv[1]}/api/v1/health"
for _ in range(200):
    try:
        urllib.request.urlopen(url, timeout=2).read()
        break
    except OSError:
        time.sleep(0.3)
else:
    sys.exit("load: the server did not come up")
PY

echo "load: locust $USERS users for $TIME"
set +e
$BIN/locust -f bench/load/locustfile.py --headless --host "http://127.0.0.1:$PORT" \
  -u "$USERS" -r "$SPAWN" -t "$TIME" --csv "$OUT/locust" --only-summary \
  --stop-timeout 10 > "$OUT/locust.log" 2>&1
RC=$?
set -e
$BIN/python bench/load/summarise.py "$OUT/locust_stats.csv" "$OUT/locust_failures.csv"
echo "load: locust exit code $RC (non-zero means server errors); CSVs in $OUT/"
exit $RC
