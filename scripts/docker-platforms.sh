#!/usr/bin/env bash
# The platform containers, as CI runs them (scripts/docker-e2e.sh calls this after its
# image build):
#
#   1. the Gradescope test image: `autograder export-gradescope`'s zip unpacked into a
#      container laid out like Gradescope's, on the local base image, its setup.sh run as
#      Gradescope runs it (docker/gradescope-test.Dockerfile);
#   2. the PrairieLearn image from the app image (docker/prairielearn.Dockerfile);
#   3. tests/e2e/test_platform_containers.py against both: a correct file, a buggy one and
#      a syntax error, results.json held to the platforms' schemas.
#
#   scripts/docker-platforms.sh [APP_IMAGE]      default APP_IMAGE: autograder:e2e
#
# Needs a running Docker engine, the base image (docker/build-base-image.sh) and the app
# image. Env: BASE_IMAGE (autograder-base:bookworm), PYTHON_VENV (.venv).
set -euo pipefail
cd "$(dirname "$0")/.."

app_image=${1:-autograder:e2e}
base_image=${BASE_IMAGE:-autograder-base:bookworm}
venv=${PYTHON_VENV:-.venv}
gradescope_image=autograder-gradescope:test
prairielearn_image=autograder-prairielearn:test
work=$(mktemp -d /tmp/autograder-platforms.XXXXXX)
trap 'rm -rf "$work"' EXIT

step() { # step NAME COMMAND...: run it, print how long it took
    local name=$1 start=$SECONDS
    shift
    echo "== platforms: $name"
    "$@"
    echo "-- $name: $((SECONDS - start))s"
}

lint() {
    if [ -x "$venv/bin/hadolint" ]; then
        "$venv/bin/hadolint" --no-color docker/gradescope-test.Dockerfile docker/prairielearn.Dockerfile
        echo "hadolint: clean"
    fi
}

gradescope_context() { # the unpacked bundle, the CPU torch wheel and the CA bundle
    "$venv/bin/autograder" export-gradescope lecture4-numpy -o "$work/bundle.zip"
    mkdir -p "$work/gradescope/source" "$work/gradescope/wheels"
    "$venv/bin/python" -m zipfile -e "$work/bundle.zip" "$work/gradescope/source"
    cp /etc/ssl/certs/ca-certificates.crt "$work/gradescope/wheels/"
    if compgen -G "docker/build-extras/torch-*.whl" >/dev/null; then
        cp docker/build-extras/torch-*.whl "$work/gradescope/wheels/"
    else # standalone: the same local wheel scripts/docker-e2e.sh looks for
        "$venv/bin/python" -m pip download -q --no-deps --only-binary :all: \
            --python-version 3.11 -d "$work/gradescope/wheels" "torch==2.13.0+cpu"
    fi
    ls "$work/gradescope/wheels"
}

build() { # build TAG DOCKERFILE CONTEXT [BUILD-ARG...]
    local tag=$1 file=$2 context=$3 log="$work/build-${1//[:\/]/-}.log"
    shift 3
    DOCKER_BUILDKIT=0 docker build --quiet -f "$file" "${@/#/--build-arg=}" -t "$tag" \
        "$context" >"$log" 2>&1 || { tail -40 "$log" >&2; return 1; }
    docker image ls "$tag" --format '{{.Repository}}:{{.Tag}} {{.Size}}'
}

container_tests() {
    AUTOGRADER_GRADESCOPE_IMAGE=$gradescope_image AUTOGRADER_PRAIRIELEARN_IMAGE=$prairielearn_image \
        "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/e2e/test_platform_containers.py
}

docker image inspect "$app_image" >/dev/null 2>&1 || {
    echo "no image $app_image: build it first (scripts/docker-e2e.sh does)" >&2
    exit 1
}
step "hadolint" lint
step "Gradescope bundle" gradescope_context
step "Gradescope test image" build "$gradescope_image" docker/gradescope-test.Dockerfile \
    "$work/gradescope" "BASE_IMAGE=$base_image"
mkdir -p "$work/empty"
step "PrairieLearn image" build "$prairielearn_image" docker/prairielearn.Dockerfile \
    "$work/empty" "APP_IMAGE=$app_image"
step "container tests" container_tests
