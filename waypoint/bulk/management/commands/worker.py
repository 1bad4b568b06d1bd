"""`waypoint worker`: run queued Bulk Data exports in the background, resuming any whose worker died."""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from waypoint.bulk import export, queue
from waypoint.bulk.models import ExportJob

log = logging.getLogger("waypoint.bulk.worker")
MAX_ATTEMPTS = 5


class Command(BaseCommand):
    help = (
        "Run FHIR Bulk Data export jobs. Claims queued jobs (and jobs whose worker's lease ran out), writes "
        "their NDJSON files page by page, and stops cleanly on SIGTERM or Ctrl-C after the current page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run the jobs claimable now, then exit.")
        parser.add_argument("--poll", type=float, default=2.0, help="Seconds between looks at the queue.")
        parser.add_argument(
            "--page-size", type=int, default=None, help="Rows per keyset page (default settings.BULK_PAGE_SIZE)."
        )
        parser.add_argument(
            "--lease-seconds",
            type=int,
            default=None,
            help="A job whose worker commits no "
            "page for this long is taken over by another worker (default settings.BULK_LEASE_SECONDS).",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=0.0,
            help="Seconds to sleep after writing each page, "
            "before committing it: throttles the export to spare the database.",
        )

    def handle(self, *args, **options):
        self.stopping = False
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.stop)
        worker_id = queue.new_worker_id()
        log.info("worker %s started", worker_id)
        while not self.stopping:
            close_old_connections()
            job = queue.claim_next(worker_id, options["lease_seconds"])
            if job is None:
                queue.housekeeping()
                if options["once"]:
                    break
                self.sleep(options["poll"])
                continue
            self.work(job, worker_id, options)
        log.info("worker %s stopped", worker_id)

    def work(self, job, worker_id, options):
        log.info("export %s: attempt %s", job.pk, job.attempts)
        try:
            status = export.run(
                job,
                worker_id=worker_id,
                page_size=options["page_size"],
                pause=options["pause"],
                lease=options["lease_seconds"],
                should_stop=lambda: self.stopping,
            )
        except export.Busy as exc:
            log.warning("%s", exc)
            return
        except Exception:
            log.exception("export %s: attempt %s failed", job.pk, job.attempts)
            if job.attempts >= MAX_ATTEMPTS:
                export.fail(job, worker_id, f"The export failed {job.attempts} times; see the worker's log.")
            else:
                queue.release(job, worker_id)
            return
        if status == ExportJob.Status.RUNNING and self.stopping:
            queue.release(job, worker_id)  # the next worker resumes it at once
        log.info("export %s: %s", job.pk, status)

    def stop(self, signum, frame):
        self.stopping = True

    def sleep(self, seconds):
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.1, seconds))
