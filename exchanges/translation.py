"""Which program texts staff write in several languages (see core.content)."""

from modeltranslation.translator import TranslationOptions, translator

from core import content
from exchanges.models import Program, Side


class ProgramTexts(TranslationOptions):
    fields = ("title", "summary", "description")


class SideTexts(TranslationOptions):
    fields = ("name",)


translator.register(Program, ProgramTexts)
translator.register(Side, SideTexts)
content.install(Program, ProgramTexts.fields)
content.install(Side, SideTexts.fields)
