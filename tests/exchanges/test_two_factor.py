import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from exchanges.models import ActivityLog

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


@pytest.fixture
def strict_org(org):
    org.require_two_factor = True
    org.save()
    return org


def test_members_of_organizations_without_the_rule_sign_in_with_a_password(client, org, alice):
    client.force_login(alice)
    assert client.get("/").status_code == 200


def test_member_must_set_up_an_authenticator_first(client, strict_org, alice):
    client.force_login(alice)
    response = client.get("/orgs/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/?next=/orgs/"


def test_wrong_code_does_not_confirm_the_device(client, strict_org, alice):
    client.force_login(alice)
    client.get("/account/two-factor/")
    response = client.post("/account/two-factor/", {"token": "000000", "next": "/"})
    assert response.status_code == 200
    assert "That code did not match." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=alice, confirmed=True).exists()


def test_setup_with_a_valid_code_then_verify_on_every_new_sign_in(client, strict_org, alice):
    client.force_login(alice)
    assert client.get("/account/two-factor/").status_code == 200
    assert client.get("/account/two-factor/qr.svg")["Content-Type"] == "image/svg+xml"
    device = TOTPDevice.objects.get(user=alice)
    response = client.post("/account/two-factor/", {"token": code_for(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert ActivityLog.objects.filter(verb="two_factor.enabled", actor=alice).exists()

    client.logout()
    client.force_login(alice)
    assert client.get("/")["Location"] == "/account/two-factor/verify/?next=/"
    device.refresh_from_db()
    response = client.post("/account/two-factor/verify/",
                           {"token": code_for(device, offset_steps=1), "next": "/"})
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_session_api_calls_wait_for_verification(client, strict_org, alice):
    client.force_login(alice)
    response = client.get("/api/v1/organizations/")
    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"


def test_next_cannot_send_the_person_to_another_site(client, strict_org, alice):
    client.force_login(alice)
    client.get("/account/two-factor/")
    device = TOTPDevice.objects.get(user=alice)
    response = client.post("/account/two-factor/",
                           {"token": code_for(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"
