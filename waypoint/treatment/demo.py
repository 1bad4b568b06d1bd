"""Demo treatment data (synthetic, deterministic): the program's two templates, signed plans from the Residential
template for a few residential patients, a group session yesterday with attendance and its note, and this week's
schedule."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from waypoint.patients.models import LevelOfCareStay

from . import services

RESIDENTIAL = {
    "problems": [
        {
            "description": "Opioid use disorder: daily heroin/fentanyl use",
            "diagnosis": "F11.20",
            "goals": [
                {
                    "text": "",
                    "objectives": [
                        {"text": "Attend at least 4 of 5 relapse-prevention groups each week", "target_days": 14},
                        {
                            "text": "Write a relapse-prevention plan naming three triggers and a response to each",
                            "target_days": 21,
                        },
                    ],
                }
            ],
            "interventions": [
                {"modality": "relapse_prevention", "frequency": "5 times a week, 60 minutes"},
                {"modality": "individual_therapy", "frequency": "weekly, 50 minutes"},
                {"modality": "moud", "frequency": "daily, as ordered"},
            ],
        },
        {
            "description": "Overdose risk after loss of tolerance",
            "diagnosis": "",
            "goals": [
                {
                    "text": "",
                    "objectives": [
                        {"text": "Carry naloxone and show one support person where it is", "target_days": 7}
                    ],
                }
            ],
            "interventions": [
                {"modality": "case_management", "frequency": "twice a week"},
                {"modality": "mindfulness", "frequency": "daily, 20 minutes"},
            ],
        },
    ]
}
OUTPATIENT = {
    "problems": [
        {
            "description": "Opioid use disorder, early recovery in the community",
            "diagnosis": "F11.20",
            "goals": [
                {
                    "text": "",
                    "objectives": [{"text": "Attend 3 IOP groups a week with no unexcused absence", "target_days": 28}],
                }
            ],
            "interventions": [
                {"modality": "group_therapy", "frequency": "3 times a week, 3 hours"},
                {"modality": "peer_recovery_support", "frequency": "weekly"},
                {"modality": "contingency_management", "frequency": "with each drug screen"},
            ],
        }
    ]
}
GOALS = (
    "I want to see my kids on weekends again",
    "Stop waking up sick every morning",
    "Keep my job and my apartment",
    "Not die like my cousin did",
)
SAFETY_GOALS = ("Never use alone again", "Keep Narcan in my bag and tell my sister")


def build(program, users, rng) -> None:
    director, nurse, counselor = users["director"], users["nurse"], users["counselor"]
    residential = services.save_template(
        acting_user=director,
        program=program,
        name="Residential",
        level_codes=[c for c in ("3.7-WM", "3.5") if program.levels.filter(code=c).exists()],
        body=RESIDENTIAL,
    )
    if program.levels.filter(code__in=("2.1", "2.5")).exists():
        services.save_template(
            acting_user=director,
            program=program,
            name="Intensive outpatient",
            level_codes=[c for c in ("2.1", "2.5") if program.levels.filter(code=c).exists()],
            body=OUTPATIENT,
        )
    stays = list(
        LevelOfCareStay.objects.filter(program=program, ended_at__isnull=True, level_code="3.5")
        .select_related("patient")
        .order_by("patient__mrn")[:3]
    )
    people = [stay.patient for stay in stays]
    for n, patient in enumerate(people[:2]):
        plan = services.start_plan(
            acting_user=counselor, patient=patient, template=residential, responsible=counselor.pk
        )
        body = plan.body
        body["problems"][0]["goals"][0]["text"] = GOALS[n % len(GOALS)]
        body["problems"][1]["goals"][0]["text"] = SAFETY_GOALS[n % len(SAFETY_GOALS)]
        body["problems"][0]["interventions"][2]["responsible"] = users["prescriber"].pk
        body["problems"][0]["screen_findings"] = list(services.present_findings(patient))[:1]
        plan = services.save_draft(acting_user=counselor, plan=plan, body=body, revision=plan.revision)
        plan = services.sign_plan(acting_user=counselor, plan=plan, revision=plan.revision)
        services.acknowledge_plan(
            acting_user=counselor, plan=plan, attested=True, patient_name=f"{patient.given_name} {patient.family_name}"
        )
    today = timezone.localdate(timezone=program.tz)
    yesterday = timezone.make_aware(datetime.combine(today - timedelta(days=1), time(10, 0)), program.tz)
    group = services.schedule_session(
        acting_user=counselor,
        program=program,
        kind="group",
        modality="relapse_prevention",
        topic="Triggers and the weekend plan",
        facilitator=counselor,
        room="Group room B",
        starts_at=yesterday,
        ends_at=yesterday + timedelta(hours=1),
    )
    statuses = ("present", "late", "absent_excused")
    for patient, status in zip(people, statuses, strict=False):
        services.add_to_roster(acting_user=counselor, session=group, patient=patient)
        services.mark_attendance(acting_user=counselor, session=group, patient=patient, status=status)
    parts = {
        p.pk: text
        for p, text in zip(
            people,
            (
                "Named payday and an old friend's street as triggers; practised urge surfing.",
                "Arrived 15 minutes late (dosing line); shared a plan to call a peer on Saturday.",
            ),
            strict=False,
        )
    }
    services.write_group_note(
        acting_user=counselor,
        session=group,
        entries=parts,
        body="The group mapped personal triggers and practised urge surfing; each member "
        "named one person to call over the weekend.",
    )
    monday = today - timedelta(days=today.weekday())
    for day, hour, modality, topic, room in (
        (0, 10, "relapse_prevention", "Coping with cravings", "Group room B"),
        (1, 14, "art", "Collage: my recovery map", "Art studio"),
        (2, 10, "cbt", "Thoughts, feelings, actions", "Group room A"),
        (3, 15, "movement_adventure", "Walk and talk", "Garden"),
        (4, 10, "mindfulness", "Body scan", "Quiet room"),
    ):
        start = timezone.make_aware(datetime.combine(monday + timedelta(days=day), time(hour, 0)), program.tz)
        if start.date() == yesterday.date():
            continue
        session = services.schedule_session(
            acting_user=nurse,
            program=program,
            kind="group",
            modality=modality,
            topic=topic,
            facilitator=counselor,
            room=room,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
        for patient in people:
            services.add_to_roster(acting_user=nurse, session=session, patient=patient)
