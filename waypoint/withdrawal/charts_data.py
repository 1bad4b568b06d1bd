"""The flowsheet's trend chart: COWS with its severity bands, self-reports in a panel of their own underneath."""

from django.utils.safestring import mark_safe

from waypoint.scales import get_instrument

from .board import recent_doses
from .charts import Marker, Point, Series, Zone, trend_chart

SELF_REPORTS = ("sows-handelsman", "sows-gossop", "craving-nrs")
# The chart is drawn for a desk, a tablet and a phone; the stylesheet shows the one that fits the screen, so its
# text stays legible (a 960-wide drawing shrunk onto a phone has 4 px letters).
# Other areas register `(patient) -> [Marker, ...]`: marks of their own on the withdrawal trend chart, one query
# each (waypoint/comfort: the as-needed comfort doses, kind "prn"). They do not shorten the COWS interval.
MARKER_SOURCES: list = []
WIDTHS = (("wide", 960), ("tablet", 640), ("phone", 360))


def at_every_width(**chart):
    """The trend chart drawn at each of WIDTHS, each in its own box; safe HTML (the chart module escapes)."""
    drawings = (
        f'<div class="chart-fit chart-fit-{name}">{trend_chart(width=width, **chart)}</div>' for name, width in WIDTHS
    )
    return mark_safe("".join(drawings))  # noqa: S308 - the chart module escapes every text it draws  # nosec: B308, B703


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
    markers += tuple(marker for source in MARKER_SOURCES for marker in source(patient))
    return at_every_width(
        primary=series_of("cows", current_assessments),
        zones=cows_zones(),
        secondary=secondary,
        markers=markers,
        tz=patient.program.tz,
        title=f"Withdrawal scores of {patient.display_name}",
        height=420 if secondary else 340,  # the self-reports' own panel under the COWS
    )


def craving_chart(patient, cravings):
    """The craving scores (0-10) as the primary series of the trend chart, with the MOUD doses marked."""
    markers = tuple(Marker(dose.at, dose.label) for dose in recent_doses([patient.pk]).get(patient.pk, []))
    return at_every_width(
        primary=series_of("craving-nrs", cravings),
        markers=markers,
        tz=patient.program.tz,
        title=f"Craving scores of {patient.display_name}",
        height=260,
    )
