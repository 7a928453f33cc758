"""End to end in headless Chromium: the real server (`sms-assistant serve` on a free loopback
port, migrated temp SQLite, ADMIN_TOKEN set), signed in through the login form, a user added
through the users form, texts sent in the simulator with the replies appearing, a document
uploaded for that user through the documents page (with its progress bar) and asked about, and
a reminder set and received.

The reminder is set for "in 1 minute" and its confirmation checked; then, rather than wait a
real minute, the test moves that reminder's due time to now in the server's database (the
server runs on the system clock), and the real scheduler, outbox and thread polling deliver it.

Browser: Debian's `chromium` + `chromium-driver` (.ci/run installs them). Selenium gets both
paths explicitly, so Selenium Manager never downloads anything. Without them the test is
skipped and says so. Screenshots (desktop and phone width) go to the test's temp dir.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.live_server import ADMIN_TOKEN, Server, live_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
PHONE = "+14155550199"
REPLY_TIMEOUT_S = 30.0
UPLOAD_TIMEOUT_S = 60.0
"""The server loads the embedding model on first use: seconds on a slow machine."""
NO_QUIET_HOURS = {"QUIET_HOURS_START": "00:00", "QUIET_HOURS_END": "00:00"}
"""Equal start and end turn quiet hours off, so the reminder arrives whatever the hour."""
RECORD_UPLOAD = """
const bar = document.querySelector('[data-kb-progress]');
const status = document.querySelector('[data-kb-status]');
const seen = [];
new MutationObserver(() => {
  seen.push({value: bar.value, text: status.textContent});
  sessionStorage.setItem('kb-upload', JSON.stringify(seen));  // survives the reload after it
}).observe(status, {childList: true, characterData: true, subtree: true});
"""

selenium = pytest.importorskip(
    "selenium", reason="selenium is not installed (pip install -e '.[dev]')"
)


@pytest.fixture
def server(tmp_path: Path, template_sqlite: Path) -> Iterator[Server]:
    with live_server(tmp_path, template_sqlite, NO_QUIET_HOURS) as running:
        yield running


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip(
            "SKIPPED FOR LACK OF A BROWSER: /usr/bin/chromium and /usr/bin/chromedriver are "
            "needed (apt-get install -y chromium chromium-driver; .ci/run does it)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # belt and braces: Selenium Manager never goes online
    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def outbound_texts(driver) -> list[str]:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    try:
        return [
            item.text.rsplit("\n", 1)[0]
            for item in driver.find_elements(By.CSS_SELECTOR, "[data-sim-thread] li.outbound")
        ]
    except StaleElementReferenceException:  # the thread re-rendered while being read
        return []  # callers poll: the next look sees the new list


def wait_for(predicate, timeout: float, what: str, server: Server) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}; server log:\n{server.tail()}")


@pytest.mark.slow
def test_sign_in_add_a_user_and_talk_in_the_simulator(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    driver = browser
    driver.get(server.base_url + "/admin")
    assert "/admin/login" in driver.current_url
    token = driver.find_element(By.ID, "token")
    token.send_keys(ADMIN_TOKEN)
    token.send_keys(Keys.ENTER)
    wait_for(lambda: driver.current_url.rstrip("/").endswith("/admin"), 10, "sign-in", server)
    assert driver.find_element(By.TAG_NAME, "h1").text == "Overview"

    driver.find_element(By.LINK_TEXT, "Users").click()
    driver.find_element(By.ID, "new-phone").send_keys(PHONE)
    driver.find_element(By.ID, "new-name").send_keys("Ada Browser")
    driver.find_element(By.ID, "new-tz").send_keys("Europe/Berlin")
    driver.find_element(By.CSS_SELECTOR, "#add-user button[type=submit]").click()
    wait_for(lambda: "User added." in driver.page_source, 10, "the new user", server)
    row = driver.find_element(By.CSS_SELECTOR, f'tr[data-phone="{PHONE}"]')
    assert "Ada Browser" in row.text and "active" in row.text
    driver.save_screenshot(str(tmp_path / "users-desktop.png"))

    row.find_element(By.LINK_TEXT, "Simulate").click()
    body = driver.find_element(By.ID, "sim-body")
    body.send_keys("help")
    body.send_keys(Keys.ENTER)
    wait_for(lambda: len(outbound_texts(driver)) >= 1, REPLY_TIMEOUT_S, "the help reply", server)
    assert "note" in outbound_texts(driver)[0].lower()

    body.send_keys("note: buy oat milk")
    driver.find_element(By.CSS_SELECTOR, "[data-sim-send]").click()
    wait_for(
        lambda: any("buy oat milk" in text for text in outbound_texts(driver)[1:]),
        REPLY_TIMEOUT_S,
        "the note confirmation",
        server,
    )
    inbound = driver.find_elements(By.CSS_SELECTOR, "[data-sim-thread] li.inbound")
    assert [item.text.split("\n")[0] for item in inbound] == ["help", "note: buy oat milk"]

    upload_a_document(driver, server, tmp_path)
    driver.get(server.base_url + "/admin/simulator?phone=" + quote(PHONE))
    body = driver.find_element(By.ID, "sim-body")
    body.send_keys("what is the wifi password?")
    body.send_keys(Keys.ENTER)
    wait_for(
        lambda: any("maple-7734" in text for text in outbound_texts(driver)),
        REPLY_TIMEOUT_S,
        "the answer from the document",
        server,
    )
    answer = next(text for text in outbound_texts(driver) if "maple-7734" in text)
    assert "wifi.txt" in answer  # it names the file

    body.send_keys("remind me in 1 minute to stretch")
    body.send_keys(Keys.ENTER)
    wait_for(lambda: len(stretch_texts(driver)) >= 1, REPLY_TIMEOUT_S, "the confirmation", server)
    assert stretch_texts(driver)[0].startswith("OK")
    bring_the_reminder_forward(server)
    wait_for(lambda: len(stretch_texts(driver)) >= 2, REPLY_TIMEOUT_S, "the reminder", server)
    assert "snooze" in stretch_texts(driver)[-1].lower()
    driver.save_screenshot(str(tmp_path / "simulator-desktop.png"))

    driver.set_window_size(390, 844)  # a phone
    time.sleep(0.3)
    driver.save_screenshot(str(tmp_path / "simulator-phone.png"))
    driver.get(server.base_url + "/admin/users")
    driver.save_screenshot(str(tmp_path / "users-phone.png"))
    driver.get(server.base_url + "/admin/documents")
    driver.save_screenshot(str(tmp_path / "documents-phone.png"))
    print(f"screenshots in {tmp_path}")

    metrics = httpx.get(
        server.base_url + "/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    families = {f.name: f for f in text_string_to_metric_families(metrics.text)}
    turns = families["sms_turn_duration_seconds"]
    # "help" is a keyword (answered without the graph); the note went through one turn.
    assert any(s.name.endswith("_count") and s.value >= 1 for s in turns.samples)


def stretch_texts(driver) -> list[str]:
    return [text for text in outbound_texts(driver) if "stretch" in text.lower()]


def upload_a_document(driver, server: Server, tmp_path: Path) -> None:
    """Upload a .txt for the user on the documents page; see the progress, then the listing."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    document = tmp_path / "wifi.txt"
    document.write_text("House notes\n\nThe wifi password is maple-7734.\n")
    driver.find_element(By.LINK_TEXT, "Documents").click()
    Select(driver.find_element(By.ID, "kb-collection")).select_by_visible_text(
        f"Ada Browser ({PHONE})"
    )
    driver.find_element(By.ID, "kb-file").send_keys(str(document))
    driver.execute_script(RECORD_UPLOAD)
    driver.find_element(By.CSS_SELECTOR, "[data-kb-send]").click()
    driver.save_screenshot(str(tmp_path / "documents-uploading.png"))  # the bar, if still there
    wait_for(
        lambda: "Document uploaded." in driver.page_source, UPLOAD_TIMEOUT_S, "the upload", server
    )
    row = driver.find_element(By.CSS_SELECTOR, 'tr[data-document="wifi.txt"]')
    assert "Ada Browser" in row.text and "text/plain" in row.text
    seen = json.loads(driver.execute_script("return sessionStorage.getItem('kb-upload')") or "[]")
    assert {"value": 100, "text": "Uploading wifi.txt: 100%"} in seen, seen  # upload progress
    assert any(step["text"] == "wifi.txt added (1 passages)." for step in seen), seen
    driver.save_screenshot(str(tmp_path / "documents-desktop.png"))


def bring_the_reminder_forward(server: Server) -> None:
    """Check the reminder is due in about a minute, then make it due now (no real wait)."""
    from sqlalchemy import create_engine, select, update

    from stores.models import Reminder

    engine = create_engine(f"sqlite:///{server.database}", connect_args={"timeout": 15})
    try:
        with engine.begin() as connection:
            due = connection.execute(
                select(Reminder.id, Reminder.due_at).where(Reminder.state == "scheduled")
            ).all()
            assert len(due) == 1, due
            wait = due[0].due_at - datetime.now(UTC)
            assert timedelta(seconds=30) < wait <= timedelta(seconds=61), wait
            now = datetime.now(UTC) - timedelta(seconds=1)
            connection.execute(
                update(Reminder).where(Reminder.id == due[0].id).values(due_at=now, occurs_at=now)
            )
    finally:
        engine.dispose()
