"""The symptoms and drugs of symptom-triggered ("comfort") withdrawal protocols, as shared/reference/
withdrawal-medications.md lists them. Pure data, no Django, and no clinical default: every dose, interval, daily
maximum and hold parameter is the program's protocol, signed by its medical director.

`LABEL_DAILY_MAX_MG` / `LABEL_SINGLE_MAX_MG` are the label maxima the reference gives (a protocol may not exceed
them); a drug absent from them has no maximum in the reference, and its protocol sets one.
"""

from decimal import Decimal

SYMPTOMS: dict[str, str] = {
    "adrenergic": "Anxiety, restlessness, sweating, gooseflesh",
    "diarrhea": "Diarrhea",
    "nausea_vomiting": "Nausea and vomiting",
    "pain": "Bone, joint and muscle pain",
    "stomach_cramps": "Stomach cramps",
    "trouble_sleeping": "Trouble sleeping",
}

DRUGS: dict[str, str] = {
    "lofexidine": "Lofexidine",
    "clonidine": "Clonidine",
    "loperamide": "Loperamide",
    "ondansetron": "Ondansetron",
    "acetaminophen": "Acetaminophen",
    "ibuprofen": "Ibuprofen",
    "naproxen": "Naproxen",
    "methocarbamol": "Methocarbamol",
    "dicyclomine": "Dicyclomine",
    "trazodone": "Trazodone",
    "hydroxyzine": "Hydroxyzine",
}

# The drugs the reference lists for each symptom ("others" for nausea are not named there, so not offered).
DRUGS_FOR: dict[str, tuple[str, ...]] = {
    "adrenergic": ("lofexidine", "clonidine"),
    "diarrhea": ("loperamide",),
    "nausea_vomiting": ("ondansetron",),
    "pain": ("acetaminophen", "ibuprofen", "naproxen", "methocarbamol"),
    "stomach_cramps": ("dicyclomine",),
    "trouble_sleeping": ("trazodone", "hydroxyzine"),
}

# Label maxima from the reference: lofexidine (FDA label 2018) max single dose 0.72 mg, max daily 2.88 mg;
# loperamide 16 mg/day under a prescriber; acetaminophen 4 g/day for adults.
LABEL_DAILY_MAX_MG: dict[str, Decimal] = {
    "lofexidine": Decimal("2.88"),
    "loperamide": Decimal("16"),
    "acetaminophen": Decimal("4000"),
}
LABEL_SINGLE_MAX_MG: dict[str, Decimal] = {"lofexidine": Decimal("0.72")}
LABEL_SOURCE: dict[str, str] = {
    "lofexidine": "lofexidine FDA label (2018)",
    "loperamide": "loperamide label maximum under a prescriber",
    "acetaminophen": "acetaminophen label maximum for adults",
}

# Conditions recorded by the complications screen that a protocol may lower a daily maximum for.
CONDITIONS: dict[str, str] = {"liver_disease": "Liver disease", "kidney_disease": "Kidney disease"}

DEMO_LABEL = "demo — not clinical guidance"

# The classes of drugs the reference names, with the drugs of this catalog it puts in them ("ibuprofen or naproxen
# ... NSAIDs"), and the words an allergy entry may use for the class. An allergy to a class matches its drugs.
DRUG_CLASSES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "NSAIDs": (
        ("nsaid", "nonsteroidal anti-inflammatory", "non-steroidal anti-inflammatory"),
        ("ibuprofen", "naproxen"),
    ),
}
