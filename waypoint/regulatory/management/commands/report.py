"""`waypoint report teds --period YYYY-MM [--state XX]`: the month's TEDS records for the state."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from waypoint.accounts.models import Program
from waypoint.accounts.scoping import program_scope
from waypoint.audit import trail as audit
from waypoint.patients.models import Patient
from waypoint.regulatory import teds


class Command(BaseCommand):
    help = (
        "State reports. `waypoint report teds --period 2026-11` writes the TEDS admission and discharge records of "
        "that month (program time zone) through the state's crosswalk (--state, default the sample crosswalk, "
        "which is not any state's format), as JSON or CSV, complete records only; the records held back for a "
        "missing field are listed on stderr with what is missing. The export is audited."
    )

    def add_arguments(self, parser):
        parser.add_argument("subcommand", choices=["teds"])
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument("--state", default="sample", help="the crosswalk: a state's code or 'sample'")
        parser.add_argument("--program", help="program slug (needed when there are several programs)")
        parser.add_argument("--format", dest="fmt", choices=teds.FORMATS, default="json")
        parser.add_argument("--output", metavar="FILE", help="write here instead of standard output")

    def handle(self, *args, subcommand, period, state, program, fmt, output, **options):
        audit.current_channel.set("command")
        chosen = self.program(program)
        try:
            month = teds.Period.parse(period)
            crosswalk = teds.load(state)
            with program_scope(chosen.pk):
                # sanctioned: every patient of the program (the command reports for the program), inside its scope
                report = teds.build(chosen, month, crosswalk, Patient.objects.filter(program=chosen))
                content = teds.export(None, report, fmt)
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        if output:
            Path(output).write_text(content, encoding="utf-8")
        else:
            self.stdout.write(content, ending="")
        counts = report.counts()
        self.stderr.write(
            f"{crosswalk.title}, {month}: {counts['admission']['complete']} of {counts['admission']['total']} "
            f"admissions and {counts['discharge']['complete']} of {counts['discharge']['total']} discharges exported"
        )
        for record in report.work_list:
            missing = ", ".join(m.label for m in record.missing)
            day = record.at.astimezone(chosen.tz)
            self.stderr.write(f"held back: {record.patient.mrn} {record.kind} {day:%Y-%m-%d}: missing {missing}")

    def program(self, slug: str | None) -> Program:
        if slug:
            found = Program.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"no program {slug!r}")
            return found
        programs = list(Program.objects.all()[:2])
        if len(programs) != 1:
            raise CommandError("name the program with --program SLUG")
        return programs[0]
