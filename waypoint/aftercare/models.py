"""After discharge: the continuing-care plan recorded with every discharge, the follow-ups it schedules, each
contact attempt and what it learned, and the re-engagement tasks a return to use or an overdose opens."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scoped
from waypoint.patients.models import Episode, Patient

# The next level of care may be outside the ASAM levels: recovery support in the community after treatment.
COMMUNITY = "community"
COMMUNITY_LABEL = "Recovery support in the community (no further level of care)"


class ContinuingCarePlan(models.Model):
    """The plan a patient leaves with, recorded in the discharge's own transaction (one per episode)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="continuing_care_plans")
    episode = models.OneToOneField(Episode, on_delete=models.PROTECT, related_name="continuing_care_plan")
    # Next level of care: a level code of the program's ASAM edition, "community", or blank (declined, against advice)
    next_level = models.CharField(max_length=16, blank=True)
    asam_edition = models.PositiveSmallIntegerField()
    next_provider = models.CharField(max_length=200, blank=True)
    provider_in_program = models.BooleanField(default=False)
    appointment_at = models.DateTimeField(null=True, blank=True)
    appointment_place = models.CharField(max_length=200, blank=True)
    no_appointment_reason = models.TextField(blank=True)
    moud_continued_by = models.CharField(max_length=200, blank=True)
    moud_next_due = models.DateField(null=True, blank=True)
    moud_supplied_through = models.DateField(null=True, blank=True)
    moud_bridge = models.TextField(blank=True)
    no_moud_reason = models.TextField(blank=True)
    triggers = models.TextField(blank=True)
    coping_steps = models.TextField(blank=True)
    people_to_call = models.TextField(blank=True)
    offered = models.TextField(blank=True)  # against advice: what was offered, and the patient's answer
    crisis_contacts = models.TextField()  # the program's setting at discharge, kept as given
    # The plan sent to the next provider: a Part 2 disclosure under a consent naming that provider (privacy)
    hand_off = models.OneToOneField(
        "privacy.Disclosure", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"Continuing-care plan of {self.episode}"

    @property
    def next_level_label(self) -> str:
        from waypoint.placement.levels import UnknownLevel, level

        if self.next_level == COMMUNITY:
            return COMMUNITY_LABEL
        if not self.next_level:
            return "None agreed"
        try:
            return level(self.asam_edition, self.next_level).label
        except UnknownLevel:
            return self.next_level


class FollowUp(models.Model):
    """One scheduled follow-up of a discharge (e.g. day 7), due on a day in the program's time zone."""

    class Status(models.TextChoices):
        DUE = "due", "To do"
        DONE = "done", "Reached"
        LOST = "lost", "Lost to follow-up"
        CLOSED = "closed", "Closed"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="discharge_follow_ups")
    plan = models.ForeignKey(ContinuingCarePlan, on_delete=models.PROTECT, related_name="follow_ups")
    days_after = models.PositiveSmallIntegerField()
    due_on = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DUE)
    closed_reason = models.CharField(max_length=200, blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "days_after"], name="one_follow_up_per_day")]
        indexes = [models.Index(fields=["program", "status", "due_on"], name="follow_up_work_list")]

    def __str__(self) -> str:
        return f"Day-{self.days_after} follow-up of {self.patient}"


class FollowUpContact(models.Model):
    """One attempt to reach the patient for a follow-up, and what was learned when reached."""

    class Method(models.TextChoices):
        PHONE = "phone", "Phone call"
        TEXT = "text", "Text message"
        IN_PERSON = "in_person", "In person"
        VIDEO = "video", "Video call"

    class Answer(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        UNKNOWN = "unknown", "Not known"

    class Overdose(models.TextChoices):
        NONE = "none", "No overdose"
        NON_FATAL = "non_fatal", "Non-fatal overdose"
        FATAL = "fatal", "Died of an overdose"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="follow_up_contacts")
    follow_up = models.ForeignKey(FollowUp, on_delete=models.PROTECT, related_name="contacts")
    at = models.DateTimeField()
    method = models.CharField(max_length=10, choices=Method.choices)
    reached = models.BooleanField()
    attended_next = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    moud_continued = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    used_since = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    substance = models.CharField(max_length=100, blank=True)
    used_on = models.DateField(null=True, blank=True)
    overdose = models.CharField(max_length=10, choices=Overdose.choices, blank=True)
    naloxone_used = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    naloxone_by = models.CharField(max_length=100, blank=True)
    readmitted = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    died = models.BooleanField(default=False)  # a death reported, of any cause (a fatal overdose is one)
    concerns = models.TextField(blank=True)  # housing and safety
    wants_to_come_back = models.CharField(max_length=8, choices=Answer.choices, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = program_scoped()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"Follow-up contact {self.at:%Y-%m-%d} with {self.patient}"


class ReEngagementTask(models.Model):
    """Work a reported return to use or overdose opens: call, invite back, waitlist priority."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="re_engagement_tasks")
    contact = models.ForeignKey(FollowUpContact, on_delete=models.PROTECT, related_name="tasks")
    reason = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = program_scoped()

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return f"Re-engagement of {self.patient}: {self.reason}"


class SentinelEvent(models.Model):
    """A death reported after discharge: it closes the discharge's follow-up and flags the director, who records
    the review."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sentinel_events")
    plan = models.ForeignKey(ContinuingCarePlan, on_delete=models.PROTECT, related_name="sentinel_events")
    contact = models.OneToOneField(FollowUpContact, on_delete=models.PROTECT, related_name="sentinel_event")
    what = models.CharField(max_length=200)
    reported_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review = models.TextField(blank=True)

    objects = program_scoped()

    class Meta:
        ordering = ["-reported_at", "-id"]

    def __str__(self) -> str:
        return f"Sentinel event: {self.what} ({self.patient})"
