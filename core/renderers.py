"""The API's JSON renderer: DRF's output, written by orjson.

Encoding a page of the program list with the standard library took as long as reading
its rows from PostgreSQL; orjson writes the same JSON several times faster. The text
is DRF's compact, unescaped UTF-8 with U+2028 and U+2029 escaped; a value orjson does
not know (a lazy translation, a Decimal, a datetime, a queryset) goes through DRF's own
encoder, so it reads as DRF writes it. Where the two could differ, DRF writes it:
indented output (`Accept: application/json; indent=2`), non-default JSON settings, a
value orjson refuses (an integer past 64 bits). Floats are the same numbers, the
shortest form that reads back exactly (orjson writes 1e-05 as 0.00001).

Its own module because DRF reads DEFAULT_RENDERER_CLASSES while `rest_framework.views`
is being imported.
"""

import orjson
from rest_framework import renderers
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
_default = JSONEncoder().default


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        indent = self.get_indent(accepted_media_type, renderer_context or {})
        if data is None or indent is not None or not _drf_defaults(self):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            text = orjson.dumps(data, default=_default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF does: these two are valid JSON but end a line in JavaScript.
        return text.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


def _drf_defaults(renderer) -> bool:
    """Whether DRF would write compact, unescaped JSON refusing NaN (what orjson writes,
    except that it writes NaN as null: Parley's API never returns NaN)."""
    return (renderer.encoder_class is JSONEncoder and renderer.ensure_ascii is False
            and renderer.compact and api_settings.STRICT_JSON)
