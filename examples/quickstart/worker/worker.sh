#!/bin/sh
# Takes jobs from the Redis list "jobs" (BRPOP, 2 s at a time), counts them in
# "processed", keeps the latest in "last_job", and stamps "worker_seen" every round.
set -u
host=${REDIS_HOST:-db}
redis() { redis-cli -h "$host" "$@"; }
echo "worker: taking jobs from redis at $host"
while true; do
  if ! redis SET worker_seen "$(date +%s)" >/dev/null 2>&1; then
    echo "worker: redis at $host is not answering; retrying" >&2
    sleep 1
    continue
  fi
  job=$(redis BRPOP jobs 2 | sed -n 2p)
  [ -n "$job" ] || continue
  count=$(printf 'INCR processed\nSET last_job "%s"\n' "$job" | redis | sed -n 1p)
  echo "worker: job $count done: $job"
done
