"""The benchmark and soak code paths at tiny scale, so that they cannot rot (`make bench` is not run in CI).

On SQLite: seeding, both boards, the flowsheet API. On PostgreSQL also the raw COPY and psycopg floors and,
when wrk is installed (.ci/run installs it), gunicorn driven by wrk for the mix, /healthz and the soak.
"""

import json
import shutil
from urllib.parse import quote

import pytest
from django.db import connection

from waypoint.audit import trail as audit
from waypoint.bench import measure, report, runner, serve
from waypoint.bench.__main__ import SCALES
from waypoint.privacy.models import AuditEvent

pytestmark = pytest.mark.slow  # real subprocesses or servers: left out of `make test-fast`

POSTGRES = connection.vendor == "postgresql"


def database_url() -> str:
    """The test database, for the gunicorn the test starts (it reads committed rows: transactional tests)."""
    settings = connection.settings_dict
    password = f":{quote(settings['PASSWORD'])}" if settings.get("PASSWORD") else ""
    return (
        f"postgres://{quote(settings['USER'])}{password}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )


def meets_target(result) -> bool:
    """Whether the ratio meets the target the result states (">= 0.25", "<= 3"): `met` must say the same."""
    operator, bound = result["target"].split()
    return result["ratio"] >= float(bound) if operator == ">=" else result["ratio"] <= float(bound)


def tiny_root(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "performance.md").write_text("# Performance\n\nHand-written prose stays.\n")
    return tmp_path


@pytest.mark.django_db(transaction=True)
def test_every_benchmark_runs_at_tiny_scale_and_writes_its_results(tmp_path):
    root = tiny_root(tmp_path)
    serving = POSTGRES and serve.wrk_available()
    payload = runner.run(
        "tiny",
        SCALES["tiny"],
        database_url=database_url() if POSTGRES else "",
        log=lambda message: None,
        root=root,
        serving=serving,
    )
    results = payload["results"]
    assert payload["detail"]["board_small"]["rows"] == SCALES["tiny"]["board_patients"]
    assert results["board_p95_ms"]["figure"] > 0 and results["board_growth_ratio"]["ratio"] > 0
    assert results["dosing_queue_p95_ms"]["figure"] > 0 and results["dosing_queue_p95_ms"]["target"] == "< 50"
    assert payload["detail"]["dosing_queue"]["patients"] == SCALES["tiny"]["otp_patients"]
    assert results["flowsheet_vs_raw_ratio"]["figure"] > 0
    assert results["seed_vs_copy_ratio"]["figure"] > 0
    if POSTGRES:
        for key in ("board_growth_ratio", "flowsheet_vs_raw_ratio", "seed_vs_copy_ratio"):
            assert results[key]["floor"] > 0 and results[key]["met"] is meets_target(results[key]), key
        export, memory = results["export_vs_copy_ratio"], results["export_memory_growth_ratio"]
        assert export["figure"] > 0 and export["floor"] > 0 and export["met"] is meets_target(export)
        assert memory["figure"] > 0 and memory["floor"] > 0 and memory["ratio"] > 0
    if serving:
        mix = results["mix_vs_healthz_ratio"]
        assert mix["figure"] > 0 and mix["floor"] > 0
        assert "errors: mix 0, healthz 0" in mix["note"]
        concurrency, lag = results["audit_concurrency_ratio"], results["seal_lag_p95_s"]
        assert concurrency["figure"] > 0 and concurrency["floor"] > 0 and concurrency["ratio"] > 0
        assert concurrency["met"] is meets_target(concurrency) or "errors: 0 and 0" not in concurrency["note"]
        assert lag["figure"] is not None and lag["met"] is (lag["figure"] < 5)
        sealed_by_the_sequencer = AuditEvent.objects.filter(action="assessment.create", hash__isnull=False)
        assert (
            sealed_by_the_sequencer.exists()
            and not AuditEvent.objects.filter(action="assessment.create", hash__isnull=True).exists()
        )  # every COWS the mix recorded was sealed by the sequencer beside the server
    saved = json.loads((root / "bench" / "results" / "tiny.json").read_text())
    assert saved["results"].keys() == results.keys()
    doc = (root / "docs" / "performance.md").read_text()
    assert "Hand-written prose stays." in doc and "| `board_growth_ratio` |" in doc
    assert audit.verify().intact


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not (POSTGRES and shutil.which("wrk")),
    reason="gunicorn + wrk against a shared PostgreSQL "
    "database; runs on the PostgreSQL pass of the suite where wrk is installed (.ci/run)",
)
def test_the_soak_runs_the_mix_and_samples_every_workers_memory(tmp_path):
    root = tiny_root(tmp_path)
    payload = runner.soak(0.1, database_url=database_url(), log=lambda message: None, root=root, warmup_seconds=1)
    assert payload["requests"] > 0 and payload["errors"] == 0
    assert len(payload["workers_rss"]) == payload["workers"]
    assert all(w["samples"] >= 2 and w["baseline_kib"] > 0 for w in payload["workers_rss"].values())
    text = (root / "docs" / "reliability.md").read_text()
    assert text.startswith("## Soak") and "Verdict:" in text


def test_wrk_output_is_parsed_with_its_errors():
    output = """Running 10s test @ http://127.0.0.1:8000
  2 threads and 8 connections
  4021 requests in 10.02s, 3.10MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 4
Requests/sec:    401.30
Transfer/sec:    317.12KB
"""
    result = serve.parse_wrk(output)
    assert (result.requests, result.seconds, result.requests_per_second, result.errors) == (4021, 10.02, 401.3, 7)


def test_wrk_output_without_its_summary_is_an_error_that_shows_the_output():
    with pytest.raises(RuntimeError, match="unable to connect to 127.0.0.1:8765"):
        serve.parse_wrk("unable to connect to 127.0.0.1:8765 Connection refused\n")


def test_the_generated_section_is_replaced_and_the_prose_kept(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text("# Performance\n\nWhy.\n")
    report.replace_section(path, "bench-small", "first table", "## Results: scale small")
    report.replace_section(path, "bench-small", "second table", "## Results: scale small")
    text = path.read_text()
    assert "Why." in text and "second table" in text and "first table" not in text
    assert text.count("## Results: scale small") == 1


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 21)]
    assert measure.percentile(values, 0.95) == 19.0
    assert measure.percentile(values, 0.5) == 10.0
    assert measure.percentile([3.0], 0.95) == 3.0
