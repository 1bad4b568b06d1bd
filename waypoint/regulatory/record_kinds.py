"""The regulatory area's rows that hold a patient but are not clinical records (see waypoint/records/registry.py)."""

from waypoint.records.registry import not_a_record

not_a_record("regulatory.ConsentSignature", "the signature on a consent (privacy.Consent), shown with its copy")
not_a_record("regulatory.RegistryReport", "a disclosure to the central registry, in the accounting of disclosures")
not_a_record("regulatory.BreachNotice", "the privacy officer's breach register: a notice sent about a breach")
not_a_record(
    "regulatory.PdmpCheck",
    "a prescriber's PDMP check before a controlled-substance order, on the patient's PDMP page (not yet a record "
    "kind: no disclosure or FHIR mapping)",
)
not_a_record(
    "regulatory.DualEnrollment",
    "the answer at admission about enrollment in another opioid treatment program, shown in the chart's header",
)
not_a_record(
    "regulatory.TelemedicineEncounter",
    "the telemedicine encounter a buprenorphine order was written from, with its PDMP check, on the patient's PDMP "
    "page (not yet a record kind: no disclosure or FHIR mapping)",
)
