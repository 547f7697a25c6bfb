import re

import pytest
from django.core import mail
from django.test import Client

from apps.accounts.models import ApiKey, Membership, User
from apps.accounts.roles import Role
from tests.accounts.factories import PASSWORD, pass_second_factor


def _sign_in(client: Client, email: str, password: str = PASSWORD, next_url: str = ""):
    """The sign-in form, then the TOTP step when the user's role requires it."""
    response = client.post("/accounts/login/", {"username": email, "password": password, "next": next_url})
    return pass_second_factor(client, response, email)


def test_sign_in_with_one_organisation_hands_off_to_its_host(alpha, make_member):
    user = make_member(alpha, Role.STAFF)
    public = Client(HTTP_HOST="localhost")
    response = _sign_in(public, user.email.upper())
    assert response.status_code == 302
    assert response["Location"].startswith("http://alpha.localhost/accounts/handoff/?token=")
    tenant = Client(HTTP_HOST="alpha.localhost")
    response = tenant.get(response["Location"].replace("http://alpha.localhost", ""))
    assert response.status_code == 302 and response["Location"] == "/"
    page = tenant.get("/")
    assert page.status_code == 200
    assert "Alpha Battery Export Co." in page.content.decode()


def test_handoff_link_works_once(alpha, make_member):
    user = make_member(alpha)
    location = _sign_in(Client(HTTP_HOST="localhost"), user.email)["Location"].replace("http://alpha.localhost", "")
    assert Client(HTTP_HOST="alpha.localhost").get(location)["Location"] == "/"
    replay = Client(HTTP_HOST="alpha.localhost").get(location)
    assert replay["Location"].startswith("http://localhost/accounts/login/")


def test_user_of_several_organisations_picks_one(alpha, beta, make_member):
    user = make_member(alpha)
    Membership.objects.create(user=user, organisation=beta, role=Role.VIEWER)
    public = Client(HTTP_HOST="localhost")
    assert _sign_in(public, user.email)["Location"] == "/organisations/"
    page = public.get("/organisations/").content.decode()
    assert "Alpha Battery Export Co." in page and "Beta Recycling GmbH" in page
    response = public.get("/organisations/beta/open/")
    assert response["Location"].startswith("http://beta.localhost/accounts/handoff/")


def test_opening_an_organisation_one_is_not_member_of_is_not_found(alpha, beta, make_member, client_for):
    user = make_member(alpha)
    assert client_for(user).get("/organisations/beta/open/").status_code == 404


def test_wrong_password_is_refused_in_the_users_language(alpha, make_member):
    user = make_member(alpha)
    response = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="zh-hans").post(
        "/accounts/login/", {"username": user.email, "password": "nope"})
    assert response.status_code == 200
    assert "电子邮件地址或密码错误" in response.content.decode()


def test_lockout_after_repeated_failures(alpha, make_member, settings):
    user = make_member(alpha)
    client = Client(HTTP_HOST="localhost")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, user.email, "wrong password")
    locked = _sign_in(client, user.email)  # even the right password is refused now
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    assert "_auth_user_id" not in client.session


def test_anonymous_visitor_of_an_organisation_is_sent_to_sign_in_and_back(alpha, make_member):
    user = make_member(alpha)
    response = Client(HTTP_HOST="alpha.localhost").get("/members/")
    assert response.status_code == 302
    assert response["Location"] == "http://localhost/accounts/login/?next=http%3A%2F%2Falpha.localhost%2Fmembers%2F"
    signed_in = _sign_in(Client(HTTP_HOST="localhost"), user.email, next_url="http://alpha.localhost/members/")
    handoff = Client(HTTP_HOST="alpha.localhost").get(signed_in["Location"].replace("http://alpha.localhost", ""))
    assert handoff["Location"] == "/members/"


def test_sign_out_ends_every_session_of_the_user(alpha, make_member, client_for):
    user = make_member(alpha)
    public, tenant = client_for(user), client_for(user, alpha)
    assert tenant.get("/").status_code == 200
    response = tenant.post("/accounts/logout/")
    assert response["Location"] == "http://localhost/accounts/login/"
    assert public.get("/organisations/").status_code == 302  # the public session is gone too
    assert tenant.get("/").status_code == 302


