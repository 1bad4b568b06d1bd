"""Synthetic data at scale: deterministic, realistic histories for benchmarks and demos (`waypoint seed`).

plan.py (who, which episodes and stays), synth.py (scores and vitals), areas.py (one generator per area),
registry.py (how later areas add theirs), load.py (COPY / batches), run.py (the run and its audit event).
"""
