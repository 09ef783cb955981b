"""/docs in headless Chromium: Swagger UI loads with no console error, its
Authorize dialog runs the OAuth2 password flow against /auth/token, and
"Try it out" on GET /users/me answers 200 (issue 5, Tests)."""

import re

import pytest
import ghtest
from browser import By, browser, page, http_status  # noqa: F401 (fixtures)

pytestmark = pytest.mark.gatehouse


def cls(name):
    """XPath test: the element has class `name` (a whole class token)."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# the Authorize dialog's box of the OAuth2 password scheme (tokenUrl shown)
OAUTH_BOX = (f"//div[{cls('modal-ux')}]//div[{cls('auth-container')}]"
             "[.//code[contains(., '/auth/token')]]")
MODAL_ERRORS = ".modal-ux .auth-container .errors"
# the GET /users/me operation and its parts
USERS_ME = f"//div[{cls('opblock')} and {cls('opblock-get')}]" \
    "[.//*[@data-path='/users/me']]"
LIVE_RESPONSE = (f"{USERS_ME}//table[{cls('live-responses-table')}]"
                 f"/tbody/tr[{cls('response')}]")


@pytest.fixture
def docs(server):
    status = http_status(server.url, "/docs")
    if status == 404:
        pytest.skip("GET /docs is 404: this build has no Swagger UI yet "
                    "(issue 5 item 2)")
    assert status == 200, f"GET /docs answered {status}"


def test_docs_authorize_and_try_users_me(docs, page, client):
    u = ghtest.new_user(client, login_too=False)

    page.open("/docs")
    # the spec is fetched and rendered: the operation is on the page
    op = page.visible(By.XPATH, USERS_ME)
    assert not page.driver.find_elements(By.CSS_SELECTOR,
                                         ".errors-wrapper .error-wrapper"), \
        "Swagger UI reports errors in the spec"
    page.assert_clean_console()

    # Authorize: the OAuth2 password flow against /auth/token
    page.click(By.CSS_SELECTOR, ".scheme-container .btn.authorize")
    page.visible(By.CSS_SELECTOR, ".modal-ux")
    box = page.visible(By.XPATH, OAUTH_BOX)
    assert "/auth/token" in box.text, box.text
    page.fill(By.ID, "oauth_username", u.username)
    page.fill(By.ID, "oauth_password", u.password)
    page.click(By.XPATH, f"{OAUTH_BOX}//button[{cls('authorize')}]")
    # success turns the box's button into Logout; a failure shows an error
    page.wait(lambda d: d.find_elements(
        By.XPATH, f"{OAUTH_BOX}//button[normalize-space()='Logout']")
        or d.find_elements(By.CSS_SELECTOR, MODAL_ERRORS),
        "the password flow to finish")
    errors = page.driver.find_elements(By.CSS_SELECTOR, MODAL_ERRORS)
    assert not errors, "Authorize failed: " + " / ".join(e.text for e in errors)
    page.click(By.XPATH, f"{OAUTH_BOX}//button[{cls('btn-done')}]")
    page.gone(By.CSS_SELECTOR, ".modal-ux")
    # the padlock of a secured operation now shows as locked
    page.visible(By.CSS_SELECTOR, ".scheme-container .btn.authorize.locked")

    # Try it out on GET /users/me, Execute, read the status cell
    op = page.visible(By.XPATH, USERS_ME)
    page.click(By.XPATH, f"{USERS_ME}//*[{cls('opblock-summary')}]")
    page.click(By.XPATH, f"{USERS_ME}//button[{cls('try-out__btn')}]")
    page.click(By.XPATH, f"{USERS_ME}//button[{cls('execute')}]")
    cell = page.visible(By.XPATH,
                        f"{LIVE_RESPONSE}/td[{cls('response-col_status')}]")
    status = re.match(r"\s*(\d{3})", cell.text)
    assert status and status.group(1) == "200", (cell.text, op.text[:2000])
    body = page.visible(
        By.XPATH, f"{LIVE_RESPONSE}/td[{cls('response-col_description')}]")
    assert u.username in body.text, body.text
    # for the README: the operation, from its summary to the live answer
    page.screenshot("docs-users-me", between=(op, cell.find_element(
        By.XPATH, "ancestor::table[1]")))

    page.driver.execute_script(
        "arguments[0].scrollIntoView({block: 'start'})", op)
    page.assert_clean_console()
