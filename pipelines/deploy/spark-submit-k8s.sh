#!/usr/bin/env bash
# Run one Retort stage on Kubernetes with spark-submit (cluster mode).
#   pipelines/deploy/spark-submit-k8s.sh STAGE CONFIG [extra retort args...]
# Needs: RETORT_IMAGE (an image with Spark 4.1.3 + Java 17 and the cluster jar at /opt/retort/retort.jar),
# RETORT_K8S_API (https://host:port), a namespace and service account that may create pods,
# and a shared volume (PVC) mounted at /data for the run folders (set run.work-dir=/data/runs).
# For GPU executors (in-process DJL teacher) set RETORT_GPUS_PER_EXECUTOR=1: it requests nvidia.com/gpu
# and Spark's GPU discovery script; see docs/teacher-gen.md.
set -euo pipefail
STAGE="${1:?usage: $0 STAGE CONFIG [args...]}"
CONFIG="${2:?usage: $0 STAGE CONFIG [args...]}"
shift 2
: "${RETORT_IMAGE:?set RETORT_IMAGE}" "${RETORT_K8S_API:?set RETORT_K8S_API}"
NS="${RETORT_NAMESPACE:-retort}"
GPUS="${RETORT_GPUS_PER_EXECUTOR:-0}"
GPU_CONF=()
if [ "$GPUS" != "0" ]; then
  GPU_CONF=(
    --conf spark.executor.resource.gpu.amount="$GPUS"
    --conf spark.executor.resource.gpu.vendor=nvidia.com
    --conf spark.executor.resource.gpu.discoveryScript=/opt/spark/examples/src/main/scripts/getGpusResources.sh
    --conf spark.task.resource.gpu.amount=1
  )
fi

exec spark-submit \
  --master "k8s://$RETORT_K8S_API" \
  --deploy-mode cluster \
  --name "retort-$STAGE" \
  --class dev.retort.pipelines.RetortCli \
  --conf spark.kubernetes.namespace="$NS" \
  --conf spark.kubernetes.container.image="$RETORT_IMAGE" \
  --conf spark.kubernetes.authenticate.driver.serviceAccountName="${RETORT_SERVICE_ACCOUNT:-spark}" \
  --conf spark.kubernetes.driver.volumes.persistentVolumeClaim.data.options.claimName="${RETORT_PVC:-retort-data}" \
  --conf spark.kubernetes.driver.volumes.persistentVolumeClaim.data.mount.path=/data \
  --conf spark.kubernetes.executor.volumes.persistentVolumeClaim.data.options.claimName="${RETORT_PVC:-retort-data}" \
  --conf spark.kubernetes.executor.volumes.persistentVolumeClaim.data.mount.path=/data \
  --conf spark.executor.instances="${RETORT_NUM_EXECUTORS:-4}" \
  --conf spark.kubernetes.submission.waitAppCompletion=true \
  --conf "spark.driver.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.default_engine=PyTorch" \
  --conf "spark.executor.extraJavaOptions=-Dai.djl.offline=true -Dai.djl.default_engine=PyTorch" \
  "${GPU_CONF[@]}" \
  local:///opt/retort/retort.jar "$STAGE" --config "/data/conf/$(basename "$CONFIG")" \
  "$@"
