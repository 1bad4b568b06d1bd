"""Fixtures of the treatment tests: a counselor on the patient's care team, a plan body, a template."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import make_user
from waypoint.accounts.models import Role
from waypoint.treatment import services


@pytest.fixture
def counselor(program, team):
    return make_user("team-counselor", program, Role.COUNSELOR, team)


def body(responsible, *, target="2026-12-31"):
    return {
        "problems": [
            {
                "id": "p1",
                "description": "Daily heroin injection with two overdoses this year",
                "diagnosis": "F11.20",
                "goals": [
                    {
                        "id": "g1",
                        "text": "I want to stay alive and get my kids back",
                        "objectives": [
                            {
                                "id": "o1",
                                "text": "Attend 4 of 5 relapse-prevention groups each week",
                                "target_date": target,
                            },
                            {"id": "o2", "text": "Name three triggers and a plan for each", "target_date": target},
                        ],
                    }
                ],
                "interventions": [
                    {
                        "id": "i1",
                        "modality": "relapse_prevention",
                        "frequency": "5 times a week, 60 minutes",
                        "responsible": responsible.pk,
                    },
                    {
                        "id": "i2",
                        "modality": "individual_therapy",
                        "frequency": "weekly, 50 minutes",
                        "responsible": responsible.pk,
                    },
                ],
            }
        ]
    }


TEMPLATE = {
    "problems": [
        {
            "description": "Opioid use disorder",
            "diagnosis": "F11.20",
            "goals": [
                {
                    "text": "(patient's words)",
                    "objectives": [{"text": "Attend every scheduled group for two weeks", "target_days": 14}],
                }
            ],
            "interventions": [
                {"modality": "group_therapy", "frequency": "daily"},
                {"modality": "cbt", "frequency": "twice a week"},
            ],
        }
    ]
}


@pytest.fixture
def template(program, director):
    return services.save_template(
        acting_user=director, program=program, name="Residential", level_codes=["3.5", "3.7-WM"], body=TEMPLATE
    )


@pytest.fixture
def signed_plan(admitted, patient, counselor):
    plan = services.start_plan(acting_user=counselor, patient=patient)
    plan = services.save_draft(acting_user=counselor, plan=plan, body=body(counselor), revision=plan.revision)
    return services.sign_plan(acting_user=counselor, plan=plan, revision=plan.revision)


def hours_ago(n):
    return timezone.now() - timedelta(hours=n)
