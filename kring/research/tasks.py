from django_tasks import task

from kring.research import export_files


@task()
def build_export_file(job_id: int) -> None:
    """Build a researcher's export file (kring/research/export_files.py); the sweep queues it
    again if the worker stops halfway."""
    export_files.build(job_id)
