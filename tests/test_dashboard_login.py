"""Staff login and logout on the dashboard: sessions, CSRF, the throttle."""

import re

from django.test import Client

from tests.conftest import PASSWORD


def test_it_logs_in_and_goes_where_the_visitor_was_heading(client, front_desk):
    response = client.post(
        "/login/?next=/handoffs/",
        {"username": "BOB@clinic.example", "password": PASSWORD, "next": "/handoffs/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/handoffs/"
    assert client.get("/handoffs/").status_code == 200


def test_it_refuses_a_wrong_password_with_one_message(client, front_desk):
    response = client.post("/login/", {"username": front_desk.email, "password": "nope"})

    assert response.status_code == 200
    assert "Incorrect email or password." in response.text
    assert client.get("/").status_code == 302


def test_it_gives_a_deactivated_account_the_same_message(client, outsider):
    response = client.post("/login/", {"username": outsider.email, "password": PASSWORD})

    assert "Incorrect email or password." in response.text
    assert client.get("/").status_code == 302


def test_it_rejects_an_empty_form_with_messages(client, db):
    response = client.post("/login/", {"username": "not an email", "password": ""})

    assert response.status_code == 200
    assert "Enter a valid email address." in response.text
    assert "This field is required." in response.text


def test_it_does_not_redirect_off_site(client, front_desk):
    response = client.post(
        "/login/",
        {"username": front_desk.email, "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == "/"


def test_it_needs_the_csrf_token(front_desk):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/login/", {"username": front_desk.email, "password": PASSWORD})

    assert response.status_code == 403


def test_it_throttles_guessing_one_account(client, front_desk, settings):
    settings.LOGIN_RATE_PER_EMAIL = "3/15m"
    for _ in range(3):
        client.post("/login/", {"username": front_desk.email, "password": "guess"})

    # Even the right password is not checked while throttled.
    response = client.post("/login/", {"username": front_desk.email, "password": PASSWORD})

    assert response.status_code == 429
    assert re.search(r"Too many login attempts\. Please wait (a minute|\d+ minutes)", response.text)
    assert int(response["Retry-After"]) > 0
    assert client.get("/").status_code == 302
    # Another account from the same address is not locked out.
    other = Client()
    response = other.post(
        "/login/", {"username": "alice@clinic.example", "password": "x"}, REMOTE_ADDR="10.0.0.9"
    )
    assert response.status_code == 200


def test_it_throttles_one_address_across_accounts(client, front_desk, settings):
    settings.LOGIN_RATE_PER_IP = "2/m"
    client.post("/login/", {"username": "a@clinic.example", "password": "x"})
    client.post("/login/", {"username": "b@clinic.example", "password": "x"})

    response = client.post("/login/", {"username": front_desk.email, "password": PASSWORD})

    assert response.status_code == 429
    assert "Please wait a minute" in response.text


def test_successful_logins_do_not_count_against_staff(client, front_desk, settings):
    settings.LOGIN_RATE_PER_EMAIL = "2/15m"
    for _ in range(4):
        response = client.post("/login/", {"username": front_desk.email, "password": PASSWORD})
        assert response.status_code == 302
        client.post("/logout/")


def test_guessing_through_the_api_from_elsewhere_does_not_lock_her_out_of_the_dashboard(
    client, front_desk
):
    desk = {"REMOTE_ADDR": "10.0.0.1"}
    first = client.post("/login/", {"username": front_desk.email, "password": PASSWORD}, **desk)
    assert first.status_code == 302
    client.post("/logout/")
    for n in range(30):
        Client().post(
            "/api/v1/auth/login",
            {"email": front_desk.email, "password": f"guess {n}"},
            content_type="application/json",
            REMOTE_ADDR=f"198.51.100.{n}",
        )

    mine = client.post("/login/", {"username": front_desk.email, "password": PASSWORD}, **desk)
    theirs = Client().post(
        "/login/", {"username": front_desk.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )

    assert mine.status_code == 302  # signed in, at her usual desk
    assert theirs.status_code == 429  # an address the account has never used waits
    assert "Too many login attempts" in theirs.text


def test_the_admin_login_is_the_same_throttled_door(client, front_desk, settings):
    settings.LOGIN_RATE_PER_EMAIL = "1/15m"
    client.post("/admin/login/", {"username": front_desk.email, "password": "guess"})

    response = client.post(
        "/admin/login/?next=/admin/", {"username": front_desk.email, "password": PASSWORD}
    )

    assert response.status_code == 429


def test_logout_is_a_post_and_ends_the_session(client, front_desk):
    client.force_login(front_desk)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_a_logged_in_visitor_skips_the_login_page(client, front_desk):
    client.force_login(front_desk)

    response = client.get("/login/")

    assert response.status_code == 302
    assert response["Location"] == "/"
