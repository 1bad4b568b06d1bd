import uuid

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def form_token():
    """A one-time token: the form is saved once however many times it is sent (waypoint.reliability)."""
    return format_html('<input type="hidden" name="form_token" value="{}">', uuid.uuid4().hex)
