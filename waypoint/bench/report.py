"""Results: bench/results/<scale>.json, and the generated tables in docs/performance.md / docs/reliability.md.

Only the part between the markers is rewritten; the prose around it (profiles, what would meet a target)
is kept as written.
"""

from __future__ import annotations

import json
import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = (
    "Aidbox about 500 and HAPI FHIR about 490 CRUD requests/s per vCPU (Health Samurai 2025 "
    "benchmark); Medplum about 110 per vCPU for its authenticated read+write+search mix"
)


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def write_json(scale: str, payload: dict, root: Path = ROOT) -> Path:
    path = root / "bench" / "results" / f"{scale}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
    return path


def _fmt(value, digits=2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def table(payload: dict) -> str:
    m = payload["machine"]
    lines = [
        f"Scale **{payload['scale']}**, run {payload['date']} on {m['cpu']} ({m['cores']} cores, {m['memory']}), "
        f"PostgreSQL {payload.get('postgresql', '?')}, Python {m['python']}; "
        f"{payload.get('assessments', '?'):,} assessments at the end of the run; "
        f"the run took {payload.get('seconds', 0):,.0f} s.",
        "",
        "| key | figure | floor | ratio | target | met? | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, result in payload["results"].items():
        met = {True: "yes", False: "**no**", None: "not measured"}[result["met"]]
        figure = f"{_fmt(result['figure'])} {result['unit']}" if result["figure"] is not None else "—"
        lines.append(
            f"| `{key}` | {figure} | {_fmt(result['floor'])} | {_fmt(result['ratio'], 3)} | "
            f"{result['target']} | {met} | {result.get('note', '')} |"
        )
    return "\n".join(lines)


def replace_section(path: Path, marker: str, body: str, heading: str) -> None:
    """Rewrite the text between `<!-- marker:start -->` and `<!-- marker:end -->` (appended when absent)."""
    start, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    block = f"{start}\n{body}\n{end}"
    text = path.read_text() if path.exists() else ""
    if start in text and end in text:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    else:
        text = (text.rstrip() + "\n\n" if text.strip() else "") + f"{heading}\n\n{block}\n"
    path.write_text(text)


def write_performance(payload: dict, root: Path = ROOT) -> None:
    replace_section(
        root / "docs" / "performance.md",
        f"bench-{payload['scale']}",
        table(payload),
        f"## Results: scale {payload['scale']}",
    )


def write_soak(payload: dict, root: Path = ROOT) -> None:
    lines = [
        f"Run {payload['date']} on {payload['machine']['cpu']} ({payload['machine']['cores']} cores): "
        f"{payload['minutes']} minutes of the benchmark's read-write mix (record a COWS, read a flowsheet page, "
        f"read a patient; each audited) through gunicorn ({payload['workers']} sync workers) on loopback, "
        f"wrk with {payload['connections']} connections.",
        "",
        f"- requests: {payload['requests']:,} ({payload['requests_per_second']:,.0f}/s); errors "
        f"(non-2xx and socket errors): **{payload['errors']}**",
        f"- worker memory (RSS from /proc, baseline after {payload['warmup_seconds']} s of warm-up):",
        "",
    ]
    lines += ["| worker | baseline MiB | final MiB | peak MiB | growth | < 10 %? |", "|---|---|---|---|---|---|"]
    for pid, w in payload["workers_rss"].items():
        ok = "yes" if w["growth"] < 0.10 else "**no**"
        lines.append(
            f"| {pid} | {w['baseline_kib'] / 1024:.1f} | {w['final_kib'] / 1024:.1f} | "
            f"{w['peak_kib'] / 1024:.1f} | {w['growth'] * 100:+.1f} % | {ok} |"
        )
    lines += [
        "",
        f"Verdict: **{'passed' if payload['passed'] else 'FAILED'}** (zero errors and every worker's "
        "growth under 10 %).",
    ]
    replace_section(root / "docs" / "reliability.md", "soak", "\n".join(lines), "## Soak")


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
