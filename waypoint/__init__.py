"""Waypoint: the clinical system of a heroin/opioid addiction treatment program."""
