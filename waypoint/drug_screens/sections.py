from .models import DrugScreen
from .services import with_findings


def screens_progress(request, patient):
    """The progress page's drug screens: the last ten, expected told from unexpected."""
    screens = with_findings(list(DrugScreen.objects.in_force().filter(patient=patient)[:10]))
    return (
        "drug_screens/_progress.html",
        {"patient": patient, "screens": screens, "unexpected_count": sum(1 for r in screens if r.unexpected)},
    )
