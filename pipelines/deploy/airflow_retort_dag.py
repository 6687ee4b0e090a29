"""Airflow DAG chaining Retort's stages on YARN (one spark-submit per stage).

Each task runs pipelines/deploy/spark-submit-yarn.sh, whose exit code is the driver's: 0 success,
1 failure, 2 usage or config error (do not retry a 2). Outputs are partitioned by run id, so a
retried task resumes its stage (completed shards and _SUCCESS markers are skipped) instead of
duplicating work. Set RETORT_HOME to a checkout with the cluster jar built (mvn -Pcluster package).
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

RETORT_HOME = "/opt/retort"
CONF = f"{RETORT_HOME}/conf/vllm-pool.conf"
RUN_ID = "{{ ds_nodash }}"


def stage(name: str, *extra: str) -> BashOperator:
    args = " ".join(["--set", f"run.run-id={RUN_ID}", *extra])
    return BashOperator(
        task_id=name,
        bash_command=f"{RETORT_HOME}/pipelines/deploy/spark-submit-yarn.sh {name} {CONF} {args}",
        retries=2,
        retry_delay=timedelta(minutes=5),
    )


with DAG(
    dag_id="retort_distillation",
    start_date=datetime(2026, 11, 1),
    schedule=None,
    catchup=False,
    tags=["retort", "distillation"],
) as dag:
    generate = stage("generate")
    filter_traces = stage("filter")
    train = BashOperator(
        task_id="train",
        # Training runs on one GPU node, not through Spark.
        bash_command=f"{RETORT_HOME}/bin/retort train --config {CONF} --set run.run-id={RUN_ID}",
    )
    evaluate = BashOperator(
        task_id="eval",
        bash_command=f"{RETORT_HOME}/bin/retort eval --config {CONF} --set run.run-id={RUN_ID}",
    )
    generate >> filter_traces >> train >> evaluate
