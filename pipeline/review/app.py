"""The review web app: staff log in, work through flagged passages with the keyboard, and their
decisions become reviews (and training labels).

Server-rendered HTML (FastAPI, Jinja2 with autoescaping), one small script for keyboard
shortcuts, no build step. Sessions are signed cookies (``itsdangerous`` through Starlette's
``SessionMiddleware``); every form carries a per-session CSRF token; every route but the login
page needs a session; exports and user management need the admin role; failed logins are
rate-limited per client address and username. Passage text is scraped and untrusted: it only
ever reaches the page through autoescaping or ``markupsafe.escape``.

    app = create_app("sqlite:///data/evidence.db")      # levelup review serve
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.middleware.sessions import SessionMiddleware

from pipeline.config import data_dir
from pipeline.errors import DecisionError, Forbidden, InputError, LoginRequired, PipelineError
from pipeline.evidence.store import Store
from pipeline.review import accounts, interop
from pipeline.review.queue import Filters, ReviewQueue
from pipeline.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)

SECRET_ENV = "LEVELUP_SECRET_KEY"
SESSION_HOURS = 8
TEMPLATES = Path(__file__).parent / "templates"
SCRIPT = (Path(__file__).parent / "static" / "review.js").read_text(encoding="utf-8")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@dataclass
class Settings:
    store: Store
    taxonomy: Taxonomy
    limiter: accounts.RateLimiter


def secret_key(instance: Path | None = None) -> str:
    """``$LEVELUP_SECRET_KEY``, else a key generated once into ``data/instance/secret_key``."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV]
    path = (instance or data_dir() / "instance") / "secret_key"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as stream:
            stream.write(secrets.token_urlsafe(48))
        log.info("generated a session secret in %s", path)
    return path.read_text(encoding="utf-8").strip()


