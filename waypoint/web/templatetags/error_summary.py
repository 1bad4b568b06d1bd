"""The error summary every form shows at its top: each problem in words, with a link to its field."""

from django import template

register = template.Library()


def field_anchor(field) -> str:
    """The id of the control a link should land on (the first option of a radio or checkbox group)."""
    if getattr(field.field.widget, "input_type", "") in ("radio", "checkbox") and hasattr(field.field, "choices"):
        return f"{field.auto_id}_0"
    return field.auto_id


@register.inclusion_tag("web/_error_summary.html")
def error_summary(form):
    """`{% error_summary form %}`: the form's problems, field by field in the form's order, then the others."""
    problems = []
    if form is not None and form.errors:
        for field in form:
            for message in field.errors:
                anchor = "" if field.is_hidden else field_anchor(field)
                problems.append({"label": field.label, "message": message, "anchor": anchor})
        problems += [{"label": "", "message": message, "anchor": ""} for message in form.non_field_errors()]
    return {"problems": problems}
