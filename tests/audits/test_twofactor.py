"""The TOTP second factor: the sign-in step, enrolment, recovery codes, lockout, and the
verification carried by the handoff to the organisation host."""
import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.roles import Role
from tests.accounts.factories import PASSWORD, totp_code, totp_code_for_key, totp_device

LOGIN = "/accounts/login/"
VERIFY = "/accounts/two-factor/"
SETUP = "/accounts/two-factor/setup/"


def password_step(client: Client, email: str, next_url: str = ""):
    return client.post(LOGIN, {"username": email, "password": PASSWORD, "next": next_url})


def public() -> Client:
    return Client(HTTP_HOST="localhost")


def follow_handoff(location: str, host: str = "alpha.localhost") -> Client:
    tenant = Client(HTTP_HOST=host)
    assert tenant.get(location.replace(f"http://{host}", "")).status_code == 302
    return tenant


def test_member_without_device_whose_role_does_not_require_it_signs_in_with_the_password_only(alpha, make_member):
    staff = make_member(alpha, Role.STAFF)
    response = password_step(public(), staff.email)
    assert response["Location"].startswith("http://alpha.localhost/accounts/handoff/")


def test_user_with_a_device_must_enter_a_code_and_the_organisation_session_is_verified_too(alpha, make_member):
    staff = make_member(alpha, Role.STAFF)
    device = totp_device(staff)
    client = public()
    response = password_step(client, staff.email)
    assert response["Location"] == VERIFY
    # the half-signed-in session reaches nothing else: not the organisation picker, not the handoff
    assert client.get("/organisations/")["Location"].startswith(VERIFY)
    assert client.get("/organisations/alpha/open/")["Location"].startswith(VERIFY)
    response = client.post(VERIFY, {"code": totp_code(device)})
    assert response["Location"].startswith("http://alpha.localhost/accounts/handoff/")
    tenant = follow_handoff(response["Location"])
    assert tenant.session["otp_device_id"] == device.persistent_id
    assert tenant.get("/").status_code == 200


def test_owner_without_device_must_enrol_with_qr_code_and_manual_key(alpha, make_member):
    owner = make_member(alpha, Role.OWNER)
    client = public()
    response = password_step(client, owner.email)
    assert response["Location"] == SETUP
    page = client.get(SETUP).content.decode()
    assert "<svg" in page  # the QR code
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    assert client.get(SETUP).content.decode().count(key) == 1  # reloading keeps the same key

    wrong = client.post(SETUP, {"code": "000000" if totp_code_for_key(key) != "000000" else "111111"})
    assert wrong.status_code == 400 and "This code is not right" in wrong.content.decode()

    done = client.post(SETUP, {"code": totp_code_for_key(key)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True)) == set(codes)
    response = client.get("/accounts/two-factor/continue/")
    assert response["Location"].startswith("http://alpha.localhost/accounts/handoff/")
    assert follow_handoff(response["Location"]).get("/").status_code == 200


def test_wrong_code_is_refused_in_the_users_language(alpha, make_member):
    staff = make_member(alpha, Role.STAFF, language="zh-hans")
    totp_device(staff)
    client = Client(HTTP_HOST="localhost")
    password_step(client, staff.email)
    response = client.post(VERIFY, {"code": "12345x"})
    assert response.status_code == 400
    assert "验证码不正确" in response.content.decode()
    assert "otp_device_id" not in client.session


