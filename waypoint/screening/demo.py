"""Demo screening data (synthetic, deterministic): at each demo admission a substance use history, a
complication screen (which opens its follow-ups), a naloxone kit and overdose-prevention education."""

from datetime import timedelta

from waypoint.screening_rules.complications import HEROIN_COMPLICATIONS

from . import services

FINDINGS = ("liver_disease", "trouble_sleeping", "memory_problems", "injection_site_infection", "lung_problems")


def after_admit(episode, user, rng) -> None:
    patient, at = episode.patient, episode.admitted_at
    route = rng.choice(("injection", "smoking", "snorting"))
    services.record_history(
        acting_user=user,
        patient=patient,
        uses=[
            {
                "substance": "heroin",
                "routes": [route],
                "frequency": "daily",
                "age_first_use": rng.randrange(16, 22),
                "last_use": at - timedelta(hours=rng.randrange(6, 30)),
            }
        ]
        + ([{"substance": "benzodiazepines", "routes": ["oral"], "frequency": "weekly"}] if rng.random() < 0.3 else []),
        fentanyl_xylazine=rng.choice(("no", "suspected", "known")),
        uses_alone=rng.random() < 0.4,
    )
    answers = dict.fromkeys(HEROIN_COMPLICATIONS.keys, "absent")
    answers[rng.choice(FINDINGS)] = "present"
    services.record_screen(acting_user=user, patient=patient, answers=answers, taken_at=at + timedelta(hours=2))
    services.dispense_naloxone(
        acting_user=user,
        patient=patient,
        dispensed_at=at + timedelta(hours=3),
        formulation="nasal_4mg",
        strength="4 mg per spray",
        quantity=2,
    )
    services.record_education(acting_user=user, patient=patient, given_at=at + timedelta(hours=3))
