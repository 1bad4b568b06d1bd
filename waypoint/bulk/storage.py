"""Where a job's NDJSON files live: one directory per job under settings.BULK_EXPORT_DIR."""

import shutil
from pathlib import Path

from django.conf import settings


def job_dir(job) -> Path:
    return Path(settings.BULK_EXPORT_DIR) / str(job.pk)


def file_path(job, filename: str) -> Path:
    return job_dir(job) / filename


def remove(job) -> None:
    shutil.rmtree(job_dir(job), ignore_errors=True)
