"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest.

Its own module because DRF reads DEFAULT_PARSER_CLASSES while `rest_framework.views`
is being imported, and core.api imports that module.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser

# No body of the API nests deeper than a few levels (a program's sides: 3); much deeper
# input only costs memory and, past about a thousand levels, Python's recursion limit.
MAX_JSON_DEPTH = 32


def nesting_depth(value, *, stop_after: int = MAX_JSON_DEPTH) -> int:
    """How deeply lists and objects nest in `value` (a scalar: 0, `[]`: 1, `[{}]`: 2).

    Walks without recursion, and stops counting once past `stop_after`.
    """
    deepest = 0
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        depth += 1
        if depth > deepest:
            deepest = depth
            if deepest > stop_after:
                break
        pending.extend((child, depth) for child in item)
    return deepest


def _too_deep() -> ParseError:
    return ParseError(_("JSON parse error - nested deeper than %(depth)d levels.")
                      % {"depth": MAX_JSON_DEPTH})


class JSONParser(DRFJSONParser):
    """Refuses a body nested deeper than MAX_JSON_DEPTH with 400 `parse_error`."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:  # the decoder's own limit, about a thousand levels
            raise _too_deep() from None
        if nesting_depth(data) > MAX_JSON_DEPTH:
            raise _too_deep()
        return data
