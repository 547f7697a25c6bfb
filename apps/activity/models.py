from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("web")
    API = "api", _("API")
    WORKER = "worker", _("background task")
    SYSTEM = "system", _("system")


class ActivityEntry(models.Model):
    """One append-only, hash-chained entry of an organisation's activity log.

    `hash` = SHA-256(prev_hash + canonical JSON of the payload fields); each entry points at the
    previous one, so changing or removing any entry breaks every later link. The table refuses
    UPDATE and DELETE (a trigger, see migration 0002).
    """

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"))
    actor_id = models.UUIDField(_("actor"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=254)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    verb = models.CharField(_("action"), max_length=60)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object"), max_length=64, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("activity entry")
        verbose_name_plural = _("activity entries")
        indexes = [models.Index(fields=["object_type", "object_id"], name="activity_object_idx")]

    def __str__(self) -> str:
        return f"{self.id} {self.verb}"

    def payload(self) -> dict:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor_id": str(self.actor_id) if self.actor_id else None,
            "actor_label": self.actor_label,
            "channel": self.channel,
            "verb": self.verb,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
        }


class ChainCheck(models.Model):
    """Result of the latest automatic verification of this organisation's activity chain."""

    id = models.BigAutoField(primary_key=True)
    checked_at = models.DateTimeField(_("checked"))
    entries = models.PositiveIntegerField(_("entries"))
    first_broken_entry = models.BigIntegerField(_("first broken entry"), null=True, blank=True)

    class Meta:
        ordering = ["-checked_at"]
        get_latest_by = "checked_at"

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M} {'intact' if self.intact else 'broken'}"

    @property
    def intact(self) -> bool:
        return self.first_broken_entry is None
