"""The records kernel: one declaration per kind of clinical record (`registry.py`, pure Python), found in
each app's `record_kinds.py` (`discovery.py`, the small Django-aware part). The printed and API disclosures,
the FHIR read/search API and the bulk export read these declarations, so a kind of record is disclosed,
exported and labelled everywhere or nowhere. This package imports no clinical app: the apps import it."""
