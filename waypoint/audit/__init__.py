"""The audit trail (trail.py: record and verify; signing.py: signed checkpoints; models.py): the foundation every
service calls in its own transaction. It imports no app of Waypoint."""