def test_a_recovery_code_signs_in_once(alpha, make_member, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
    staff = make_member(alpha, Role.STAFF)
    totp_device(staff)
    from apps.audits.twofactor.services import recovery_codes_create

    code = recovery_codes_create(user=staff)[0]
    first = public()
    password_step(first, staff.email)
    response = first.post(VERIFY, {"code": code.upper()})
    assert response["Location"].startswith("http://alpha.localhost/accounts/handoff/")
    second = public()
    password_step(second, staff.email)
    assert second.post(VERIFY, {"code": code}).status_code == 400
    assert StaticToken.objects.filter(device__user=staff).count() == 9


def test_a_code_is_accepted_only_once(alpha, make_member):
    staff = make_member(alpha, Role.STAFF)
    device = totp_device(staff)
    code = totp_code(device)
    first = public()
    password_step(first, staff.email)
    assert first.post(VERIFY, {"code": code}).status_code == 302
    replay = public()
    password_step(replay, staff.email)
    assert replay.post(VERIFY, {"code": code}).status_code == 400


def test_guessing_codes_locks_the_account_and_a_correct_password_does_not_unlock_it(alpha, make_member, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    staff = make_member(alpha, Role.STAFF)
    device = totp_device(staff)
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        # each time a new sign-in with the right password: it does not reset the count of wrong codes
        client = public()
        password_step(client, staff.email)
        assert client.post(VERIFY, {"code": "000001"}).status_code == 400
    client = public()
    password_step(client, staff.email)
    locked = client.post(VERIFY, {"code": "000001"})
    assert locked.status_code == 429
    assert "Too many wrong codes" in locked.content.decode()
    assert "_auth_user_id" not in client.session  # signed out
    # the right code is refused too while locked
    password_step(client, staff.email)
    refused = client.post(VERIFY, {"code": totp_code(device)})
    assert refused.status_code == 429 and "otp_device_id" not in client.session


def test_owner_session_not_verified_is_sent_to_the_totp_step(alpha, make_member, client_for):
    owner = make_member(alpha, Role.OWNER)
    tenant = client_for(owner, alpha, otp=False)
    response = tenant.get("/members/")
    assert response.status_code == 302
    assert response["Location"] == ("http://localhost/accounts/two-factor/?next="
                                    "http%3A%2F%2Falpha.localhost%2Fmembers%2F")
    api = tenant.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["code"] == "otp_required"
    assert client_for(owner, alpha).get("/members/").status_code == 200


def test_required_roles_are_a_setting(alpha, make_member, client_for, settings):
    settings.OTP_REQUIRED_ROLES = ["owner", "compliance_manager"]
    manager = make_member(alpha, Role.COMPLIANCE_MANAGER)
    assert client_for(manager, alpha, otp=False).get("/members/").status_code == 302
    assert password_step(public(), manager.email)["Location"] == SETUP
    settings.OTP_REQUIRED_ROLES = []
    owner = make_member(alpha, Role.OWNER)
    assert client_for(owner, alpha, otp=False).get("/members/").status_code == 200


def test_owner_coming_back_from_the_totp_step_lands_where_they_were_going(alpha, make_member, client_for):
    owner = make_member(alpha, Role.OWNER)
    device = totp_device(owner)
    client = client_for(owner, None, otp=False)
    response = client.post(VERIFY + "?next=http%3A%2F%2Falpha.localhost%2Fmembers%2F", {"code": totp_code(device)})
    tenant = Client(HTTP_HOST="alpha.localhost")
    handoff = tenant.get(response["Location"].replace("http://alpha.localhost", ""))
    assert handoff["Location"] == "/members/"
    assert tenant.get("/members/").status_code == 200


def test_replacing_the_authenticator_needs_a_verified_session_and_keeps_the_old_one_until_confirmed(
        alpha, make_member, client_for):
    staff = make_member(alpha, Role.STAFF)
    old = totp_device(staff)
    unverified = client_for(staff, None, otp=False)
    assert unverified.get(SETUP + "?replace=1")["Location"].startswith(VERIFY)
    client = client_for(staff, None, otp=True)
    assert "data-testid=\"totp-on\"" in client.get(SETUP).content.decode()
    page = client.get(SETUP + "?replace=1").content.decode()
    key = re.search(r'data-testid="totp-key">([A-Z2-7 ]+)<', page).group(1)
    assert TOTPDevice.objects.filter(pk=old.pk, confirmed=True).exists()
    assert client.post(SETUP, {"code": totp_code_for_key(key), "replace": "1"}).status_code == 200
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert TOTPDevice.objects.get(user=staff).confirmed


def test_new_recovery_codes_replace_the_old_ones(alpha, make_member, client_for):
    staff = make_member(alpha, Role.STAFF)
    totp_device(staff)
    from apps.audits.twofactor.services import recovery_codes_create

    old = set(recovery_codes_create(user=staff))
    page = client_for(staff, None, otp=True).post("/accounts/two-factor/recovery-codes/").content.decode()
    new = set(re.findall(r"<li>([a-z2-7]{8})</li>", page))
    assert len(new) == 10 and not old & new
    assert set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == new
    assert client_for(staff, None, otp=False).post("/accounts/two-factor/recovery-codes/").status_code == 302


def test_anonymous_visitor_of_the_totp_pages_is_sent_to_sign_in(db):
    for path in (VERIFY, SETUP, "/accounts/two-factor/continue/"):
        assert public().get(path)["Location"].startswith(LOGIN)


@pytest.mark.parametrize("path", ["/accounts/logout/", "/i18n/setlang/"])
def test_half_signed_in_session_may_still_sign_out_or_change_language(alpha, make_member, path):
    staff = make_member(alpha, Role.STAFF)
    totp_device(staff)
    client = public()
    password_step(client, staff.email)
    response = client.post(path, {"language": "zh-hans", "next": "/"})
    assert not response["Location"].startswith(VERIFY)
