"""Errors in the reader's language, on every path: the app's own pages instead of Werkzeug's English, problem
documents under /api/, Twilio's own fallback mechanism left to work under /twilio/."""

from __future__ import annotations

from tests.web.conftest import body

WERKZEUG = ("The requested URL was not found on the server", "Method Not Allowed", "Internal Server Error")


def test_an_unknown_address_is_a_french_page_for_a_visitor_and_an_english_one_on_request(client):
    french = client.get("/no/such/page")
    assert french.status_code == 404 and french.mimetype == "text/html" and french.headers["Content-Language"] == "fr"
    page = body(french)
    assert "<h1>Introuvable</h1>" in page and "Cette page n'existe pas" in page and '<html lang="fr">' in page
    assert not any(werkzeug in page for werkzeug in WERKZEUG)
    assert "default-src 'self'" in french.headers["Content-Security-Policy"]
    client.set_cookie("recours_lang", "en")
    english = body(client.get("/no/such/page"))
    assert "<h1>Not found</h1>" in english and '<html lang="en">' in english


def test_a_wrong_method_says_so_in_french_and_names_the_allowed_ones(client):
    response = client.delete("/sign-in")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert "Cette adresse n'accepte pas ce type de demande." in body(response)


def test_a_signed_in_users_language_wins(signed_in, world):
    client = signed_in("head")
    assert "Introuvable" in body(client.get("/specialties/987654/week"))  # an object that does not exist


def test_a_failure_is_the_apps_own_500_page(make_app):
    app = make_app()
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/test-only/fails")
    def fails():  # a view that breaks, as a bug would
        raise RuntimeError("boom")

    response = app.test_client().get("/test-only/fails")
    page = body(response)
    assert response.status_code == 500 and "Une erreur s'est produite" in page and "boom" not in page
    assert "Internal Server Error" not in page


def test_the_api_answers_problem_documents_in_the_language_asked(client):
    english = client.get("/api/no-such-thing")
    assert english.status_code == 404 and english.mimetype == "application/problem+json"
    assert english.get_json()["detail"] == "This page does not exist, or what it showed was deleted."
    french = client.get("/api/no-such-thing", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert french.get_json()["detail"] == "Cette page n'existe pas, ou ce qu'elle montrait a été supprimé."
    assert french.get_json()["title"] == "Not Found" and french.headers["Content-Language"] == "fr"


def test_twilio_paths_keep_their_plain_error_so_twilio_uses_the_fallback_url(client):
    response = client.get("/twilio/no-such-webhook")
    assert response.status_code == 404 and "Introuvable" not in body(response)
