"""Every kind of record the FHIR facade and the bulk export can emit: importing this package registers them.

One module per area; a later area adds its module here and registers its kinds (and the search parameters of a
new resource type in waypoint.fhir.search.PARAMS).
"""

from importlib import import_module

# In this order: the search API serves the kinds of one resource type in registration order.
AREAS: tuple[str, ...] = ("patients", "episodes")  # episodes: EpisodeOfCare, and level-of-care stays (Encounter)
AREAS += ("privacy", "screening", "withdrawal", "drug_screens", "treatment", "medication")
AREAS += ("comfort", "dispensing", "aftercare", "allergies")
AREAS += ("stock",)  # the program's controlled-substance stock: no patient
for area in AREAS:
    import_module(f"{__name__}.{area}")
