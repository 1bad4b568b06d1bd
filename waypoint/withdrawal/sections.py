from . import board


def withdrawal_status(request, patient):
    """The chart header's withdrawal line: latest COWS (and CIWA-Ar when recorded), next due, alerts (only while in
    withdrawal management)."""
    from .models import Assessment

    row = board.for_patient(patient.program, patient)
    if row is None:
        return None
    row.latest_ciwa = Assessment.objects.in_force().filter(patient=patient, instrument="ciwa-ar").first()
    return ("withdrawal/_chart_status.html", row)


def cravings_progress(request, patient):
    """The progress page's cravings: the craving scores (0-10) in force, newest first, with their trend chart."""
    from .charts_data import craving_chart
    from .models import Assessment

    scores = list(Assessment.objects.in_force().filter(patient=patient, instrument="craving-nrs")[:60])
    return (
        "withdrawal/_progress_cravings.html",
        {
            "patient": patient,
            "scores": scores[:10],
            "count": len(scores),
            "chart": craving_chart(patient, scores) if scores else None,
        },
    )
