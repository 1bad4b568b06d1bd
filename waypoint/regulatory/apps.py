from django.apps import AppConfig


class RegulatoryConfig(AppConfig):
    name = "waypoint.regulatory"
    label = "regulatory"
    verbose_name = "Regulatory duties: signed consents, breach response, central registry, PDMP"

    def ready(self):
        from django.db.models.signals import post_save

        from waypoint.medication import services as medication
        from waypoint.patients import chart_sections, services

        from . import settings  # noqa: F401 - declares the program settings
        from .pdmp import before_order
        from .registry import on_episode, on_hold_saved, on_order
        from .sections import consent_review, dual_enrollment
        from .telemedicine import before_order as telemedicine_conditions
        from .telemedicine import on_order as telemedicine_link

        chart_sections.HEADER.append(consent_review)
        chart_sections.HEADER.append(dual_enrollment)  # the answer at admission about another program
        services.EPISODE_HOOKS.append(on_episode)  # central-registry reports of admissions and discharges
        medication.ORDER_CHECKS["pdmp"] = before_order  # the program's PDMP rule before a controlled substance
        medication.ORDER_HOOKS.append(on_order)  # central-registry reports of dose changes
        # buprenorphine by telemedicine: the program's conditions, then the encounter and check linked to the order
        medication.ORDER_CHECKS["telemedicine"] = telemedicine_conditions
        medication.ORDER_HOOKS.append(telemedicine_link)
        # interruption and resumption: the first hold on the patient's doses at the window, the lift of the last
        post_save.connect(on_hold_saved, sender="dispensing.Hold", dispatch_uid="regulatory.registry.hold")
