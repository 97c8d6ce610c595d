#!/usr/bin/env bash
# Back up or restore the compose stack's Redis (everything the service stores lives there).
#
#   docker/redis-backup.sh backup  [FILE]   # default FILE: redis-YYYY-MM-DD.rdb; stack keeps running
#   docker/redis-backup.sh restore FILE     # stops the stack, loads FILE, starts it again
#
# Run from the directory of docker-compose.yml; extra compose options (project name, env
# file) go in COMPOSE, e.g. COMPOSE="docker compose -p autograder --env-file prod.env".
set -euo pipefail

compose=${COMPOSE:-docker compose}
# redis-cli in the container authenticates when the stack sets REDIS_PASSWORD.
# shellcheck disable=SC2016 # expanded by the container's shell, not this one
cli='redis-cli ${REDIS_PASSWORD:+-a "$REDIS_PASSWORD" --no-auth-warning}'

backup() {
    local file=${1:-redis-$(date +%F).rdb}
    # BGSAVE writes a consistent snapshot in the background; wait until LASTSAVE moves.
    $compose exec -T redis sh -c "
        before=\$($cli LASTSAVE); $cli BGSAVE >/dev/null
        while [ \"\$($cli LASTSAVE)\" = \"\$before\" ]; do sleep 1; done"
    $compose cp redis:/data/dump.rdb "$file"
    echo "backed up to $file"
}

restore() {
    local file=${1:?usage: redis-backup.sh restore FILE}
    [ -f "$file" ] || { echo "no such file: $file" >&2; exit 1; }
    $compose stop
    # With appendonly on, Redis loads only the AOF and would start empty without one: so
    # load the snapshot with AOF off, turn AOF on (it is rewritten from memory), then stop.
    $compose run --rm --no-deps -T -v "$(realpath "$file"):/backup.rdb:ro" redis sh -c "
        rm -f /data/appendonly.aof && cp /backup.rdb /data/dump.rdb || exit 1
        redis-server --dir /data --appendonly no \${REDIS_PASSWORD:+--requirepass \"\$REDIS_PASSWORD\"} &
        until $cli ping 2>/dev/null | grep -q PONG; do sleep 1; done
        $cli CONFIG SET appendonly yes >/dev/null
        until $cli INFO persistence | grep -q aof_rewrite_in_progress:0 &&
              $cli INFO persistence | grep -q aof_rewrite_scheduled:0; do sleep 1; done
        $cli SHUTDOWN >/dev/null 2>&1; wait"
    $compose up -d
    echo "restored from $file"
}

case ${1:-} in
backup | restore) "$@" ;;
*)
    echo "usage: $0 backup [FILE] | restore FILE" >&2
    exit 2
    ;;
esac
