#!/usr/bin/env bash
# Checks the -Pcluster jar the way spark-submit runs it: the jar on top of a Spark 4.1.3
# classpath (nothing of Spark, Hadoop or the Parquet core is inside the jar), running a real
# filter stage on a traces folder and a 5-step DJL training of a tiny model on its SFT output.
#   mvn -B -Pcluster -DskipTests package
#   pipelines/deploy/check-cluster-jar.sh work/local/traces        # any generate output
# Spark's classpath: $SPARK_HOME/jars/* when SPARK_HOME is set, else spark-sql_2.13:4.1.3 and its
# dependencies resolved by Maven into a temporary folder (what a Spark distribution ships).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TRACES="${1:?usage: check-cluster-jar.sh TRACES_DIR}"
JAR="${RETORT_JAR:-$(ls "$ROOT"/pipelines/target/retort-pipelines-*-cluster.jar 2>/dev/null | head -n 1)}"
[ -f "$JAR" ] || { echo "no cluster jar; build it with: mvn -B -Pcluster -DskipTests package" >&2; exit 1; }
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

if [ -n "${SPARK_HOME:-}" ]; then
  SPARK_CP="$SPARK_HOME/jars/*"
else
  cat >"$OUT/pom.xml" <<'POM'
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>retort.check</groupId><artifactId>spark-dist</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.spark</groupId><artifactId>spark-sql_2.13</artifactId><version>4.1.3</version></dependency>
  </dependencies>
</project>
POM
  (cd "$OUT" && mvn -B -q dependency:build-classpath -Dmdep.outputFile="$OUT/spark.cp")
  SPARK_CP="$(cat "$OUT/spark.cp")"
fi

# The flags spark-submit passes on Java 17, and DJL offline.
FLAGS=(--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED
  --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED
  --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED
  --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED
  --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED
  -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true
  -Dai.djl.offline=true -Dspark.ui.enabled=false)
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"
run() { java "${FLAGS[@]}" -cp "$JAR:$SPARK_CP" dev.retort.pipelines.RetortCli "$@"; }

echo "== filter (Spark local) from $JAR" >&2
run filter --input "$TRACES" --output "$OUT/filtered" --set run.work-dir="$OUT" 2>"$OUT/filter.log" | tail -n 1
echo "== train, 5 steps of a tiny model (DJL PyTorch from the jar)" >&2
run train --data "$OUT/filtered/sft" --out "$OUT/model" --set train.max-steps=5 --set train.seq-len=512 \
  --set train.model.hidden-size=32 --set train.model.num-layers=1 --set train.model.num-heads=2 \
  --set train.model.num-kv-heads=1 --set train.model.intermediate-size=64 2>"$OUT/train.log" | tail -n 1
[ -f "$OUT/filtered/_SUCCESS" ] && [ -f "$OUT/model/_SUCCESS" ] && echo "cluster jar OK: filter and train ran from it" >&2
