from . import board


def withdrawal_status(request, patient):
    """The chart header's withdrawal line: latest COWS, next due, alerts (only while in withdrawal management)."""
    row = board.for_patient(patient.program, patient)
    return ("withdrawal/_chart_status.html", row) if row is not None else None
