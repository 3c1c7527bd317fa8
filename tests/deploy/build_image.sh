#!/usr/bin/env bash
# Build the Docker image and try it, when a Docker engine answers; otherwise say so and exit 0.
#
#   bash tests/deploy/build_image.sh
#
# With an engine: `docker compose config` checks compose.yaml (when the compose plugin is
# there), `docker build` builds the image, and the image must run `allot --help` as a non-root
# user, migrate a SQLite database inside the container, serve it, and pass its own HEALTHCHECK
# command against /healthz. The image and the container are removed at the end, pass or fail.
# tests/deploy/test_docker_files.py runs this script against a fake `docker` to check its logic.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

log() { printf '==> build_image: %s\n' "$*"; }

if ! command -v docker >/dev/null 2>&1; then
    log "no docker command; image not built"
    exit 0
fi
if ! docker info >/dev/null 2>&1; then
    log "docker info failed (no Docker engine here); image not built"
    exit 0
fi

if docker compose version >/dev/null 2>&1; then
    log "docker compose config"
    docker compose -f compose.yaml config --quiet
fi

tag="allot:build-check-$$"
container=""
cleanup() {
    if [[ -n $container ]]; then docker rm -f "$container" >/dev/null 2>&1 || true; fi
    docker image rm -f "$tag" >/dev/null 2>&1 || true
}
trap cleanup EXIT

log "docker build -t $tag ."
docker build -t "$tag" .

log "allot --help runs in the image"
docker run --rm "$tag" --help >/dev/null

uid=$(docker run --rm --entrypoint id "$tag" -u)
if [[ $uid == 0 ]]; then
    log "the image runs as root" >&2
    exit 1
fi
log "runs as uid $uid"

log "migrate and serve SQLite inside the container"
container=$(docker run -d --entrypoint sh "$tag" -c 'allot migrate && exec allot serve --host 0.0.0.0 --port 8000')
healthcheck='import urllib.request; urllib.request.urlopen("http://127.0.0.1:8000/healthz", timeout=4)'
for _ in $(seq 1 60); do
    if docker exec "$container" python -c "$healthcheck" >/dev/null 2>&1; then
        log "/healthz answers 200 inside the container"
        exit 0
    fi
    if [[ $(docker inspect --format '{{.State.Running}}' "$container") != true ]]; then
        docker logs "$container" >&2 || true
        log "the container stopped" >&2
        exit 1
    fi
    sleep 1
done
docker logs "$container" >&2 || true
log "/healthz did not answer within 60 s" >&2
exit 1
