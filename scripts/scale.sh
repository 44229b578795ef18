#!/usr/bin/env bash
# Several instances behind a load balancer, one PostgreSQL, Redis with Sentinel —
# under load, while parts fail. On this one machine, loopback only:
#   PostgreSQL (scripts/postgres.sh), a Redis primary, a replica, three Sentinels,
#   three `commentsvc serve` instances (2 workers each) and nginx balancing them.
# The load (scripts/scale_load.py: reads 95 %, posts 5 %, two moderators deciding)
# runs for a fixed time; during it one instance is SIGKILLed, the Redis primary is
# SIGKILLed (the Sentinels promote the replica), the instance is started again.
# Then the checks (nothing lost, nothing decided twice, every approved comment on
# its page) and the figures (errors, longest gap in reads, time to recover).
#   bash scripts/scale.sh           # 90 s of load
#   bash scripts/scale.sh --smoke   # 30 s of load, the same checks (CI)
# Exits non-zero when a check fails. Everything it starts is stopped on exit.
# SCALE_LOGS=DIR keeps the logs of every process there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
source scripts/lib.sh

duration=90 readers=8 kill_at=15 failover_at=35 restart_at=55
if [ "${1:-}" = "--smoke" ]; then
    duration=30 readers=4 kill_at=5 failover_at=11 restart_at=18
elif [ -n "${1:-}" ]; then
    echo "usage: $0 [--smoke]" >&2
    exit 2
fi

