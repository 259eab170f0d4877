"""A custodian reveals one protected applicant by clicks, with a reason; the person then
sees who, when and why on their data page (1280 px and 390 px)."""

import datetime

import pytest
from playwright.sync_api import expect

from exchanges.models import Reveal
from tests.e2e.conftest import screenshot, sign_in
from tests.factories import (
    PASSWORD,
    ApplicationFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    program_with_sides,
)

pytestmark = pytest.mark.django_db(transaction=True)

REASON = "A threat was reported against her; we must call her today."


@pytest.mark.parametrize("viewport", ["page", "phone"])
def test_a_custodian_reveals_a_protected_person_and_the_person_sees_it(viewport, request):
    browser_page = request.getfixturevalue(viewport)
    width = "1280" if viewport == "page" else "390"
    organization = OrganizationFactory(name="Bridges", identity_protection=True)
    custodian = UserFactory(email="keeper@example.org", display_name="Keeper")
    MembershipFactory(organization=organization, user=custodian, role="custodian")
    program = program_with_sides("North", "South", organization=organization,
                                 title="Nicosia dialogue")
    person = UserFactory(email="amira@example.org", display_name="Blue Heron",
                         legal_name="Amira Haddad", birth_date=datetime.date(1994, 3, 2))
    ApplicationFactory(program=program, side=program.sides.first(), applicant=person)

    # The custodian sees the pseudonym only, and reveals by clicks with a reason.
    sign_in(browser_page, "keeper@example.org", PASSWORD)
    browser_page.goto(f"/programs/{program.pk}/applications/")
    main = browser_page.locator("#main")
    expect(main).to_contain_text("Blue Heron")
    expect(main).not_to_contain_text("amira@example.org")
    expect(main).not_to_contain_text("Amira Haddad")
    screenshot(browser_page, f"identity-applications-{width}")
    main.get_by_role("link", name="Reveal identity of Blue Heron").click()
    browser_page.get_by_role("button", name="Reveal the identity").click()
    expect(browser_page.locator(".errorlist")).to_be_visible()  # no reason: refused
    browser_page.get_by_label("Why do you need to see this person's identity?").fill(REASON)
    browser_page.get_by_role("button", name="Reveal the identity").click()
    revealed = browser_page.locator(".revealed")
    expect(revealed).to_contain_text("Amira Haddad")
    expect(revealed).to_contain_text("amira@example.org")
    screenshot(browser_page, f"identity-revealed-{width}")
    assert list(Reveal.objects.order_by("id").values_list("outcome", flat=True)) == [
        "refused", "revealed"]

    # Back on the list, the identity is hidden again.
    browser_page.get_by_role("link", name="Back to the applications").click()
    expect(browser_page.locator("#main")).not_to_contain_text("amira@example.org")

    # The person sees who revealed it, when and why.
    browser_page.context.clear_cookies()
    sign_in(browser_page, "amira@example.org", PASSWORD)
    browser_page.goto("/me/data/")
    section = browser_page.locator("section", has=browser_page.get_by_role(
        "heading", name="Who revealed my identity"))
    expect(section).to_contain_text("Keeper (custodian)")
    expect(section).to_contain_text(REASON)
    expect(section).to_contain_text("Bridges")
    screenshot(browser_page, f"identity-my-data-{width}")
