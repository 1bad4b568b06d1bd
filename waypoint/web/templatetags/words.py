"""Program settings named in words on a page: `{% setting_words "treatment.review_interval_days" %}`."""

from django import template

from waypoint.accounts.program_settings import REGISTRY

register = template.Library()


@register.simple_tag
def setting_words(key: str) -> str:
    """The setting's name as a clinician reads it (never its key); an unknown key is a programming error."""
    return f"program setting \u201c{REGISTRY[key].words}\u201d"
