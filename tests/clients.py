"""Test clients that are already someone: the one way tests sign a user in without a password."""

from __future__ import annotations

from django.test import Client


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
