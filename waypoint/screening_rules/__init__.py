"""Intake screening knowledge, pure Python (no Django): the health-complication screen of heroin use
(complications.py), its one follow-up table (followups.py) and the overdose-risk rule table (overdose.py).
"""
