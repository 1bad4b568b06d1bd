"""The flowsheet's trend chart: COWS with its severity bands, self-reports on the second axis."""

from django.utils.safestring import mark_safe

from waypoint.scales import get_instrument

from .board import recent_doses
from .charts import Marker, Point, Series, Zone, trend_chart

SELF_REPORTS = ("sows-handelsman", "sows-gossop", "craving-nrs")


def cows_zones() -> tuple[Zone, ...]:
    cows = get_instrument("cows")
    return tuple(
        Zone(
            band.low,
            band.high + (1 if band.high < cows.max_total else 0),
            f"{band.code.replace('_', ' ')} {band.low}-{band.high}",
            f"zone-{band.code.replace('_', '-')}",
        )
        for band in cows.bands
    )


def series_of(code: str, assessments) -> Series:
    definition = get_instrument(code)
    points = tuple(
        Point(a.taken_at, a.total, a.severity_label or a.get_source_display())
        for a in assessments
        if a.instrument == code
    )
    return Series(
        f"{definition.short_title} (0-{definition.max_total})", points, definition.max_total, f"series-{code}"
    )


def flowsheet_chart(patient, current_assessments):
    """Inline SVG (escaped inside the chart module) for the current versions of the patient's scores."""
    secondary = tuple(
        series_of(code, current_assessments)
        for code in SELF_REPORTS
        if any(a.instrument == code for a in current_assessments)
    )
    markers = tuple(Marker(dose.at, dose.label) for dose in recent_doses([patient.pk]).get(patient.pk, []))
    svg = trend_chart(
        primary=series_of("cows", current_assessments),
        zones=cows_zones(),
        secondary=secondary,
        markers=markers,
        tz=patient.program.tz,
        title=f"Withdrawal scores of {patient.display_name}",
    )
    return mark_safe(svg)  # noqa: S308 - the chart module escapes every text it draws  # nosec: B308, B703


def craving_chart(patient, cravings):
    """The craving scores (0-10) as the primary series of the trend chart, with the MOUD doses marked."""
    markers = tuple(Marker(dose.at, dose.label) for dose in recent_doses([patient.pk]).get(patient.pk, []))
    svg = trend_chart(
        primary=series_of("craving-nrs", cravings),
        markers=markers,
        tz=patient.program.tz,
        title=f"Craving scores of {patient.display_name}",
        height=260,
    )
    return mark_safe(svg)  # noqa: S308 - the chart module escapes every text it draws  # nosec: B308, B703
