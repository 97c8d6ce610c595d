# PrairieLearn external-grading image: the autograder image, run the way PrairieLearn runs
# a grading container (the job mounted at /grade, no network, the image's own user).
#
#   docker build -f docker/prairielearn.Dockerfile --build-arg APP_IMAGE=autograder:latest \
#                -t autograder-prairielearn:latest docker/build-extras
#
# APP_IMAGE is the image the main Dockerfile builds (the CPU one). The entrypoint is set
# by the question's info.json (`autograder export-prairielearn`); CMD is the same command.
ARG APP_IMAGE=autograder:latest
FROM ${APP_IMAGE}
# PrairieLearn's job folder belongs to its own user, mode 0700: the grader must be root to
# read /grade/student and write /grade/results. Student code never runs as root: the
# sandbox's zygote is started as uid 65534 (docs/platforms.md).
# hadolint ignore=DL3002
USER 0:0
WORKDIR /grade
HEALTHCHECK NONE
ENTRYPOINT []
CMD ["/opt/venv/bin/autograder", "platform-grade", "prairielearn"]
