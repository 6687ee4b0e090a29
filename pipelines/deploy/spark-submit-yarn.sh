#!/usr/bin/env bash
# Run one Retort stage on YARN in cluster mode.
#   pipelines/deploy/spark-submit-yarn.sh STAGE CONFIG [extra retort args...]
#   e.g. pipelines/deploy/spark-submit-yarn.sh generate conf/vllm-pool.conf --set run.run-id=2026-11-23
# Build the jar first: mvn -B -Pcluster -DskipTests package  (Spark is provided by the cluster).
# The config file is shipped with --files and read from the container's working directory.
# Exit code: spark-submit in cluster mode waits for the application (spark.yarn.submit.waitAppCompletion
# defaults to true) and exits non-zero when the driver fails, so Airflow can trust it.
set -euo pipefail
STAGE="${1:?usage: $0 STAGE CONFIG [args...]}"
CONFIG="${2:?usage: $0 STAGE CONFIG [args...]}"
shift 2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR="${RETORT_JAR:-$(ls "$ROOT"/pipelines/target/retort-pipelines-*-cluster.jar | head -n 1)}"
QUEUE="${RETORT_QUEUE:-default}"
JVM_OPTS="-Dai.djl.offline=true -Dai.djl.default_engine=PyTorch -Dretort.git.commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)"

exec spark-submit \
  --master yarn \
  --deploy-mode cluster \
  --queue "$QUEUE" \
  --name "retort-$STAGE" \
  --class dev.retort.pipelines.RetortCli \
  --files "$CONFIG" \
  --driver-memory "${RETORT_DRIVER_MEMORY:-4g}" \
  --executor-memory "${RETORT_EXECUTOR_MEMORY:-8g}" \
  --executor-cores "${RETORT_EXECUTOR_CORES:-4}" \
  --num-executors "${RETORT_NUM_EXECUTORS:-8}" \
  --conf spark.yarn.maxAppAttempts=1 \
  --conf "spark.driver.extraJavaOptions=$JVM_OPTS" \
  --conf "spark.executor.extraJavaOptions=$JVM_OPTS" \
  --conf spark.yarn.submit.waitAppCompletion=true \
  "$JAR" "$STAGE" --config "$(basename "$CONFIG")" "$@"
