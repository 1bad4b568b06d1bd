"""Which programs are the demo's: the sign-in page's demo shortcut (two_factor.py) and the demo data
(patients/demo.py) both ask here."""

from .models import Program

DEMO_SLUGS = ("demo", "demo-north")


def is_demo_only() -> bool:
    """True when the database holds nothing but the demo programs (or nothing at all)."""
    return not Program.objects.exclude(slug__in=DEMO_SLUGS).exists()
