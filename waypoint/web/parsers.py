"""The API's JSON parser, with limits checked before parsing: body size and nesting depth.

Python's JSON decoder recurses once per level, so a body nested 100,000 deep would end in a RecursionError (500),
and DRF reads a body of any size. No Waypoint record needs more than a few levels or a few kilobytes; the
limits below leave a wide margin and are named in the 400 answer.
"""

import io
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_BODY_BYTES = 1024 * 1024
MAX_NESTING = 32
STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def nesting_depth(body: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= MAX_NESTING:
        return 0  # cannot nest deeper than the limit: nothing to scan
    depth = deepest = 0
    for match in STRING_OR_BRACKET.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                break
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(body) > MAX_BODY_BYTES:
            raise ParseError(f"The body is larger than {MAX_BODY_BYTES // 1024} KiB, the limit of this API.")
        if nesting_depth(body) > MAX_NESTING:
            raise ParseError(f"The JSON nests deeper than {MAX_NESTING} levels, the limit of this API.")
        return super().parse(io.BytesIO(body), media_type, parser_context)
