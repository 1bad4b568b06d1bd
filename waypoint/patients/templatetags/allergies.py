"""`{% allergy_summary patient %}`: the patient's drug allergies as every medication page shows them."""

from django import template

from waypoint.patients.allergies import allergy_header

register = template.Library()


@register.inclusion_tag("patients/_allergies.html")
def allergy_summary(patient):
    return allergy_header(None, patient)[1]
