"""How many wait on each work list, for the Work lists page: counted with the list's own rule over the patients the
user may see (the lists themselves say who; the count names nobody)."""

from waypoint.aftercare.models import ReEngagementTask
from waypoint.aftercare.services import work_list as after_discharge_lists
from waypoint.patients.access import visible_patients
from waypoint.patients.queries import unassigned_count
from waypoint.screening.models import FollowUp
from waypoint.treatment.due import due_for


def follow_ups(user, program) -> int:
    """Screening follow-ups still open (due or ordered)."""
    return FollowUp.objects.filter(
        program=program, status__in=FollowUp.OPEN, patient__in=visible_patients(user, program)
    ).count()


def after_discharge(user, program) -> int:
    """Follow-up contacts due today or overdue, and open re-engagement tasks."""
    patients = visible_patients(user, program)
    lists = after_discharge_lists(patients, program.today())
    tasks = ReEngagementTask.objects.filter(patient__in=patients, status=ReEngagementTask.Status.OPEN).count()
    return len(lists["today"]) + len(lists["overdue"]) + tasks


def plan_reviews(user, program) -> int:
    """Treatment plans to write or review now."""
    return len(due_for(program, visible_patients(user, program)))


def on_no_care_team(user, program) -> int:
    """Admitted patients no team covering their level looks after (the list names them to every clinician)."""
    return unassigned_count(program)  # the list's own rule, counted without reading the patients it would name
