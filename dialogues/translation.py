"""Which session texts staff write in several languages (see core.content)."""

from modeltranslation.translator import TranslationOptions, translator

from core import content
from dialogues.models import Session


class SessionTexts(TranslationOptions):
    fields = ("title", "ground_rules")


translator.register(Session, SessionTexts)
content.install(Session, SessionTexts.fields)
