#!/usr/bin/env bash
# Every benchmark figure in one command: builds the benchmarks, runs each broker benchmark one after another (never
# two at once: they would share the cores), then the latency comparison, and writes bench/figures/figures.json and
# bench/figures/figures.svg (the chart the README shows) with the date, commit and machine.
#
#   bench/figures.sh                 # all of it: about an hour on 2 cores with the defaults
#   FORKS=1 bench/figures.sh         # quicker, noisier: one JMH fork per benchmark
#   LATENCY="--seconds 5 --rounds 1" bench/figures.sh
#
# Needs what the kit needs: nats-server, redis-server, rabbitmq-server, the Pub/Sub emulator (gcloud) and network
# access for the first Maven build. Run it on an otherwise idle machine; each broker is started by the benchmark
# itself on free loopback ports, never the machine's own service.
set -euo pipefail
cd "$(dirname "$0")/.."
forks="${FORKS:-2}"
out="${OUT:-bench/figures}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

mvn -B -q -DskipTests -pl bench -am package -Djapicmp.skip -Dmaven.javadoc.skip -Denforcer.skip
jar=bench/target/benchmarks.jar

# benchmark class (or class.method prefix), then its JMH options (warm-ups as each class' README entry explains;
# Kafka's consumers and broker keep speeding up for about ten iterations, and so does its traced producer: with
# four, traced publishing read 0.52 of plain, with ten 0.70 on 2026-12-05)
benchmarks=(
  "NatsBenchmark -wi 4 -i 5"
  "RedisStreamsBenchmark -wi 6 -i 5"
  "KafkaBenchmark.publish -wi 10 -i 5"
  "KafkaBenchmark.consume -wi 10 -i 5"
  "RabbitMqBenchmark -wi 3 -i 5"
  "PubSubBenchmark -wi 5 -i 5"
)
for b in "${benchmarks[@]}"; do
  name="${b%% *}"
  echo "== $name (forks $forks)"
  # shellcheck disable=SC2086 # the options are words on purpose
  java -Domnibus.bench.json="$work/throughput-$name.json" -cp "$jar" dev.omnibus.bench.BenchRatios $b -f "$forks" \
    > "$work/$name.log" 2>&1 || { tail -50 "$work/$name.log"; echo "$name failed" >&2; exit 1; }
  sed -n '/Omnibus \/ raw client/,$p' "$work/$name.log"
done

echo "== LatencyRatios"
# the heap the JMH forks get (SteadyHeap: fixed, touched before the first measurement)
heap="$(java -cp "$jar" dev.omnibus.bench.SteadyHeap)"
# shellcheck disable=SC2086
java $heap -cp "$jar" dev.omnibus.bench.LatencyRatios ${LATENCY:-} --json "$work/latency.json" > "$work/latency.log" 2>&1 \
  || { tail -50 "$work/latency.log"; echo "LatencyRatios failed" >&2; exit 1; }
sed -n '/publish -> handler/,$p' "$work/latency.log"

java -cp "$jar" dev.omnibus.bench.Figures "$out" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  "$work"/throughput-*.json "$work/latency.json"
