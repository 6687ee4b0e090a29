#!/usr/bin/env bash
# The multi-process cluster check: a real Spark standalone cluster with the run folder on HDFS and
# one worker killed in the middle of generate; nothing may be lost or doubled.
#   pipelines/deploy/check-cluster.sh                 # defaults: 240 prompts x 4 samples, 16 shards
#   pipelines/deploy/check-cluster.sh --prompts 400 --kill-workers 0   # any `bench cluster-faults` option
# Every process binds 127.0.0.1 and is stopped before the command returns: HDFS (a namenode and a
# datanode from hadoop-client-minicluster), a master and two workers from Spark's own jars
# (org.apache.spark.deploy.master.Master / .worker.Worker), and generate then filter submitted as
# the -Pcluster jar through org.apache.spark.deploy.SparkSubmit --master spark://127.0.0.1:PORT.
# The sequence and the accounting are `bin/retort bench cluster-faults` (this script builds the
# cluster jar when it is missing or older than the sources, then runs that); it ends with
#   RESULT cluster-faults completed=1.0000 lost=0 duplicated=0 workers_killed=1 ...
# and exits 0 only when every pair is in the committed traces once and filter judged each once.
# Spark's jars: $SPARK_HOME/jars when SPARK_HOME is set, else spark-sql_2.13 and its dependencies
# resolved by Maven (MAVEN_ARGS is passed on, e.g. -o -Dmaven.repo.local=...) and cached in
# pipelines/target/cluster-check/. Logs of every process: the folder printed at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jar() { ls "$ROOT"/pipelines/target/retort-pipelines-*-cluster.jar 2>/dev/null | head -n 1 || true; }
JAR="${RETORT_JAR:-$(jar)}"
stale() {
  [ -z "$JAR" ] || [ ! -f "$JAR" ] && return 0
  [ -n "$(find "$ROOT" \( -path "$ROOT/work" -o -path "$ROOT/.git" -o -name target \) -prune -o \
      \( -name '*.java' -o -name 'pom.xml' -o -path '*/src/main/resources/*' \) -type f -newer "$JAR" -print -quit)" ]
}
if [ -z "${RETORT_JAR:-}" ] && stale; then
  echo "check-cluster: building the cluster jar (mvn -Pcluster -DskipTests package)..." >&2
  # shellcheck disable=SC2086
  (cd "$ROOT" && mvn -B -q ${MAVEN_ARGS:-} -Pcluster -DskipTests package >"$ROOT/.retort-cluster-build.log" 2>&1) || {
    tail -n 20 "$ROOT/.retort-cluster-build.log" >&2; exit 1; }
  JAR="$(jar)"
fi
# The bench JVM only waits and reads Parquet: a small heap leaves memory to the cluster's JVMs.
export RETORT_HEAP="${RETORT_HEAP:-2g}"
exec "$ROOT/bin/retort" bench cluster-faults --jar "$JAR" "$@"