def test_password_reset_sends_a_working_link(alpha, make_member):
    user = make_member(alpha)
    client = Client(HTTP_HOST="localhost")
    assert client.post("/accounts/password-reset/", {"email": user.email}).status_code == 302
    link = re.search(r"http://localhost(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "a new long passphrase 42",
                                                         "new_password2": "a new long passphrase 42"})
    assert done.status_code == 302
    assert User.objects.get(pk=user.pk).check_password("a new long passphrase 42")


def test_invitation_signup_creates_account_and_membership(alpha, member_access, client_for,
                                                         django_capture_on_commit_callbacks):
    owner, _access = member_access(alpha, Role.OWNER)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner, alpha).post("/members/", {"email": "newbie@example.test", "role": "viewer"})
    assert response.status_code == 302
    path = re.search(r"http://localhost:8000(/invitations/\S+/)", mail.outbox[0].body).group(1)
    client = Client(HTTP_HOST="localhost")
    weak = client.post(path, {"full_name": "New Bie", "password1": "123", "password2": "123"})
    assert weak.status_code == 200 and not User.objects.filter(email="newbie@example.test").exists()
    response = client.post(path, {"full_name": "New Bie", "password1": "a good long passphrase",
                                  "password2": "a good long passphrase"})
    assert response["Location"].startswith("http://alpha.localhost/accounts/handoff/")
    assert Membership.objects.get(user__email="newbie@example.test").role == Role.VIEWER


@pytest.mark.parametrize("role,status", [(Role.OWNER, 200), (Role.COMPLIANCE_MANAGER, 403), (Role.STAFF, 403),
                                         (Role.VIEWER, 403)])
def test_api_keys_page_is_for_owners(alpha, make_member, client_for, role, status):
    user = make_member(alpha, role)
    assert client_for(user, alpha).get("/settings/api-keys/").status_code == status


def test_api_key_is_shown_once(alpha, make_member, client_for):
    owner = make_member(alpha, Role.OWNER)
    client = client_for(owner, alpha)
    page = client.post("/settings/api-keys/", {"name": "WMS", "role": "staff"}).content.decode()
    key = ApiKey.objects.get()
    plaintext = re.search(r"(cp_[0-9a-f]{8}_[\w-]+)", page).group(1)
    assert plaintext.startswith(f"cp_{key.prefix}_")
    assert plaintext not in client.get("/settings/api-keys/").content.decode()


def test_staff_cannot_manage_members(alpha, make_member, client_for):
    staff = make_member(alpha, Role.STAFF)
    other = make_member(alpha, Role.VIEWER)
    membership = Membership.objects.get(user=other)
    client = client_for(staff, alpha)
    assert client.post("/members/", {"email": "x@example.test", "role": "viewer"}).status_code == 404
    assert client.post(f"/members/{membership.pk}/remove/").status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_forged_form_post_without_csrf_token_is_refused(alpha, make_member):
    owner = make_member(alpha, Role.OWNER)
    client = Client(HTTP_HOST="alpha.localhost", enforce_csrf_checks=True)
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/settings/api-keys/", {"name": "forged", "role": "staff"})
    assert response.status_code == 403
    assert b"This form has expired" in response.content
    assert not ApiKey.objects.exists()


def test_language_choice_follows_the_user_to_the_organisation_host(alpha, make_member, client_for):
    user = make_member(alpha)
    client_for(user).post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert User.objects.get(pk=user.pk).language == "zh-hans"
    page = client_for(user, alpha).get("/").content.decode()
    assert "成员" in page  # "Members" in the navigation


def test_stored_language_wins_over_the_browser_at_sign_in(alpha, make_member):
    user = make_member(alpha, language="zh-hans")
    public = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="en")
    location = _sign_in(public, user.email)["Location"].replace("http://alpha.localhost", "")
    tenant = Client(HTTP_HOST="alpha.localhost", HTTP_ACCEPT_LANGUAGE="en")
    tenant.get(location)
    assert User.objects.get(pk=user.pk).language == "zh-hans"
    assert "成员" in tenant.get("/").content.decode()
