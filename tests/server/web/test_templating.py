"""Page-or-fragment rendering and CSRF checks on a tiny inline app (no auth, no schema)."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from server.csrf import csrf_problem
from server.web.templating import TemplateResponse, env, render, render_error

TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


async def error_page(request: Request) -> Response:
    return render_error(request, 409, "Conflict", "Campaign <b>c-1</b> already exists.")


async def jobs_page(request: Request) -> Response:
    context = {"jobs": [], "live": False, "new_job_id": None, "error": None, "can_run": True}
    return render(request, "jobs.html", context, fragment="jobs")


async def guarded(request: Request) -> Response:
    problem = csrf_problem(request, await request.form())
    return PlainTextResponse(problem or "accepted", status_code=403 if problem else 200)


def make_client() -> TestClient:
    app = Starlette(routes=[Route("/error", error_page), Route("/jobs", jobs_page),
                            Route("/guarded", guarded, methods=["POST"])],
                    middleware=[Middleware(SessionMiddleware, secret_key="k" * 40)])
    return TestClient(app)


def test_autoescape_is_on_for_html() -> None:
    assert env.from_string("{{ v }}").render(v="<i>") == "&lt;i&gt;"
    html = env.get_template("error.html").render(
        request=None, csrf_token="t", user=None, status_code=400, title="<x>", message="<y>")
    assert "<title>&lt;x&gt; · Mailscope</title>" in html
    assert "&lt;y&gt;" in html and "<y>" not in html


def test_error_page_and_htmx_fragment() -> None:
    client = make_client()
    page = client.get("/error")
    assert page.status_code == 409
    assert "<h1>409 · Conflict</h1>" in page.text
    assert "Campaign &lt;b&gt;c-1&lt;/b&gt; already exists." in page.text
    fragment = client.get("/error", headers={"HX-Request": "true"})
    assert fragment.status_code == 409
    assert fragment.text == ('<p class="alert" role="alert" id="error-message">'
                             "Campaign &lt;b&gt;c-1&lt;/b&gt; already exists.</p>")
    assert fragment.headers["hx-retarget"] == "#flash"
    assert fragment.headers["hx-reswap"] == "innerHTML"


def test_render_keeps_the_template_name_and_the_context() -> None:
    client = make_client()
    page = client.get("/jobs")
    assert page.template == "jobs.html"
    assert page.context == {"jobs": [], "live": False, "new_job_id": None, "error": None,
                            "can_run": True}
    fragment = client.get("/jobs", headers={"HX-Request": "true"})
    assert (fragment.template, fragment.context) == (page.template, page.context)
    error = client.get("/error")
    assert error.template == "error.html"
    assert error.context == {"status_code": 409, "title": "Conflict",
                             "message": "Campaign <b>c-1</b> already exists."}


def test_the_response_object_carries_them_without_a_client() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/jobs", "headers": [],
                       "query_string": b"", "session": {}})
    context = {"jobs": [], "live": True, "new_job_id": None, "error": None,
               "can_run": False}
    response = render(request, "jobs.html", context, fragment="jobs")
    assert isinstance(response, TemplateResponse)
    assert response.template == "jobs.html"
    assert response.context is context
    assert response.headers["vary"] == "HX-Request"


def test_boosted_request_gets_whole_page() -> None:
    client = make_client()
    boosted = client.get("/jobs", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert boosted.text.startswith("<!doctype html>")
    fragment = client.get("/jobs", headers={"HX-Request": "true"})
    assert fragment.text.startswith('<div id="jobs" class="card"')
    assert fragment.text in client.get("/jobs").text
    assert "No jobs have run yet." in fragment.text
    assert "every 1s" not in fragment.text


def test_csrf_form_field_and_header() -> None:
    client = make_client()
    token = TOKEN.search(client.get("/jobs").text).group(1)
    assert client.post("/guarded", data={"csrf_token": token}).text == "accepted"
    assert client.post("/guarded", headers={"X-CSRF-Token": token}).text == "accepted"
    forged = client.post("/guarded", data={"csrf_token": token + "x"})
    assert forged.status_code == 403
    assert forged.text.startswith("The security token does not match this session")
    missing = client.post("/guarded")
    assert missing.status_code == 403
    assert missing.text.startswith("The request carried no security token")


def test_csrf_without_session_token() -> None:
    response = make_client().post("/guarded", data={"csrf_token": "anything"})
    assert response.status_code == 403
    assert response.text.startswith("Your session has no security token")
