"""Staff sign-in in a real browser: headless Chromium opens okno's /auth/login, signs in on
the OpenID provider's own page (panva's oidc-provider on loopback, tests/oidc.py), lands on
the page it asked for with okno's token in the tab's sessionStorage, and signs out again. A
link that plants someone else's token is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from tests.browser import BROWSER_MARKS, artefact_dir, chromium, console_errors, keep_screenshot
from tests.oidc import SignInSite, needs_node, signed_in_site

pytestmark = [*BROWSER_MARKS, needs_node]

TOKEN = "return sessionStorage.getItem('okno.token')"


def refused_by_okno(site: SignInSite, token: str) -> bool:
    """Whether okno refuses the token: forgotten by the tab is not enough, a copy of it (a
    log, a shared screen) must stop working too."""
    answer = site.okno.http.post(
        "/graphql", json={"query": "{ me { subject } }"}, headers={"Authorization": f"Bearer {token}"}
    )
    return answer.status_code == 401


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignInSite]:
    with signed_in_site(tmp_path_factory.mktemp("oidc")) as started:
        yield started


def test_an_operator_signs_in_on_the_provider_s_page_and_lands_on_okno_s_pages_signed_in(
    site: SignInSite, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    okno = site.okno.url
    folder = artefact_dir(request)
    with chromium(tmp_path / "profile") as driver:
        wait = WebDriverWait(driver, 30)
        driver.get(f"{okno}/auth/login?next=/ui/")
        login = wait.until(expected_conditions.element_to_be_clickable((By.NAME, "login")))
        assert driver.current_url.startswith(site.issuer)  # the provider's page, not okno's
        login.send_keys("operator")
        driver.find_element(By.NAME, "password").send_keys("any password")
        keep_screenshot(driver, folder, "provider-login", min_colours=5)
        console_errors(driver)  # the provider's page asks the internet for a font: not okno's concern
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

        wait.until(lambda d: d.current_url == f"{okno}/ui/")
        token = driver.execute_script(TOKEN)
        claims = jwt.decode(token, options={"verify_signature": False})
        assert (claims["sub"], claims["role"], claims["office"]) == ("operator", "operator", "LPK")
        assert "token" not in driver.current_url
        # signed-in.html replaced itself: going back does not show the token's URL again.
        assert driver.execute_script("return history.length") <= 4
        keep_screenshot(driver, folder, "signed-in")
        assert not console_errors(driver)

        # «Выйти» on the index: the server revokes the token before the provider's own page asks.
        driver.find_element(By.ID, "sign-out").click()
        confirm = wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "button[name=logout]")))
        assert refused_by_okno(site, token), "the token still works while the provider asks to confirm"
        keep_screenshot(driver, folder, "provider-logout", min_colours=5)
        console_errors(driver)  # the provider's page again, with its font
        confirm.click()
        wait.until(lambda d: "/ui/signed-out.html" in d.current_url)
        wait.until(lambda d: "Вы вышли" in d.find_element(By.ID, "status").text)
        assert driver.execute_script(TOKEN) is None
        keep_screenshot(driver, folder, "signed-out")
        assert not console_errors(driver)


def test_a_link_carrying_someone_else_s_token_is_refused(
    site: SignInSite, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A login CSRF: a link to signed-in.html with the attacker's own valid token would have
    this tab act under the attacker's name. Without okno's one-time cookie it is refused."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    planted = site.okno.token("operator", "LPK")
    with chromium(tmp_path / "profile", zoom=2.0) as driver:  # and readable at 200 %
        driver.get(f"{site.okno.url}/ui/signed-in.html#token={planted}&next=/ui/&check=guessed")
        WebDriverWait(driver, 30).until(lambda d: "Вход не подтверждён" in d.find_element(By.ID, "status").text)
        assert driver.execute_script(TOKEN) is None
        assert driver.current_url == f"{site.okno.url}/ui/signed-in.html"  # the token left the address bar
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
        keep_screenshot(driver, artefact_dir(request), "planted-token-refused")
        assert not console_errors(driver)


def test_going_to_the_sign_out_address_directly_revokes_the_tabs_token_too(
    site: SignInSite, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    okno = site.okno.url
    with chromium(tmp_path / "profile") as driver:
        wait = WebDriverWait(driver, 30)
        driver.get(f"{okno}/auth/login?next=/ui/supervisor/")
        wait.until(expected_conditions.element_to_be_clickable((By.NAME, "login"))).send_keys("chief")
        driver.find_element(By.NAME, "password").send_keys("any password")
        driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait.until(lambda d: d.find_elements(By.ID, "sign-out"))  # the console's header: who, and «Выйти»
        token = driver.execute_script(TOKEN)
        assert not refused_by_okno(site, token)

        driver.get(f"{okno}/auth/logout")  # typed, or a bookmark: not the page's «Выйти»
        confirm = wait.until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, "button[name=logout]")))
        console_errors(driver)  # the provider's pages ask the internet for a font: not okno's concern
        confirm.click()
        wait.until(lambda d: "Токен этой вкладки отозван" in d.find_element(By.ID, "status").text)
        assert driver.execute_script(TOKEN) is None
        assert refused_by_okno(site, token)
        keep_screenshot(driver, artefact_dir(request), "signed-out-directly")
        assert not console_errors(driver)