def create_app(
    db_url: str,
    *,
    taxonomy: str = "levelling-up",
    secret: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    https_only: bool = False,
) -> FastAPI:
    store = Store.open(db_url)
    settings = Settings(store, load_taxonomy(taxonomy), accounts.RateLimiter(clock=clock))
    queue = ReviewQueue(store, settings.taxonomy.name)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    goal_titles = {g.id: g.title for g in settings.taxonomy.goals}

    app = FastAPI(title="levelup review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret or secret_key(),
        session_cookie="levelup_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=https_only,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(PipelineError)
    async def domain_error(request: Request, exc: PipelineError) -> Response:
        """Every domain error becomes a response here, and only here (statuses: pipeline.errors)."""
        if isinstance(exc, LoginRequired):
            return RedirectResponse("/login", status_code=303)
        if isinstance(exc, Forbidden):
            message = "This page is for administrators."
        elif exc.http_status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
            message = "The evidence database is not available just now. Try again in a minute." if exc.http_status == 503 else "Something went wrong on our side."
        else:
            message = str(exc)
        return page(request, "error.html", {"message": message}, status=exc.http_status)

    def user_of(request: Request) -> accounts.User:
        username = request.session.get("user")
        user = accounts.get_user(store, username) if username else None
        if user is None:
            request.session.clear()
            raise LoginRequired
        return user

    def admin_of(request: Request) -> accounts.User:
        user = user_of(request)
        if not user.is_admin:
            raise Forbidden
        return user

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form()
        sent = str(form.get("csrf_token", ""))
        if not sent or not hmac.compare_digest(sent, request.session.get("csrf", "")):
            raise InputError("The form expired or did not come from this site. Go back, reload the page and try again.")
        return {key: str(value) for key, value in form.items()}

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        username = request.session.get("user")
        user = accounts.get_user(store, username) if username and status < 500 else None  # no database on a 5xx page
        base = {"user": user, "csrf_token": csrf_token(request), "taxonomy": settings.taxonomy, "goal_titles": goal_titles}
        return templates.TemplateResponse(request, name, base | context, status_code=status)

    # --- login ----------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        return page(request, "login.html", {"error": None})

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = await form_of(request)
        username = form.get("username", "").strip()
        key = f"{request.client.host if request.client else '?'}|{username.lower()}"
        wait = settings.limiter.retry_after(key)
        if wait:
            return page(request, "login.html", {"error": f"Too many failed attempts. Try again in {int(wait) + 1} seconds."}, status=429)
        user = accounts.authenticate(store, username, form.get("password", ""))
        if user is None:
            settings.limiter.failed(key)
            return page(request, "login.html", {"error": "Unknown username or wrong password."}, status=401)
        settings.limiter.succeeded(key)
        request.session.clear()  # a fresh session (and CSRF token) after login
        request.session["user"] = user.username
        return RedirectResponse("/queue", status_code=303)

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        user_of(request)
        await form_of(request)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # --- the queue ------------------------------------------------------------------------

    @app.get("/")
    def home(request: Request) -> Response:
        user_of(request)
        return RedirectResponse("/queue", status_code=303)

    @app.get("/queue", response_class=HTMLResponse)
    def queue_page(request: Request) -> Response:
        user = user_of(request)
        filters = Filters.parse(dict(request.query_params))
        items = queue.items(user.username, filters)
        return page(
            request,
            "queue.html",
            {"items": items, "filters": filters, "query": _query(filters), "organisations": queue.organisations(), "size": queue.size(user.username)},
        )

    @app.get("/item/{passage_id}", response_class=HTMLResponse)
    def item_page(request: Request, passage_id: str) -> Response:
        user_of(request)
        item = queue.item(passage_id)
        if item is None:
            return page(request, "error.html", {"message": "That passage is no longer in the database."}, status=404)
        filters = Filters.parse(dict(request.query_params))
        return page(request, "item.html", {"item": item, "marked": highlight(item.text, item.entities, item.figures), "query": _query(filters)})

    @app.post("/item/{passage_id}/decide")
    async def decide(request: Request, passage_id: str) -> Response:
        user = user_of(request)
        form = await form_of(request)
        try:
            goals = [int(g) for g in form.get("goals", "").replace(",", " ").split()]
        except ValueError:
            raise InputError("Goals are numbers separated by spaces, for example: 3 14") from None
        try:
            queue.decide(passage_id, user.username, form.get("decision", ""), goals=goals, note=form.get("note"), goal_ids=settings.taxonomy.goal_ids)
        except DecisionError as error:
            raise InputError(f"{error}.") from None
        filters = Filters.parse({k: form.get(k, "") for k in ("organisation", "goal", "source", "date_from", "date_to")})
        following = queue.next_item(user.username, filters)
        return RedirectResponse(f"/item/{following}{_query(filters)}" if following else f"/queue{_query(filters)}", status_code=303)

    @app.post("/undo")
    async def undo(request: Request) -> Response:
        user = user_of(request)
        await form_of(request)
        undone = queue.undo_last(user.username)
        if undone is None:
            return RedirectResponse("/queue", status_code=303)
        passage = next(r["passage_id"] for r in queue.history() if r["id"] == undone)
        return RedirectResponse(f"/item/{passage}", status_code=303)

    @app.get("/review.js")
    def script(request: Request) -> Response:
        user_of(request)
        return Response(SCRIPT, media_type="text/javascript")

    @app.get("/status", response_class=HTMLResponse)
    def status_page(request: Request) -> Response:
        user_of(request)
        return page(request, "status.html", {"status": queue.status()})

    # --- administration -------------------------------------------------------------------

    @app.get("/admin/users", response_class=HTMLResponse)
    def users_page(request: Request) -> Response:
        admin_of(request)
        return page(request, "users.html", {"users": accounts.list_users(store), "error": None})

    @app.post("/admin/users", response_class=HTMLResponse)
    async def add_user(request: Request) -> Response:
        admin_of(request)
        form = await form_of(request)
        try:
            accounts.add_user(store, form.get("username", "").strip(), form.get("password", ""), form.get("role", "reviewer"))
        except InputError as error:  # shown on the page
            return page(request, "users.html", {"users": accounts.list_users(store), "error": str(error)}, status=400)
        return RedirectResponse("/admin/users", status_code=303)

    @app.get("/export/reviews.csv")
    def export_csv(request: Request) -> Response:
        admin_of(request)
        return _download(interop.reviews_csv(queue.history()), "reviews.csv", "text/csv")

    @app.get("/export/reviews.jsonl")
    def export_jsonl(request: Request) -> Response:
        admin_of(request)
        return _download(interop.reviews_jsonl(queue.history()), "reviews.jsonl", "application/x-ndjson")

    @app.get("/export/label-studio.json")
    def export_label_studio(request: Request) -> Response:
        admin_of(request)
        ids = [i.passage_id for i in queue.items(None, limit=100_000)]
        return _download(json.dumps(interop.label_studio_tasks(queue, ids), indent=1), "label-studio-tasks.json", "application/json")

    @app.get("/export/argilla.json")
    def export_argilla(request: Request) -> Response:
        admin_of(request)
        ids = [i.passage_id for i in queue.items(None, limit=100_000)]
        return _download(json.dumps(interop.argilla_records(queue, ids), indent=1), "argilla-records.json", "application/json")

    @app.get("/health")
    def health(request: Request) -> Response:
        user_of(request)
        return PlainTextResponse("ok")

    app.state.settings = settings
    return app


def highlight(text: str, entities: list[dict[str, Any]], figures: list[dict[str, Any]]) -> Markup:
    """The passage as HTML with organisations, people, places and figures marked; every piece
    of text escaped."""
    spans = sorted(
        [(e["start"], e["end"], e["label"], e.get("canonical") or e.get("role") or e["label"]) for e in entities]
        + [(f["start"], f["end"], "FIGURE", f"{f['value']:g} {f['unit']}" + (f" {f['counted']}" if f.get("counted") else "")) for f in figures],
        key=lambda s: (s[0], -s[1]),
    )
    out, at = [], 0
    for start, end, label, title in spans:
        if start < at or end > len(text) or start >= end:
            continue  # overlapping or out of range: leave as plain text
        out.append(escape(text[at:start]))
        out.append(Markup('<mark class="{}" title="{}">{}</mark>').format(label.lower(), title, text[start:end]))
        at = end
    out.append(escape(text[at:]))
    return Markup("").join(out)


def _query(filters: Filters) -> str:
    values = filters.query()
    return f"?{urlencode(values)}" if values else ""


def _download(body: str, name: str, media_type: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})
