import factory

from apps.accounts.models import Membership, User
from apps.accounts.roles import Role

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    full_name = factory.Faker("name")
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.STAFF


# --- TOTP second factor (django-otp) ------------------------------------------------------

def totp_device(user):
    """The user's confirmed TOTP device (created when missing)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)


def totp_code(device) -> str:
    """A code the device accepts now: the current time step, or the next one when the current one
    was already used (django-otp refuses a step twice). Waits when both were used."""
    import time

    from django_otp.oath import hotp

    while True:
        device.refresh_from_db()
        step = int((time.time() - device.t0) // device.step) + device.drift
        for candidate in (step, step + 1):
            if candidate > device.last_t:
                return f"{hotp(device.bin_key, candidate, device.digits):0{device.digits}d}"
        time.sleep(1)


def otp_required_for(user) -> bool:
    from django.conf import settings

    from apps.accounts.models import Membership

    roles = list(getattr(settings, "OTP_REQUIRED_ROLES", []))
    return bool(roles) and Membership.objects.filter(user=user, role__in=roles).exists()


def verify_session(client, user) -> None:
    """Mark the test client's session as verified by the user's TOTP device (as the TOTP step does)."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.save()


def pass_second_factor(client, response, email: str):
    """After the password form: when the sign-in asks for the TOTP step, complete it as a person
    would (enrol the authenticator when there is none yet) and return the response that follows."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    location = response.get("Location", "") if response.status_code == 302 else ""
    if "/accounts/two-factor/" not in location:
        return response
    user = User.objects.get(email__iexact=email)
    path = location.split("://", 1)[-1].split("/", 1)[-1]
    path = "/" + path
    if path.startswith("/accounts/two-factor/setup/"):
        assert client.get(path).status_code == 200
        device = TOTPDevice.objects.get(user=user, confirmed=False)
        assert client.post(path, {"code": totp_code(device)}).status_code == 200  # the recovery codes
        return client.get(path.replace("/setup/", "/continue/", 1))
    return client.post(path, {"code": totp_code(totp_device(user))})


def totp_code_for_key(base32_key: str) -> str:
    """The current code of a key shown to a person in base32 (as an authenticator app computes it)."""
    from base64 import b32decode

    from django_otp.oath import totp

    key = base32_key.replace(" ", "").upper()
    return f"{totp(b32decode(key + '=' * (-len(key) % 8))):06d}"
