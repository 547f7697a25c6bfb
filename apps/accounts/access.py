"""Who may act inside the current organisation, and as what.

Every request to an organisation host gets `request.access`: an Access when the signed-in user
(or API key) may act there, else None. Resolvers listed in settings.ACCESS_RESOLVERS are tried
in order (membership first; auditor engagements add theirs), so no view has to know how access
was granted, only what it allows.
"""
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol
from uuid import UUID

from django.conf import settings
from django.utils.module_loading import import_string

from apps.activity.models import Channel
from apps.activity.services import Actor

from .roles import Perm, Role, role_can


@dataclass(frozen=True)
class Access:
    organisation_id: UUID
    role: str
    user_id: UUID | None = None
    label: str = ""
    membership_id: UUID | None = None
    api_key_id: UUID | None = None
    # Set by other resolvers (an auditor engagement) to narrow what is visible. None = no restriction;
    # an empty set = nothing of that kind. Selectors of the register, evidence, checklists and dossiers
    # honour these: an auditor granted two shipments sees those shipments and what hangs off them.
    engagement_id: UUID | None = None
    shipment_scope: frozenset[UUID] | None = None
    dossier_scope: frozenset[UUID] | None = None

    def can(self, perm: Perm | str) -> bool:
        return role_can(self.role, Perm(perm))

    @property
    def is_restricted(self) -> bool:
        return self.shipment_scope is not None or self.dossier_scope is not None

    def sees_shipment(self, shipment_id: UUID) -> bool:
        return self.shipment_scope is None or shipment_id in self.shipment_scope

    def sees_dossier(self, dossier_id: UUID) -> bool:
        return self.dossier_scope is None or dossier_id in self.dossier_scope

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)

    @property
    def actor(self) -> Actor:
        channel = Channel.API if self.api_key_id else Channel.WEB
        return Actor(id=self.user_id or self.api_key_id, label=self.label, channel=channel)


class Resolver(Protocol):
    def __call__(self, *, user: Any, organisation: Any) -> Access | None: ...


def membership_access(*, user: Any, organisation: Any) -> Access | None:
    from .models import Membership

    membership = (Membership.objects.filter(user=user, organisation=organisation)
                  .only("id", "role").first())
    if membership is None:
        return None
    return Access(organisation_id=organisation.pk, role=membership.role, user_id=user.pk,
                  label=user.email, membership_id=membership.pk)


@cache
def _resolvers() -> tuple[Resolver, ...]:
    return tuple(import_string(path) for path in settings.ACCESS_RESOLVERS)


def resolve_access(*, user: Any, organisation: Any) -> Access | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    for resolver in _resolvers():
        access = resolver(user=user, organisation=organisation)
        if access is not None:
            return access
    return None
