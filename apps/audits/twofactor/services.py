"""The TOTP second factor (django-otp): enrolment, verification, recovery codes.

A user has at most one confirmed TOTP device (an authenticator app) and one static device holding
single-use recovery codes. A new authenticator is enrolled as an unconfirmed device and replaces
the old one only once a code from it has been checked.
"""
import re
from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_otp import verify_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import Membership, User
from apps.core.errors import ApplicationError

from ..selectors import user_is_auditor

PENDING_SESSION_KEY = "cellpass_second_factor_pending"
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"
RECOVERY_CODE_COUNT = 10

MSG_CODE_WRONG = _("This code is not right. Enter the current 6-digit code from your authenticator app, "
                   "or one of your recovery codes.")
MSG_SETUP_CODE_WRONG = _("This code is not right. Check that the app shows the Cellpass entry you just added "
                         "and that the phone's clock is correct.")


def otp_required(user: User) -> bool:
    """Must this user sign in with TOTP? Roles in settings.OTP_REQUIRED_ROLES, and every auditor."""
    roles = list(settings.OTP_REQUIRED_ROLES)
    if roles and Membership.objects.filter(user=user, role__in=roles).exists():
        return True
    return user_is_auditor(user=user)


def totp_device_confirmed(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def otp_has_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrolment_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up (the same one until it is confirmed, so reloading the
    page does not change the key that was just scanned)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_manual_key(device: TOTPDevice) -> str:
    """The secret in base32, grouped by four, for typing into an authenticator app."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i:i + 4] for i in range(0, len(key), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1b2631", light="#ffffff")


def _normalise(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


@transaction.atomic
def totp_enrolment_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Check a code from the new authenticator; it becomes the user's device (replacing any older
    one) and a fresh set of recovery codes is returned (shown once)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
    token = _normalise(code)
    if not token.isdigit() or not device.verify_token(token):
        raise ApplicationError(MSG_SETUP_CODE_WRONG, code="otp_code_wrong", field="code")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    return recovery_codes_create(user=user)


@transaction.atomic
def recovery_codes_create(*, user: User) -> list[str]:
    """Replace the user's recovery codes with a new set (the old ones stop working)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def otp_check(*, user: User, code: str):
    """The device that accepts `code` (the authenticator for digits, else a recovery code, which is
    then used up), or None. Each device throttles repeated failures itself; lockout across attempts
    is django-axes' job (see the view)."""
    token = _normalise(code)
    if not token:
        return None
    if token.isdigit():
        devices = TOTPDevice.objects.filter(user=user, confirmed=True)
    else:
        devices = StaticDevice.objects.filter(user=user, confirmed=True)
    for device in devices:
        verified = verify_token(user, device.persistent_id, token)
        if verified is not None:
            return verified
    return None
