"""Benchmarks measured against the machine's own floor in the same run (`make bench`, `make soak`).

measure.py: in-process figures (board, flowsheet vs raw psycopg, seed vs raw COPY, the bulk-export hook);
serve.py: gunicorn on loopback driven by wrk (read-write mix vs /healthz, the soak with per-worker RSS);
report.py: bench/results/<scale>.json and the tables in docs/performance.md and docs/reliability.md;
__main__.py: the harness (creates and drops its own PostgreSQL database).
"""
