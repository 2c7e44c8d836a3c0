"""Authentication backend that admits only members: active users acting for an organisation.

Django's ModelBackend already refuses inactive users at sign-in and ends their sessions (get_user
calls user_can_authenticate); this adds the organisation. Superusers are exempt so an operator
created with `kir createsuperuser` can reach the admin to set up the first organisations.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class MemberBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        """The session's user with its organisation in the same query: every page reads the
        organisation (visibility, the header), which was one more query per request."""
        manager = get_user_model()._default_manager
        user = manager.select_related("organisation").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user: Any) -> bool:
        if not super().user_can_authenticate(user):
            return False
        return getattr(user, "organisation_id", None) is not None or bool(user.is_superuser)
