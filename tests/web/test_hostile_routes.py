"""Every web route, for every role, with hostile path and query values: never a server error.

Hypothesis draws, for each route and role, the values of the URL's arguments (ids of 0, of 64 bits and
beyond, strings where ids go) and of the query parameters the pages read (days and months far away,
page numbers of twenty digits, CR/LF, NUL, markup, very long text), then a GET — and for POST routes a
POST carrying a valid CSRF token and the same hostile values as form fields. A few examples per route
keep it to seconds; the routes are read from the application, so a new page is walked too.
"""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from werkzeug.routing import IntegerConverter

from tests.web.conftest import csrf_token, sign_in
from tests.web.test_access_matrix import ROLES, web_rules

QUERY_NAMES = ["start", "end", "month", "page", "department", "from", "to", "next", "q", "kind", "specialty", "status", "token"]
HOSTILE_TEXT = st.sampled_from(
    [
        "",
        "0",
        "-1",
        "99999999999999999999",
        "9223372036854775808",
        "9999-12-31",
        "0001-01-01",
        "9999-12",
        "2026-13",
        "2026-02-30",
        "9999-12-31T23:59:59+00:00",
        "x",
        "%",
        "\r\nSet-Cookie: x=1",
        "\x00",
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "//evil.example/",
        "é" * 300,
        "1e308",
        "NaN",
    ]
)
HOSTILE_INT = st.sampled_from([0, 1, 2, 3, 7, 2**31 - 1, 2**31, 2**63 - 1])


def _url(rule, values: dict) -> str:
    path = rule.rule
    for name, converter in rule._converters.items():
        value = values[name]
        path = path.replace(f"<{'int:' if isinstance(converter, IntegerConverter) else ''}{name}>", str(value))
    return path


@given(data=st.data())
# Generation only: each example already walks every route, and shrinking one that failed would walk
# them hundreds of times; the failure message lists every request that failed.
@settings(max_examples=2, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, phases=[Phase.generate])
def test_no_route_answers_a_server_error_to_hostile_values_for_any_role(app, world, data):
    clients = {role: (app.test_client() if role == "anonymous" else sign_in(app.test_client(), role)) for role in ROLES}
    failures = []
    for role, rule in itertools.product(ROLES, web_rules(app)):
        client = clients[role]
        values = {
            name: data.draw(HOSTILE_INT if isinstance(converter, IntegerConverter) else HOSTILE_TEXT.filter(lambda t: "/" not in t and t))
            for name, converter in rule._converters.items()
        }
        query = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), HOSTILE_TEXT, max_size=3))
        url = _url(rule, values)
        try:  # the test app lets exceptions through rather than answering 500: both are failures
            if "GET" in rule.methods:
                status = client.get(url, query_string=query).status_code
            else:
                token = csrf_token(client, "/sign-in" if role == "anonymous" else "/account")
                status = client.post(url, query_string=query, data={"csrf_token": token, **query}).status_code
                if rule.endpoint == "web.auth.sign_out" and role != "anonymous":
                    clients[role] = sign_in(app.test_client(), role)
        except Exception as exc:  # noqa: BLE001 - any exception is what this test looks for
            status = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        if not isinstance(status, int) or status >= 500:
            failures.append(f"{role} {rule.methods - {'HEAD', 'OPTIONS'}} {url} {query!r}: {status}")
    assert failures == []
