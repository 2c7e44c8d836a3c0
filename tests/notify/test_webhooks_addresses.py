"""Which addresses a webhook may reach: public ones only (loopback only for the tests)."""

from __future__ import annotations

import pytest

from kir.notify.webhooks.addresses import DestinationRefused, check_destination


@pytest.mark.parametrize(
    "url",
    [
        "http://10.1.2.3/hook",
        "http://192.168.0.10:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://127.0.0.1/hook",
        "http://[::1]/hook",
    ],
)
def test_it_refuses_addresses_that_are_not_public(settings, url):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(DestinationRefused, match="may not reach"):
        check_destination(url)


def test_it_allows_loopback_only_when_the_setting_says_so(settings):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    check_destination("http://127.0.0.1:9/hook")
    with pytest.raises(DestinationRefused):
        check_destination("http://10.1.2.3/hook")


def test_it_allows_a_public_address():
    check_destination("https://8.8.8.8/hook")  # resolved without DNS: a literal address


def test_it_refuses_a_host_off_the_allow_list(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["hooks.example.org"]
    with pytest.raises(DestinationRefused, match="not among the hosts"):
        check_destination("https://8.8.8.8/hook")
