# A container laid out like Gradescope's autograder image, for our tests: the bundle in
# /autograder/source, setup.sh run from there as root, run_autograder copied to
# /autograder/run_autograder, /autograder/submission and /autograder/results.
#
# Gradescope's base is Ubuntu 22.04; this one is our Debian 12 base image
# (docker/build-base-image.sh), which already has Python 3.11, so setup.sh skips its apt
# step. torch comes from the wheel in wheels/ (the same CPU build the bundle pins), not
# from the CPU index, which CI cannot reach. scripts/docker-platforms.sh builds it.
ARG BASE_IMAGE=autograder-base:bookworm
FROM ${BASE_IMAGE}
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY wheels/ /tmp/wheels/
COPY source/ /autograder/source/
WORKDIR /autograder/source
RUN install -d /autograder/submission /autograder/results \
    && install -m 0755 /autograder/source/run_autograder /autograder/run_autograder \
    && PIP_FIND_LINKS=/tmp/wheels PIP_CERT=/tmp/wheels/ca-certificates.crt TORCH_INDEX_URL='' \
        bash ./setup.sh \
    && rm -rf /tmp/wheels
WORKDIR /autograder
CMD ["/autograder/run_autograder"]
