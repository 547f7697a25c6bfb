from django.test import Client


def test_unknown_organisation_host_gets_a_friendly_not_found_page(db, organisations):
    response = Client(HTTP_HOST="nobody.localhost").get("/")
    assert response.status_code == 404
    assert b"There is no organisation at nobody.localhost" in response.content


def test_unknown_host_page_speaks_chinese_to_a_chinese_browser(db, organisations):
    response = Client(HTTP_HOST="nobody.localhost", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get("/")
    assert response.status_code == 404
    assert "没有组织" in response.content.decode()


def test_deactivated_organisation_is_unknown(db, alpha):
    alpha.is_active = False
    alpha.save(update_fields=["is_active"])
    response = Client(HTTP_HOST="alpha.localhost").get("/")
    assert response.status_code == 404
    assert b"There is no organisation at alpha.localhost" in response.content


def test_public_site_answers_at_the_bare_host(db, organisations):
    response = Client(HTTP_HOST="localhost").get("/")
    assert response.status_code == 200
    assert b"Prove where your batteries went." in response.content
