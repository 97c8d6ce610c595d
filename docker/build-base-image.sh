#!/usr/bin/env bash
# Build the base image the Dockerfile starts from, from Debian packages only (no registry):
# debootstrap bookworm (minbase + Python 3.11, venv, CA certificates, libseccomp2), then
# `docker import` and tag. Idempotent: does nothing if the tag exists (FORCE=1 rebuilds).
#
#   docker/build-base-image.sh [TAG]        default TAG: autograder-base:bookworm
#
# The root filesystem tarball is cached in $AUTOGRADER_BASE_CACHE (default
# ~/.cache/autograder-docker) so a second build, or a later step of the same CI run after an
# image prune, skips debootstrap. Needs root, debootstrap and a running Docker engine.
set -euo pipefail

tag=${1:-autograder-base:bookworm}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache_dir=${AUTOGRADER_BASE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/autograder-docker}
tarball="$cache_dir/rootfs-$suite.tar"
# What the runtime needs and nothing else: the app's wheels bring their own native libraries
# (numpy, torch, the redis-server and bwrap binaries); pyseccomp loads libseccomp.so.2.
packages=python3.11,python3-venv,ca-certificates,libseccomp2

elapsed() { echo "$(($(date +%s) - $1))s"; }

if [ "${FORCE:-0}" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
    echo "base image $tag exists: skipping (FORCE=1 rebuilds)"
    exit 0
fi

if [ "${FORCE:-0}" = 1 ] || [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || {
        echo "debootstrap missing: apt-get install -y debootstrap" >&2
        exit 1
    }
    start=$(date +%s)
    mkdir -p "$cache_dir"
    rootfs=$(mktemp -d "$cache_dir/rootfs.XXXXXX")
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
        >"$cache_dir/debootstrap.log" 2>&1 || {
        tail -n 30 "$cache_dir/debootstrap.log" >&2
        exit 1
    }
    # An image needs no package lists, docs, man pages or apt caches; the security and
    # updates suites are added so `apt-get update && apt-get upgrade` works in derived images.
    cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SOURCES
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
        "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/usr/share/doc/* \
        "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/log/*.log
    tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    echo "debootstrap $suite: $(elapsed "$start") ($(du -h "$tarball" | cut -f1))"
fi

start=$(date +%s)
docker import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --message "debootstrap $suite minbase + $packages" \
    "$tarball" "$tag" >/dev/null
echo "docker import $tag: $(elapsed "$start")"
