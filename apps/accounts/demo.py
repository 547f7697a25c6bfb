"""Demo organisations and people for `make run` (idempotent: a second run adds nothing)."""
from typing import Any

from django.conf import settings
from django.db import transaction

from apps.activity.services import Actor
from apps.tenants.identifiers import uscc_check_char
from apps.tenants.models import Organisation
from apps.tenants.services import organisation_create, public_organisation_ensure

from .models import Membership, User
from .roles import Role
from .services import membership_add

DEMO_PASSWORD = "cellpass-demo-2026"


def _uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)


ORGANISATIONS: list[dict[str, Any]] = [
    {"slug": "sinoev", "name_en": "SinoEV Battery Export Co., Ltd.", "name_zh": "华源动力电池出口有限公司",
     "kind": "exporter", "country": "CN", "uscc": _uscc("91320500MA1XK7Q2B")},
    {"slug": "voltpack", "name_en": "VoltPack Systems Integration Ltd.", "name_zh": "伏特派克系统集成有限公司",
     "kind": "integrator", "country": "CN", "uscc": _uscc("91440300MA5FT3N8C")},
    {"slug": "ecocycle", "name_en": "EcoCycle Batterierecycling GmbH", "name_zh": "生态循环电池回收有限公司",
     "kind": "recycler", "country": "DE", "eori": "DE123456789012345"},
]

PEOPLE: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    # email, full name, language, [(organisation slug, role)]
    ("owner@sinoev.demo", "Li Wei 李伟", "zh-hans", [("sinoev", Role.OWNER), ("voltpack", Role.VIEWER)]),
    ("manager@sinoev.demo", "Zhang Min 张敏", "zh-hans", [("sinoev", Role.COMPLIANCE_MANAGER)]),
    ("staff@sinoev.demo", "Chen Jing 陈静", "zh-hans", [("sinoev", Role.STAFF)]),
    ("viewer@sinoev.demo", "Wang Fang 王芳", "en", [("sinoev", Role.VIEWER)]),
    ("owner@voltpack.demo", "Liu Yang 刘洋", "zh-hans", [("voltpack", Role.OWNER)]),
    ("owner@ecocycle.demo", "Anna Keller", "en", [("ecocycle", Role.OWNER)]),
    ("staff@ecocycle.demo", "Jonas Weber", "en", [("ecocycle", Role.STAFF)]),
    ("auditor@audit.demo", "Sophie Martin (TÜV auditor)", "en", []),
]


@transaction.atomic
def seed(context: dict[str, Any]) -> None:
    public_organisation_ensure(domain=settings.CELLPASS_DOMAIN)
    orgs = context.setdefault("organisations", {})
    for spec in ORGANISATIONS:
        organisation = Organisation.objects.filter(slug=spec["slug"]).first()
        if organisation is None:
            organisation = organisation_create(actor=Actor.system("demo seed"), **spec)
        orgs[spec["slug"]] = organisation
    users = context.setdefault("users", {})
    for email, full_name, language, roles in PEOPLE:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=DEMO_PASSWORD, full_name=full_name,
                                            language=language)
        users[email] = user
        for slug, role in roles:
            if not Membership.objects.filter(user=user, organisation=orgs[slug]).exists():
                membership_add(organisation=orgs[slug], user=user, role=role, actor=Actor.system("demo seed"))
    context.setdefault("logins", []).extend(
        (email, DEMO_PASSWORD, ", ".join(f"{slug}: {role}" for slug, role in roles) or "auditor")
        for email, _name, _lang, roles in PEOPLE)
