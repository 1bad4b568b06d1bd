"""The FHIR R4 (4.0.1) facade: Waypoint's records as FHIR resources, and Bulk Data export."""
