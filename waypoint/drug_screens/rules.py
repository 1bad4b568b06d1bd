"""Urine drug screen analytes and the table that tells expected results from unexpected ones.

Pure data and functions, no Django. No LOINC codes are stored: shared/reference/ names three opioid screen
codes only with "check each code's meaning before use", and none per analyte here, so none is claimed.

The rule, read exactly from EXPECTED:
- a POSITIVE result for an analyte is *expected* when, at the collection time, the patient had an active order
  for one of the medications its row lists; every other positive is *unexpected*;
- a NEGATIVE result for an analyte with a row, while such an order was active, is flagged *expected positive
  absent* (shown to the clinician; it is not an unexpected positive);
- NOT TESTED is neither.
"""

from dataclasses import dataclass

ANALYTES: dict[str, str] = {
    "opiates": "Opiates",
    "fentanyl": "Fentanyl",
    "buprenorphine": "Buprenorphine",
    "methadone": "Methadone",
    "oxycodone": "Oxycodone",
    "benzodiazepines": "Benzodiazepines",
    "cocaine": "Cocaine",
    "amphetamines": "Amphetamines",
    "cannabinoids": "Cannabinoids",
    "xylazine": "Xylazine",
    "alcohol_metabolite": "Alcohol metabolite",
}
RESULTS = {"positive": "Positive", "negative": "Negative", "not_tested": "Not tested"}


@dataclass(frozen=True)
class ExpectedRule:
    analyte: str
    medications: frozenset[str]  # MOUD medication codes (waypoint.medication.catalog)
    source: str

    @property
    def medication_names(self) -> list[str]:
        from waypoint.medication.catalog import MEDICATIONS

        return sorted(MEDICATIONS[code].name for code in self.medications)


EXPECTED: tuple[ExpectedRule, ...] = (
    ExpectedRule(
        "buprenorphine",
        frozenset({"buprenorphine", "buprenorphine_naloxone"}),
        "Waypoint's MOUD requirements: buprenorphine positive while on an active buprenorphine order is expected.",
    ),
    ExpectedRule(
        "methadone",
        frozenset({"methadone"}),
        "Waypoint's MOUD requirements: methadone positive while on an active methadone order is expected.",
    ),
)
RULE_BY_ANALYTE = {rule.analyte: rule for rule in EXPECTED}


@dataclass(frozen=True)
class Finding:
    analyte: str
    result: str
    kind: str  # expected_positive, unexpected_positive, expected_absent, negative, not_tested
    why: str

    @property
    def label(self) -> str:
        return ANALYTES[self.analyte]


def classify(results: dict[str, str], active_medications: set[str]) -> list[Finding]:
    """Each analyte's result with its kind and the reason, in the order of ANALYTES."""
    findings = []
    for analyte in ANALYTES:
        result = results.get(analyte, "not_tested")
        rule = RULE_BY_ANALYTE.get(analyte)
        covering = sorted(active_medications & rule.medications) if rule else []
        if result == "positive":
            if covering:
                findings.append(Finding(analyte, result, "expected_positive", f"active order: {', '.join(covering)}"))
            else:
                findings.append(
                    Finding(
                        analyte,
                        result,
                        "unexpected_positive",
                        "no active order that explains it" if rule else "no rule makes it expected",
                    )
                )
        elif result == "negative":
            if covering:
                findings.append(
                    Finding(
                        analyte,
                        result,
                        "expected_absent",
                        f"negative although on an active order: {', '.join(covering)}",
                    )
                )
            else:
                findings.append(Finding(analyte, result, "negative", ""))
        else:
            findings.append(Finding(analyte, result, "not_tested", ""))
    return findings


def unexpected(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind == "unexpected_positive"]
