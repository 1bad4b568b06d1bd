"""`column IN (ids)` with the ids as one parameter, for the long id lists of one page (the board's 500 patients).

Django's `__in` prepares, adapts and writes a placeholder for each value: with 500 patient ids that was some 3 ms
of CPU per query, and the board sends its patients to three such queries (doses, comfort lines, CIWA-Ar). Here the
ids are one parameter: an array on PostgreSQL (`= ANY(%s::bigint[])`, sent as its text), a JSON list on SQLite
(`IN (SELECT value FROM json_each(%s))`). Use it as a filter expression: `.filter(AmongIds(F("patient_id"), ids))`.
"""

import json

from django.db.models import Lookup


class AmongIds(Lookup):
    lookup_name = "among_ids"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            # the array's text form ('{1,2,3}', whole numbers only): psycopg dumps a list item by item in Python
            return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, "{" + ",".join(map(str, self.rhs)) + "}"]
        # lhs is the column Django compiled; the ids are a parameter (whole numbers, get_prep_lookup)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(self.rhs)]  # nosec B608
