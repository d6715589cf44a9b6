#!/usr/bin/env bash
# Runs every test of every module. The backend tests start their own broker processes from these binaries, so the
# ones missing here are installed with apt-get first (as root, or through sudo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
# the MQTT sample backend (samples/mqtt-backend) runs the kit on its own Mosquitto
[[ -x /usr/sbin/mosquitto ]] || command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
# the Debian package (its rabbitmq-server script lives in /usr/lib/rabbitmq/bin, /usr/sbin is root's PATH only)
[[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || command -v rabbitmq-server >/dev/null 2>&1 || missing+=(rabbitmq-server)
# PostgreSQL's server binaries (initdb, postgres) for the outbox tests, any version from 12 (Debian's package also starts
# a cluster of its own on 5432, which the tests never use)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# Google's Pub/Sub emulator (a jar of the Cloud SDK); PUBSUB_EMULATOR_JAR or gcloud's install dirs are also searched
[[ -n ${PUBSUB_EMULATOR_JAR:-} ]] || compgen -G "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/lib/*.jar" >/dev/null \
    || missing+=(google-cloud-cli-pubsub-emulator)
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]} with apt-get" >&2
    as_root=()
    [[ $(id -u) -eq 0 ]] || as_root=(sudo)
    "${as_root[@]}" apt-get update -q
    if [[ " ${missing[*]} " == *" google-cloud-cli-pubsub-emulator "* ]] \
            && ! apt-cache show google-cloud-cli-pubsub-emulator >/dev/null 2>&1; then
        # not in Debian itself: add Google's Cloud SDK repository, as Google's install guide for Debian does
        echo "test.sh: adding Google's Cloud SDK apt repository for the Pub/Sub emulator" >&2
        DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends \
            ca-certificates curl gnupg
        curl -fsSL https://packages.cloud.google.com/apt/doc/apt-key.gpg \
            | "${as_root[@]}" gpg --dearmor --yes -o /usr/share/keyrings/cloud.google.gpg
        echo "deb [signed-by=/usr/share/keyrings/cloud.google.gpg] https://packages.cloud.google.com/apt cloud-sdk main" \
            | "${as_root[@]}" tee /etc/apt/sources.list.d/google-cloud-sdk.list >/dev/null
        "${as_root[@]}" apt-get update -q
    fi
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

exec mvn -B verify "$@"
