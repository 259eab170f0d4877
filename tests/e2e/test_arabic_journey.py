"""On a phone, in Arabic: switch the language, apply to a program, say yes to a session.

Every page is right to left and shows no English text of ours (tests/i18n/test_no_english
has the pieces of our English); screenshots at 390 px land in test-artifacts/screenshots/.
"""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core import content
from dialogues.models import RSVP
from exchanges import services
from exchanges.models import Application
from participants.models import User
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    MembershipFactory,
    OrganizationFactory,
    SessionFactory,
    UserFactory,
    program_with_sides,
)
from tests.i18n.test_no_english import OURS, _undetectable, shown, visible_text

pytestmark = pytest.mark.django_db(transaction=True)


def assert_speaks(page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    text = visible_text(page.content())
    skip = _undetectable(lang)
    english = sorted(p for p in OURS if p not in skip and len(p) > 3 and shown(text, p))
    assert english == [], page.url


@pytest.fixture
def program():
    """Written in English first, then in Arabic and Hebrew: readers of those two see
    their own language (core.content) and no English of the program's either."""
    organization = OrganizationFactory(name="جسور من أجل السلام", slug="jusur")
    staff = UserFactory(email="staff@example.org", display_name="ستيلا", language="ar")
    MembershipFactory(organization=organization, user=staff, role="owner")
    program = program_with_sides("Greek Cypriots", "Turkish Cypriots",
                                 organization=organization, title="Nicosia dialogue",
                                 summary="Monthly meetings of the two sides.",
                                 location="نيقوسيا", languages=["en", "ar", "he"],
                                 description="We meet once a month.\n\nNicosia, 2026.")
    write(program, title={"ar": "حوار نيقوسيا", "he": "דיאלוג ניקוסיה"},
          summary={"ar": "لقاءات شهرية بين الطرفين.", "he": "מפגשים חודשיים בין הצדדים."},
          description={"ar": "نلتقي مرة في الشهر.\n\nNicosia, 2026.",
                       "he": "נפגשים פעם בחודש.\n\nNicosia, 2026."})
    greek, turkish = program.sides.all()
    write(greek, name={"ar": "القبارصة اليونانيون", "he": "הקפריסאים היוונים"})
    write(turkish, name={"ar": "القبارصة الأتراك", "he": "הקפריסאים הטורקים"})
    session = SessionFactory(program=program, title="What frightens us",
                             confidentiality="chatham_house", location="بيت التعاون",
                             ground_rules="We listen without interrupting.",
                             starts_at=timezone.now() + dt.timedelta(days=10))
    write(session, title={"ar": "ما الذي يخيفنا", "he": "ממה אנחנו חוששים"},
          ground_rules={"ar": "نستمع دون مقاطعة.", "he": "מקשיבים בלי להפריע."})
    return program


def write(obj, **texts) -> None:
    content.write(obj, texts, main="en")
    obj.save()


ENGLISH_CONTENT = ["Nicosia dialogue", "Monthly meetings", "Greek Cypriots",
                   "Turkish Cypriots", "What frightens us", "We listen", "We meet"]


def assert_no_english_content(page) -> None:
    """The program's English (its main language) stays hidden: every text is translated."""
    text = visible_text(page.content())
    assert [words for words in ENGLISH_CONTENT if words in text] == [], page.url
    expect(page.locator(".content-lang")).to_have_count(0)


def test_arabic_participant_applies_and_says_yes_on_a_phone(phone, program):
    UserFactory(email="nur@example.org", display_name="نور", language="en",
                timezone="Asia/Nicosia")
    sign_in(phone, "nur@example.org", PASSWORD)

    # The footer switcher: Arabic from now on, saved to the profile.
    phone.goto("/programs/")
    phone.locator("#footer-language").select_option("ar")
    phone.locator(".lang-form button").click()
    phone.wait_for_load_state()
    assert User.objects.get(email="nur@example.org").language == "ar"
    expect(phone.get_by_role("heading", name="البرامج", exact=True)).to_be_visible()
    assert_speaks(phone, "ar")
    assert_no_english_content(phone)
    screenshot(phone, "ar-catalogue-390")

    # Apply for a side.
    phone.get_by_role("link", name="حوار نيقوسيا").click()
    assert_speaks(phone, "ar")
    assert_no_english_content(phone)
    expect(phone.locator("h1 bdi")).to_have_attribute("lang", "ar")
    phone.get_by_label("القبارصة الأتراك").check()
    phone.get_by_label("لماذا تريد المشاركة؟").fill("أريد أن أستمع.")
    screenshot(phone, "ar-program-390")
    phone.get_by_role("button", name="تقديم طلب").click()
    expect(phone.get_by_text("أُرسل طلبك.")).to_be_visible()
    assert_speaks(phone, "ar")
    application = Application.objects.get(applicant__email="nur@example.org")
    services.application_accept(application=application,
                                actor=User.objects.get(email="staff@example.org"))

    phone.goto("/me/programs/")
    expect(phone.get_by_text("مقبول").first).to_be_visible()
    assert_speaks(phone, "ar")
    screenshot(phone, "ar-my-programs-390")

    # Accept the ground rules and say yes.
    phone.goto("/me/sessions/")
    assert_speaks(phone, "ar")
    screenshot(phone, "ar-my-sessions-390")
    phone.get_by_role("link", name="ما الذي يخيفنا").click()
    phone.get_by_label("أوافق على القواعد الأساسية").check()
    phone.get_by_role("button", name="نعم، سأحضر").click()
    expect(phone.get_by_text("ردّك: نعم، ستحضر.")).to_be_visible()
    assert_speaks(phone, "ar")
    assert_no_english_content(phone)
    expect(phone.locator(".ground-rules")).to_have_attribute("lang", "ar")
    screenshot(phone, "ar-session-390")
    assert RSVP.objects.get(participant__email="nur@example.org").response == "yes"

    phone.goto("/me/data/")
    assert_speaks(phone, "ar")
    screenshot(phone, "ar-my-data-390")


def test_hebrew_main_pages_on_a_phone(phone, program):
    UserFactory(email="dana@example.org", display_name="Dana", language="he",
                timezone="Asia/Jerusalem")
    phone.context.set_extra_http_headers({"Accept-Language": "he"})
    phone.goto("/accounts/login/")
    assert_speaks(phone, "he")
    screenshot(phone, "he-sign-in-390")
    phone.get_by_label("דוא״ל").fill("dana@example.org")
    phone.get_by_label("סיסמה").fill(PASSWORD)
    phone.get_by_role("button", name="התחברות").click()
    phone.wait_for_load_state()
    for name, path in [("home", "/"), ("catalogue", "/programs/"),
                       ("program", f"/programs/{program.pk}/"),
                       ("session", f"/sessions/{program.sessions.get().pk}/")]:
        phone.goto(path)
        assert_speaks(phone, "he")
        assert_no_english_content(phone)
        screenshot(phone, f"he-{name}-390")


def test_sign_up_starts_in_the_browsers_language_and_timezone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="tr-TR",
                                  timezone_id="Asia/Nicosia",
                                  viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/accounts/signup/")
    expect(page.locator("html")).to_have_attribute("lang", "tr")
    expect(page.get_by_label("Saat dilimi")).to_have_value("Asia/Nicosia")
    page.get_by_label("E-posta").fill("deniz@example.org")
    page.get_by_label("Görünen ad").fill("Deniz")
    page.get_by_label("Parola", exact=True).fill(PASSWORD)
    page.get_by_label("Parola (tekrar)").fill(PASSWORD)
    page.get_by_label("Kullanım koşullarını kabul ediyorum").check()
    screenshot(page, "tr-sign-up-390")
    page.get_by_role("button", name="Hesabımı oluştur").click()
    page.wait_for_load_state()
    context.close()
    person = User.objects.get(email="deniz@example.org")
    assert (person.language, person.timezone) == ("tr", "Asia/Nicosia")


def test_staff_write_a_translation_on_a_phone(phone, program):
    """The edit page's fieldset per language works at 390 px without JavaScript."""
    sign_in(phone, "staff@example.org", PASSWORD)
    phone.goto(f"/programs/{program.pk}/edit/")
    expect(phone.locator("html")).to_have_attribute("dir", "rtl")
    hebrew_title = phone.locator("input[name=title_he]")
    expect(hebrew_title).to_have_value("דיאלוג ניקוסיה")
    expect(hebrew_title).to_have_attribute("lang", "he")
    hebrew_title.fill("מעגלי הקשבה בניקוסיה")
    screenshot(phone, "ar-program-edit-390")
    phone.locator("form.program-form button[type=submit]").click()
    phone.wait_for_load_state()
    program.refresh_from_db()
    assert program.title_he == "מעגלי הקשבה בניקוסיה"
    assert content.main_text(program, "title") == "Nicosia dialogue"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
