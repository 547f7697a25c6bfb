"""Friendly error pages in the user's language, never a traceback."""
from django.db import connection
from django.test import Client


def test_server_error_shows_the_friendly_page_in_chinese(alpha, make_member):
    user = make_member(alpha, language="zh-hans")
    client = Client(HTTP_HOST="alpha.localhost", raise_request_exception=False)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    with connection.cursor() as cursor:  # a real fault: the members table disappears under the view
        cursor.execute("ALTER TABLE public.accounts_invitation RENAME TO accounts_invitation_gone")
    response = client.get("/members/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "出现错误" in body and "Traceback" not in body


def test_not_found_and_forbidden_pages_are_translated(alpha, make_member, client_for):
    viewer = make_member(alpha, "viewer", language="zh-hans")
    client = client_for(viewer, alpha)
    forbidden = client.get("/settings/api-keys/")
    assert forbidden.status_code == 403 and "您在该组织中的角色不允许此操作" in forbidden.content.decode()
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404 and "该页面不存在" in missing.content.decode()