step() { printf '\n==> %s\n' "$*"; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
install_missing "${missing[@]}"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
ensure_venv
export PATH="$PWD/.venv/bin:$PATH"

work=$(mktemp -d /tmp/commentsvc-scale.XXXXXX)
chmod 755 "$work"  # nginx's workers run as another user when started by root
pids=() groups=()
cleanup() {
    status=$?
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    # An instance's gunicorn workers, should any outlive their master.
    for group in "${groups[@]}"; do kill -KILL -- "-$group" 2>/dev/null || true; done
    bash scripts/postgres.sh stop "$work/pg" || true
    if [ -n "${SCALE_LOGS:-}" ]; then mkdir -p "$SCALE_LOGS" && cp "$work"/*.log "$SCALE_LOGS"/; fi
    if [ "$status" -ne 0 ]; then
        for log in "$work"/*.log; do
            [ -f "$log" ] && { echo "--- last lines of $log"; tail -n 15 "$log"; }
        done
    fi
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for SECONDS WHAT COMMAND...
    local seconds=$1 what=$2
    shift 2
    for _ in $(seq $((seconds * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
    echo "$what: not within $seconds s" >&2
    return 1
}
now() { date +%s.%N; }
event() { echo "$(now) $1" >>"$work/events"; echo "    $(date -u +%T) $1"; }

step "PostgreSQL"
database_url=$(bash scripts/postgres.sh start "$work/pg" | tail -n 1)
echo "    $database_url"

step "Redis primary, replica and three Sentinels"
password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
master=commentsvc
declare -A redis_pid
start_redis() {  # start_redis PORT [extra options...]
    local port=$1
    shift
    mkdir -p "$work/redis-$port"
    redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis-$port" --save "" \
        --appendonly no --requirepass "$password" --masterauth "$password" "$@" \
        >"$work/redis-$port.log" 2>&1 &
    pids+=($!)
    redis_pid[$port]=$!
    disown $!  # stopped by PID; no "Killed" line from the shell when it is SIGKILLed
}
primary_port=$(free_port)
replica_port=$(free_port)
start_redis "$primary_port"
start_redis "$replica_port" --replicaof 127.0.0.1 "$primary_port"
wait_for 30 "the replica syncs" bash -c \
    "redis-cli -p $replica_port --no-auth-warning -a $password info replication | grep -q master_link_status:up"
sentinel_ports=()
for _ in 1 2 3; do
    port=$(free_port)
    sentinel_ports+=("$port")
    cat >"$work/sentinel-$port.conf" <<EOF
port $port
bind 127.0.0.1
dir $work
sentinel monitor $master 127.0.0.1 $primary_port 2
sentinel auth-pass $master $password
sentinel down-after-milliseconds $master 1000
sentinel failover-timeout $master 5000
sentinel parallel-syncs $master 1
EOF
    redis-server "$work/sentinel-$port.conf" --sentinel >"$work/sentinel-$port.log" 2>&1 &
    pids+=($!)
done
master_port() { redis-cli -p "$1" sentinel get-master-addr-by-name "$master" 2>/dev/null | sed -n 2p; }
for port in "${sentinel_ports[@]}"; do
    wait_for 60 "Sentinel $port knows the other two" bash -c \
        "redis-cli -p $port sentinel master $master | grep -A1 -x num-other-sentinels | tail -n1 | grep -qx 2"
done
redis_url="redis+sentinel://:$password@$(printf '127.0.0.1:%s,' "${sentinel_ports[@]}" | sed 's/,$//')/$master/0"
echo "    primary :$primary_port, replica :$replica_port, Sentinels ${sentinel_ports[*]}"

step "three commentsvc instances (2 workers each) and nginx"
export COMMENTSVC_DATABASE_URL=$database_url COMMENTSVC_REDIS_URL=$redis_url
export COMMENTSVC_SITES=https://news.example.com COMMENTSVC_WORKERS=2
export COMMENTSVC_SECRET_KEY=$password COMMENTSVC_POST_RATE_LIMIT="100000/minute"
export COMMENTSVC_REQUEUE_INTERVAL_SECONDS=5 COMMENTSVC_LOG_LEVEL=WARNING
commentsvc db upgrade >/dev/null
tokens=$(for name in moderator-a moderator-b; do commentsvc moderators add "$name" 2>/dev/null | tail -n 1; done | paste -sd,)
declare -A app_port app_pid
start_app() {  # start_app N: in its own process group, which dies as one (a container)
    COMMENTSVC_DATA_DIR="$work/app-$1" setsid commentsvc serve --host 127.0.0.1 \
        --port "${app_port[$1]}" >>"$work/app-$1.log" 2>&1 &
    pids+=($!)
    groups+=($!)
    app_pid[$1]=$!
    disown $!
}
healthy() { python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=5)" "http://127.0.0.1:$1/healthz"; }
for n in 1 2 3; do app_port[$n]=$(free_port); start_app "$n"; done
for n in 1 2 3; do wait_for 120 "instance $n answers /healthz" healthy "${app_port[$n]}"; done
lb_port=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $work/nginx/body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    upstream commentsvc {
$(for n in 1 2 3; do echo "        server 127.0.0.1:${app_port[$n]} max_fails=1 fail_timeout=3s;"; done)
        keepalive 32;
    }
    server {
        listen 127.0.0.1:$lb_port;
        location / {
            proxy_pass http://commentsvc;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_connect_timeout 2s;
            proxy_read_timeout 30s;
            proxy_next_upstream error timeout http_502;
            proxy_next_upstream_tries 3;
        }
    }
}
EOF
"$nginx_bin" -p "$work/nginx" -c nginx.conf -g 'daemon off;' &
pids+=($!)
wait_for 30 "nginx answers" healthy "$lb_port"
echo "    instances :${app_port[1]} :${app_port[2]} :${app_port[3]}, nginx :$lb_port"

step "load for ${duration} s: reads 95 %, posts 5 %, two moderators; failures on the way"
python scripts/scale_load.py --base "http://127.0.0.1:$lb_port" --tokens "$tokens" \
    --database-url "$database_url" --redis-url "$redis_url" --events "$work/events" \
    --duration "$duration" --readers "$readers" --requeue-seconds 5 &
load=$!
pids+=($load)
started=$(now)
sleep_until() { sleep "$(python3 -c "print(max(0, $started + $1 - $(now)))")"; }

sleep_until "$kill_at"
kill -KILL -- "-${app_pid[2]}"  # the serve process and its workers, as a container dies
event instance_killed
sleep_until "$failover_at"
old_primary=$(master_port "${sentinel_ports[0]}")
kill -KILL "${redis_pid[$old_primary]}"
event redis_primary_killed
promoted() { for port in "${sentinel_ports[@]}"; do [ "$(master_port "$port")" != "$old_primary" ] || return 1; done; }
wait_for 120 "the Sentinels promote the replica" promoted
event redis_promoted
sleep_until "$restart_at"
event instance_restarting
start_app 2
wait_for 120 "instance 2 answers again" healthy "${app_port[2]}"
event instance_restarted
event schedule_done

wait "$load"
