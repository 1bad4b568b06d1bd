"""Every kind of record the FHIR facade and the bulk export can emit: importing this package registers them.

One module per area. A later area (e.g. MOUD: CarePlan, MedicationRequest, MedicationAdministration) adds its
module here and registers its kinds; nothing else changes.
"""

from . import patients, privacy, screening, withdrawal  # noqa: F401
