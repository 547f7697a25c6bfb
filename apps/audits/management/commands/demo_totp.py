from django.core.management.base import BaseCommand
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audits.demo import DEMO_DEVICE_NAME


class Command(BaseCommand):
    help = "Print the current TOTP codes of the demo people (demo devices only; real devices are never shown)."

    def handle(self, *args, **options):
        devices = TOTPDevice.objects.filter(name=DEMO_DEVICE_NAME, confirmed=True).select_related("user")
        for device in devices.order_by("user__email"):
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            self.stdout.write(f"{device.user.email:24} {totp.token():06d}")
