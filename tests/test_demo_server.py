"""`make demo` end to end: the demo script serves a login page where every demo user signs in.

The demo runs in its own process group on a free port with its own var/ directory and SQLite file,
so it never touches a developer's demo or the test database; the group is always killed.
"""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from kir.web.demo.people import DEMO_PASSWORD, USERS

ROOT = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT_SECONDS = 240
REQUEST_TIMEOUT_SECONDS = 30
_CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Page:
    url: str
    status: int
    body: str


class Browser:
    """Just enough of a browser: cookies, redirects, CSRF-protected form posts."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.cookies)
        )

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base_url + path))

    def post(self, url: str, fields: dict[str, str]) -> Page:
        data = urllib.parse.urlencode(fields).encode()
        return self._open(urllib.request.Request(url, data=data, headers={"Referer": url}))

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
                return Page(response.geturl(), response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.geturl(), error.code, error.read().decode(errors="replace"))

    def sign_in(self, username: str, password: str) -> Page:
        login = self.get("/")  # signed out, the home page redirects to the login form
        token = _CSRF_FIELD.search(login.body)
        assert token, f"no CSRF token on the login page {login.url}"
        return self.post(
            login.url,
            {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password},
        )


@dataclass
class DemoServer:
    base_url: str
    log: Path
    var_dir: Path
    port: int


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    var_dir = tmp_path_factory.mktemp("demo-var")
    port = free_port()
    env = {
        **os.environ,
        "KIR_VAR_DIR": str(var_dir),
        "KIR_DEMO_PORT": str(port),
        "KIR_DATABASE_URL": f"sqlite:///{var_dir / 'demo.sqlite3'}",
    }
    # pytest-django exported the test settings; the demo must run with the real ones.
    env.pop("DJANGO_SETTINGS_MODULE", None)
    log_path = var_dir / "demo.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "demo.py")],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_login_page(base_url, process, log_path)
        yield DemoServer(base_url, log_path, var_dir, port)
    finally:
        _stop(process)


def _wait_for_login_page(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the demo exited with {process.returncode}:\n{log.read_text()}")
        try:
            page = Browser(base_url).get("/")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
            continue
        if page.status == 200 and 'type="password"' in page.body:
            _wait_for_ready_line(log, deadline)
            return
        pytest.fail(f"{page.url} answered {page.status} without a login form:\n{page.body[:2000]}")
    pytest.fail(f"no login page within {STARTUP_TIMEOUT_SECONDS}s:\n{log.read_text()}")


def _wait_for_ready_line(log: Path, deadline: float) -> None:
    """The demo prints the logins and where to go once the server answers; wait for the end."""
    while "(Ctrl-C stops it)" not in log.read_text():
        if time.monotonic() > deadline:
            pytest.fail(f"the demo never said it was ready:\n{log.read_text()}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The demo script starts the server as a child: end the whole process group we created.
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def test_the_demo_prints_every_login_and_the_password_last(demo_server):
    """Once the server answers, after everything seeding printed."""
    output = demo_server.log.read_text()
    logins = output.rindex("Demo logins (password for all:")
    assert logins > output.index("Seeded e-mails are queued")
    tail = output[logins:]
    assert DEMO_PASSWORD in tail
    for user in USERS:
        assert user.username in tail
    assert f"open http://127.0.0.1:{demo_server.port}/" in tail


def test_the_demo_runs_with_debug_off_and_the_products_404(demo_server):
    page = Browser(demo_server.base_url).get("/no/such/page/")
    assert page.status == 404
    assert "<h1>Page not found</h1>" in page.body
    assert "URLconf" not in page.body


def test_the_demo_serves_hashed_compressed_static_files_cached_for_a_year(demo_server):
    login = Browser(demo_server.base_url).get("/accounts/login/")
    stylesheet = re.search(r'href="(/static/kir/kir\.[0-9a-f]{12}\.css)"', login.body)
    assert stylesheet, login.body[:1000]
    request = urllib.request.Request(
        demo_server.base_url + stylesheet.group(1), headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        max_age = re.search(r"max-age=(\d+)", response.headers["Cache-Control"])
        assert max_age and int(max_age.group(1)) >= 365 * 24 * 3600


def test_the_api_docs_load_swagger_from_the_host(demo_server):
    browser = Browser(demo_server.base_url)
    browser.sign_in("secas-administrator", DEMO_PASSWORD)
    docs = browser.get("/api/docs")
    assert docs.status == 200
    assert "/static/ninja/swagger-ui-bundle" in docs.body
    assert not re.search(r'(src|href)="(https?:)?//', docs.body)


def test_kir_commands_in_the_demo_checkout_need_nothing_exported(demo_server):
    """Only where the demo keeps its var/ directory; key, database and the rest come from the
    settings file the demo wrote there."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "KIR_VAR_DIR": str(demo_server.var_dir),
    }
    done = subprocess.run(
        [str(Path(sys.executable).parent / "kir"), "audit", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def seeded_mails(demo_server: DemoServer) -> list[str]:
    """The seed queues manufacturer notices; the worker beside the server writes them as files
    under var/mail (the demo's file backend) soon after it starts."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while True:
        mails = [path.read_text() for path in (demo_server.var_dir / "mail").glob("*.log")]
        if any("manufacturer-notice." in mail for mail in mails):
            return mails
        assert time.monotonic() < deadline, demo_server.log.read_text()[-4000:]
        time.sleep(0.5)


def test_the_demos_e_mails_link_to_its_own_port(demo_server):
    mails = seeded_mails(demo_server)
    links = [link for mail in mails for link in re.findall(r"http://127\.0\.0\.1:\d+/", mail)]
    assert links, f"no links in {len(mails)} seeded e-mails"
    assert set(links) == {f"http://127.0.0.1:{demo_server.port}/"}


def test_the_demo_worker_delivers_the_seeded_notices(demo_server):
    mails = seeded_mails(demo_server)
    assert any("Message-ID: <manufacturer-notice." in mail for mail in mails)
    assert re.search(r"worker \S+ ready", demo_server.log.read_text())


@pytest.mark.parametrize("user", USERS, ids=[u.username for u in USERS])
def test_every_demo_user_signs_in_to_the_running_demo(demo_server, user):
    browser = Browser(demo_server.base_url)
    home = browser.sign_in(user.username, DEMO_PASSWORD)
    assert home.status == 200
    assert urllib.parse.urlsplit(home.url).path == "/"
    signed_in_as = re.search(r'class="who">([^<]+)<', home.body)
    assert signed_in_as, f"{user.username} did not land signed in on {home.url}"
    assert html.unescape(signed_in_as.group(1)).split(" · ")[0] == user.username
    # The session holds: the home page stays reachable without signing in again.
    assert urllib.parse.urlsplit(browser.get("/").url).path == "/"


def test_a_wrong_password_stays_on_the_login_page(demo_server):
    page = Browser(demo_server.base_url).sign_in(USERS[0].username, DEMO_PASSWORD + "x")
    assert 'type="password"' in page.body
    assert 'class="who"' not in page.body
