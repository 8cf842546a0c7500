#!/usr/bin/env bash
# Makes sure the real services the tests log in to answer on this machine: PostgreSQL, MariaDB,
# Redis and RabbitMQ (with its management plugin). Starts any that does not, with the machine's
# own start commands, and waits until it answers. Safe to run again.
set -uo pipefail

wait_for() { # name, tries, command...
  local name=$1 tries=$2; shift 2
  for ((i = 0; i < tries; i++)); do
    if "$@" >/dev/null 2>&1; then echo "  $name: up"; return 0; fi
    sleep 1
  done
  echo "  $name: still not answering after ${tries}s" >&2
  return 1
}

ensure() { # name, check command (string), start command (string), tries
  local name=$1 check=$2 start=$3 tries=${4:-60}
  if bash -c "$check" >/dev/null 2>&1; then echo "  $name: up"; return 0; fi
  echo "  $name: not answering, starting it"
  bash -c "$start" || echo "  $name: start command failed" >&2
  wait_for "$name" "$tries" bash -c "$check"
}

status=0
echo "services:"
ensure postgresql "pg_isready -q -h 127.0.0.1 -p 5432" \
  'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' || status=1
ensure mariadb "mariadb-admin -h 127.0.0.1 -P 3306 -u root ping" \
  'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd' || status=1
ensure redis "redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG" \
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log' || status=1
ensure rabbitmq "rabbitmq-diagnostics -q ping" 'rabbitmq-server -detached' 120 || status=1

# The RabbitMQ plugin rotates passwords through the management HTTP API (port 15672).
enabled=$(rabbitmq-plugins list -E -m 2>/dev/null || true)
if ! grep -qx rabbitmq_management <<<"$enabled"; then
  rabbitmq-plugins enable rabbitmq_management >/dev/null && echo "  rabbitmq: management plugin enabled" || status=1
fi
wait_for "rabbitmq management API" 60 bash -c 'curl -fsS -u guest:guest http://127.0.0.1:15672/api/overview' || status=1
exit $status
