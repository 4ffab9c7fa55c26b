"""The review web app: staff log in, work through flagged passages with the keyboard, and their
decisions become reviews (and training labels).

Server-rendered HTML (FastAPI, Jinja2 with autoescaping), one small script for keyboard
shortcuts, no build step. Sessions live in the database (``sessions``): the signed cookie holds
a random session id and the form's CSRF token, so logging out or a password change ends a
session for good. The app refuses to start without a strong secret (32 bytes or more). Every
form carries the CSRF token; every route but the login page needs a session; exports and user
management need the admin role; failed logins are limited per username (across addresses) and
per address (across usernames); passwords are hashed on a worker thread, never on the event
loop. Every response, errors included, carries the security headers. Passage text is scraped
and untrusted: it only ever reaches the page through autoescaping or ``markupsafe.escape``.

    app = create_app("sqlite:///data/evidence.db")      # levelup review serve
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pipeline.config import data_dir
from pipeline.errors import (
    ConfigError,
    DecisionError,
    Forbidden,
    InputError,
    LoginRequired,
    PipelineError,
    StaleDecision,
)
from pipeline.evidence.store import DECIDING, SETTLE, Store, now
from pipeline.review import accounts, explorer, interop
from pipeline.review.explorer import viewer_may
from pipeline.review.goals import goal_rows, plain_reason
from pipeline.review.logins import Hashing, LoginGate, LoginLimits, attempt_of
from pipeline.review.queue import Filters, Item, ReviewQueue
from pipeline.tables import cell_spans, parse_pipe_table, readable, structure
from pipeline.taxonomy import Taxonomy, load_taxonomy

log = logging.getLogger(__name__)

SECRET_ENV = "LEVELUP_SECRET_KEY"
MIN_SECRET_BYTES = 32
SESSION_HOURS = 8
PAGE_SIZE = 50  # queue rows per page
USER_ATTEMPTS, ADDRESS_ATTEMPTS, LOGIN_WINDOW = 5, 20, 300.0  # failed logins allowed per 5 minutes
HASH_SLOTS = 2  # password hashes (argon2id, ~64 MB each) computed at once, on their own threads; other logins wait their turn
MAX_BODY = 64 * 1024  # bytes a request body may have: a decision with a 2,000-character note is well under
MAX_ID = 2**31 - 1  # the largest review id or page number a form or URL may name
FILTER_KEYS = ("organisation", "goal", "source", "date_from", "date_to", "search")  # carried from the queue to each decision
GOAL_VALUE = re.compile(r"^[0-9]{1,3}$")  # a goal number as a form sends it (ASCII digits only)
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
    limiter: accounts.RateLimiter  # failed logins per username, from any address
    address_limiter: accounts.RateLimiter  # failed logins per address, over any usernames


def secret_key(instance: Path | None = None) -> str:
    """``$LEVELUP_SECRET_KEY``, else a key generated once into ``data/instance/secret_key``; a
    ``ConfigError`` when it is shorter than 32 bytes, looks made by hand (few distinct characters,
    a repeated pattern), sits in a file others can read, or cannot be made."""
    if SECRET_ENV in os.environ:
        return checked_secret(os.environ[SECRET_ENV], f"${SECRET_ENV}")
    path = (instance or data_dir() / "instance") / "secret_key"
    if not path.is_file():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as stream:
                stream.write(secrets.token_urlsafe(48))
        except OSError as exc:
            raise ConfigError(f"cannot write the session secret {path} ({exc.strerror}); make its folder writable or set ${SECRET_ENV} to 32+ random bytes") from exc
        log.info("generated a session secret in %s", path)
    try:
        secret = checked_secret(path.read_text(encoding="utf-8"), str(path))
        mode = path.stat().st_mode & 0o777
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the session secret {path}; fix its permissions or set ${SECRET_ENV}") from exc
    if os.name == "posix" and mode & 0o077:
        raise ConfigError(f"the session secret {path} can be read by other users (mode {mode:o}); run: chmod 600 {path}")
    return secret


def checked_secret(value: str, where: str) -> str:
    """``value`` stripped, if it is long enough to sign sessions with."""
    secret = value.strip()
    how = f"use at least {MIN_SECRET_BYTES} random bytes, e.g. python -c \"import secrets; print(secrets.token_urlsafe(48))\""
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigError(f"the session secret in {where} is {'empty' if not secret else f'{len(secret.encode())} bytes'}; {how}")
    if len(set(secret)) < MIN_DISTINCT or _repeats(secret):
        raise ConfigError(f"the session secret in {where} is long enough but easy to guess (a repeated pattern or few distinct characters); {how}")
    return secret


MIN_DISTINCT = 12  # characters a secret must have at least this many different ones of


def _repeats(secret: str) -> bool:
    """Whether ``secret`` is a shorter string written out again and again ("changeme" x 4)."""
    n = len(secret)
    return any(n % size == 0 and secret == secret[:size] * (n // size) for size in range(1, n // 2 + 1))


def create_app(
    db_url: str,
    *,
    taxonomy: str = "levelling-up",
    secret: str | None = None,
    clock: Callable[[], float] = time.monotonic,
    https_only: bool = False,
    reviewers_per_passage: int | None = 1,
) -> FastAPI:
    signing_key = checked_secret(secret, "the secret given") if secret is not None else secret_key()
    store = Store.open(db_url)
    settings = Settings(
        store, load_taxonomy(taxonomy), accounts.RateLimiter(USER_ATTEMPTS, LOGIN_WINDOW, clock), accounts.RateLimiter(ADDRESS_ATTEMPTS, LOGIN_WINDOW, clock)
    )
    if reviewers_per_passage is not None and reviewers_per_passage < 1:
        raise ConfigError(f"reviewers per passage is {reviewers_per_passage}; use 1 (share the work) or more (overlap for agreement)")
    queue = ReviewQueue(store, settings.taxonomy.name, reviewers_per_passage=reviewers_per_passage)
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.filters["readable"] = readable_text  # a table passage as its labelled rows, not pipes
    templates.env.filters["plain"] = plain_reason  # a flag's reason in words, not codes
    goal_titles = {g.id: g.title for g in settings.taxonomy.goals}

    app = FastAPI(title="levelup review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=signing_key,
        session_cookie="levelup_session",
        max_age=SESSION_HOURS * 3600,
        same_site="strict",
        https_only=https_only,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        try:
            response = await call_next(request)
        except Exception as exc:  # anything unforeseen: the plain 500 page, still with the headers below
            if _too_large(exc):  # a body that grew past MAX_BODY while it was read (no Content-Length)
                response = HTMLResponse(TOO_LARGE_PAGE, status_code=413)
            else:
                log.exception("%s %s failed", request.method, request.url.path)
                response = HTMLResponse(SERVER_ERROR_PAGE, status_code=500)
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        """An unknown address or method: the site's own page, never the framework's JSON."""
        message = "There is no page at this address." if exc.status_code == 404 else "This page cannot be used that way." if exc.status_code == 405 else "That request could not be handled."
        return page(request, "error.html", {"message": message}, status=exc.status_code)

    @app.exception_handler(PipelineError)
    async def domain_error(request: Request, exc: PipelineError) -> Response:
        """Every domain error becomes a response here, and only here (statuses: pipeline.errors)."""
        if isinstance(exc, LoginRequired):
            return RedirectResponse("/login", status_code=303)
        if isinstance(exc, StaleDecision) and isinstance(exc.fresh, Item):
            return item_response(request, exc.fresh, Filters(), message=str(exc), status=exc.http_status)
        if isinstance(exc, Forbidden):
            message = str(exc) or "This page is for administrators."
        elif exc.http_status >= 500:
            log.error("%s %s: %s", request.method, request.url.path, exc)
            message = "The evidence database is not available just now. Try again in a minute." if exc.http_status == 503 else "Something went wrong on our side."
        else:
            message = str(exc)
        return page(request, "error.html", {"message": message}, status=exc.http_status)

    hashing = Hashing(HASH_SLOTS)
    limits = LoginLimits(settings.limiter, settings.address_limiter)  # checked by LoginGate (added below), given back here

    def user_of(request: Request) -> accounts.User:
        sid = request.session.get("sid")
        username = store.session_user(_digest(sid)) if isinstance(sid, str) else None
        user = accounts.get_user(store, username) if username else None
        if user is None:
            request.session.clear()
            raise LoginRequired
        if not user.may_review and not viewer_may(request.url.path):
            raise Forbidden("This page is for reviewers. You can search the evidence at /evidence.")
        request.state.user = user  # for the page drawn for this request
        return user

    def start_session(request: Request, user: accounts.User) -> None:
        request.session.clear()  # a fresh session id and CSRF token after every login
        sid = secrets.token_urlsafe(32)
        store.add_session(_digest(sid), user.username, now() + timedelta(hours=SESSION_HOURS))
        request.session["sid"] = sid

    def admin_of(request: Request) -> accounts.User:
        user = user_of(request)
        if not user.is_admin:
            raise Forbidden
        return user

    def csrf_token(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(32)
        return request.session["csrf"]

    async def form_of(request: Request) -> Form:
        form = await request.form()  # the body is already bounded (MAX_BODY, by RequestGuard)
        sent = str(form.get("csrf_token", ""))
        if not sent or not hmac.compare_digest(sent, request.session.get("csrf", "")):
            raise InputError("The form expired or did not come from this site. Go back, reload the page and try again.")
        values = {key: str(value) for key, value in form.items()}
        if any("\x00" in key or any("\x00" in str(v) for v in form.getlist(key)) for key in form):
            raise InputError("The form has a NUL character in it; remove it and send the form again.")
        return Form(values, {key: [str(v) for v in form.getlist(key)] for key in form})

    def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        user = getattr(request.state, "user", None)
        if user is None and status < 500:  # no database on a 5xx page
            sid = request.session.get("sid")
            username = store.session_user(_digest(sid)) if isinstance(sid, str) else None
            user = accounts.get_user(store, username) if username else None
        flash = request.session.pop("flash", None) if status < 400 else None
        base = {"user": user, "flash": flash, "progress": progress_line(request, queue, user, waiting=context.get("size")) if name in ("item.html", "queue.html") and user else None, "csrf_token": csrf_token(request), "taxonomy": settings.taxonomy, "goal_titles": goal_titles}
        return templates.TemplateResponse(request, name, base | context, status_code=status)

    # --- login ----------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        return page(request, "login.html", {"error": None})

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        # LoginGate counted this attempt as a failure before anything read it (and refused it there
        # when its username or address had none left); a success or a bad form gives it back
        attempt = attempt_of(request.scope)
        if attempt is None:
            raise ConfigError("the login route is served without its LoginGate; build the app with create_app")
        try:
            form = await form_of(request)
        except InputError:
            limits.give_back(attempt)
            raise
        user = await hashing.run(accounts.authenticate, store, attempt.username, form.get("password", ""))
        if user is None:
            return page(request, "login.html", {"error": "Unknown username or wrong password."}, status=401)
        limits.succeeded(attempt)
        start_session(request, user)
        return RedirectResponse(user.home, status_code=303)

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        user_of(request)
        await form_of(request)
        store.end_session(_digest(request.session["sid"]))
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/account", response_class=HTMLResponse)
    def account_page(request: Request) -> Response:
        user_of(request)
        return page(request, "account.html", {"error": None})

    @app.post("/account", response_class=HTMLResponse)
    async def change_password(request: Request) -> Response:
        """A new password ends every session of the user, this one included; a fresh one follows."""
        user = user_of(request)
        form = await form_of(request)
        if await hashing.run(accounts.authenticate, store, user.username, form.get("current", "")) is None:
            return page(request, "account.html", {"error": "The current password is wrong."}, status=400)
        try:
            await hashing.run(accounts.add_user, store, user.username, form.get("new", ""), user.role)
        except InputError as error:
            return page(request, "account.html", {"error": str(error)}, status=400)
        start_session(request, user)
        return RedirectResponse(user.home, status_code=303)

    # --- the queue ------------------------------------------------------------------------

    @app.get("/")
    def home(request: Request) -> Response:
        return RedirectResponse(user_of(request).home, status_code=303)

    @app.get("/queue", response_class=HTMLResponse)
    def queue_page(request: Request) -> Response:
        user = user_of(request)
        filters = Filters.parse(dict(request.query_params))
        number_int = _page_number(request.query_params.get("page", "1"))
        items, matching = queue.page(user.username, filters, limit=PAGE_SIZE, offset=(number_int - 1) * PAGE_SIZE)
        pages = max(1, -(-matching // PAGE_SIZE))
        context = {
            "items": items, "filters": filters, "query": _query(filters), "organisations": queue.organisations(), "matching": matching,
            "size": queue.size(user.username) if filters.query() else matching, "page_number": number_int, "pages": pages,
            "page_query": lambda n: _query(filters, page=n),
        }
        return page(request, "queue.html", context)

    def item_response(request: Request, item: Item, filters: Filters, *, message: str | None = None, status: int = 200) -> HTMLResponse:
        rows = goal_rows(settings.taxonomy, item.suggestions)
        user = getattr(request.state, "user", None)
        settled = any(d["decision"] == SETTLE for d in item.decisions)
        mine = user is not None and any(d["reviewer"] == user.username and d["decision"] in DECIDING for d in item.decisions)
        others = [d for d in item.decisions if user is None or d["reviewer"] != user.username]
        context = {
            "item": item,
            # blind double review: what others decided shows only once the passage is settled or
            # this reviewer has decided it too, so a second opinion is not anchored on the first
            "decisions": item.decisions if settled or mine else [],
            "hidden_decisions": 0 if settled or mine else len({d["reviewer"] for d in others if d["decision"] in DECIDING}),
            # that reviewers disagree is itself a hint: said only to those who may see the decisions
            "disputed": not settled and (mine or bool(user and user.is_admin)) and store.disputed(settings.taxonomy.name, item.passage_id),
            "top_rows": sorted((r for r in rows if r.shown), key=lambda r: (not r.suggested, -(r.score or 0))),
            "rows": rows,
            "marked": passage_html(item.text, item.entities, item.figures),
            "query": _query(filters),
            "token": secrets.token_urlsafe(16),
            "message": message,
            "filter_keys": FILTER_KEYS,
        }
        return page(request, "item.html", context, status=status)

    @app.get("/item/{passage_id}", response_class=HTMLResponse)
    def item_page(request: Request, passage_id: str) -> Response:
        user_of(request)
        filters = Filters.parse(dict(request.query_params))
        item = queue.item(passage_id)
        if item is None:
            return page(request, "error.html", {"message": "That passage is no longer in the database."}, status=404)
        return item_response(request, item, filters)

    @app.post("/item/{passage_id}/decide")
    async def decide(request: Request, passage_id: str) -> Response:
        user = user_of(request)
        form = await form_of(request)
        goals = _goals(form.all("goals"))
        shown_goals = _goals(form.all("shown_goals")) if "shown_goals" in form else None
        if not form.get("token") or not form.get("shown"):
            raise InputError("The form is missing what it was drawn with (its token and version). Reload the page and decide again.")
        filters = Filters.parse({k: form.get(k, "") for k in FILTER_KEYS})  # checked before anything is stored
        decision = form.get("decision", "")
        if queue.full(passage_id, user.username):  # with 2 or more reviewers per passage: no extra opinion by URL
            raise InputError(
                f"This passage already has the {queue.reviewers_per_passage} reviews it needs; nothing was saved. Take the next passage from the queue."
            )
        try:
            review_id = queue.decide(
                passage_id, user.username, decision, goals=goals if decision == "change" or (decision == "accept" and "goals_sent" in form) else None,
                note=form.get("note"), goal_ids=settings.taxonomy.goal_ids, shown=form["shown"], shown_goals=shown_goals, token=form["token"],
            )
        except StaleDecision:
            raise
        except DecisionError as error:
            raise InputError(f"{error}.") from None
        stored = store.review(review_id)
        if stored is not None:
            kept = " ".join(map(str, stored["goals_after"])) or "none"
            request.session["flash"] = {"text": f"Saved: {stored['decision'].replace('_', ' ')} (goals {kept}) for “{_snippet(stored['passage_text'])}”.", "review": review_id}
        progress = request.session.get("progress") or {"done": 0, "started": time.time()}
        progress["done"] += 1
        request.session["progress"] = progress
        following = queue.next_item(user.username, filters)
        return RedirectResponse(f"/item/{following}{_query(filters)}" if following else f"/queue{_query(filters)}", status_code=303)

    @app.post("/undo")
    async def undo(request: Request) -> Response:
        """Take back the decision named in the form (one's own), or else one's latest."""
        user = user_of(request)
        form = await form_of(request)
        wanted = form.get("review", "")
        if wanted and not (DIGITS.match(wanted) and int(wanted) <= MAX_ID):
            raise InputError(f"'{wanted[:20]}' is not a decision's number; use the Undo button of the decision to take back")
        undone = queue.undo(int(wanted), user.username) if wanted else queue.undo_last(user.username)
        if undone is None:
            request.session["flash"] = {"text": "Nothing to undo: that decision is already taken back, or not yours."}
            return RedirectResponse("/queue", status_code=303)
        taken_back = store.review(undone)
        request.session["flash"] = {"text": "Decision taken back: decide this passage again."}
        progress = request.session.get("progress")
        if progress:
            progress["done"] = max(0, int(progress["done"]) - 1)
            request.session["progress"] = progress
        return RedirectResponse(f"/item/{taken_back['passage_id']}" if taken_back else "/queue", status_code=303)

    @app.get("/mine", response_class=HTMLResponse)
    def my_decisions(request: Request) -> Response:
        user = user_of(request)
        number_int = _page_number(request.query_params.get("page", "1"))
        rows = queue.mine(user.username, limit=PAGE_SIZE + 1, offset=(number_int - 1) * PAGE_SIZE)
        return page(request, "mine.html", {"rows": rows[:PAGE_SIZE], "page_number": number_int, "more": len(rows) > PAGE_SIZE})

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
            await hashing.run(functools.partial(accounts.add_user, replace=False), store, form.get("username", ""), form.get("password", ""), form.get("role", "reviewer"))
        except InputError as error:  # shown on the page
            return page(request, "users.html", {"users": accounts.list_users(store), "error": str(error)}, status=400)
        return RedirectResponse("/admin/users", status_code=303)

    @app.get("/admin/disagreements", response_class=HTMLResponse)
    def disagreements_page(request: Request) -> Response:
        admin_of(request)
        return page(request, "disagreements.html", {"rows": queue.disagreements()})

    def settle_response(request: Request, passage_id: str, *, error: str | None = None, note: str = "", chosen: list[int] | None = None) -> HTMLResponse:
        item = queue.item(passage_id)
        if item is None:
            return page(request, "error.html", {"message": "That passage is no longer in the database."}, status=404)
        reviewers: dict[str, dict[str, Any]] = {}
        for d in item.decisions:
            if d["decision"] in DECIDING:
                reviewers[d["reviewer"]] = {"decision": d["decision"], "goals": sorted(d["goals_after"] or []), "note": d["note"]}
        context = {
            "item": item, "marked": passage_html(item.text, item.entities, item.figures), "reviewers": reviewers,
            "rows": goal_rows(settings.taxonomy, item.suggestions), "error": error, "note": note, "chosen": chosen or [],
            "settled": any(d["decision"] == SETTLE for d in item.decisions),
        }
        return page(request, "settle.html", context, status=400 if error else 200)

    @app.get("/admin/settle/{passage_id}", response_class=HTMLResponse)
    def settle_page(request: Request, passage_id: str) -> Response:
        """One disagreement: the passage in its context, the model's suggestion and each reviewer's
        goals side by side, and the form to settle it."""
        admin_of(request)
        return settle_response(request, passage_id)

    @app.post("/admin/settle/{passage_id}", response_class=HTMLResponse)
    async def settle(request: Request, passage_id: str) -> Response:
        """An administrator's label for a passage reviewers disagree on; a mistake comes back to
        the form with what was typed kept."""
        admin = admin_of(request)
        form = await form_of(request)
        note = form.get("note", "")
        try:
            goals = _goals(form.all("goals"))
            queue.settle(passage_id, admin.username, goals, goal_ids=settings.taxonomy.goal_ids, note=note)
        except (DecisionError, InputError) as error:
            text = str(error)
            return settle_response(request, passage_id, error=text[0].upper() + text[1:].rstrip(".") + ". Nothing was saved.", note=note)
        item = queue.item(passage_id)
        label = " ".join(map(str, goals)) or "no goal"
        where = f"“{_snippet(item.text)}”" if item else "the passage"
        request.session["flash"] = {"text": f"Settled {where} as {label}: reports, exports and training now use this label."}
        return RedirectResponse("/admin/disagreements", status_code=303)

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

    explorer.install(app, store, settings.taxonomy, page=page, user_of=user_of, mark=passage_html)
    app.state.settings = settings
    app.add_middleware(LoginGate, limits=limits, headers=SECURITY_HEADERS)  # before sessions and forms: a refused login costs next to nothing
    app.add_middleware(RequestGuard, limit=MAX_BODY)  # outermost: before sessions, forms and logins
    return app


def progress_line(request: Request, queue: ReviewQueue, user: accounts.User, *, waiting: int | None = None) -> str | None:
    """"12/50 · about 9 min left": decisions this session out of those plus what is waiting (the
    queue's size, counted here unless the page already did), and the time left at this session's pace."""
    progress = request.session.get("progress")
    if not progress or not progress.get("done"):
        return None
    done = int(progress["done"])
    waiting = queue.size(user.username) if waiting is None else waiting
    pace = max(1.0, (time.time() - float(progress["started"])) / done)  # seconds per decision
    minutes = round(waiting * pace / 60)
    left = "less than a minute left" if minutes < 1 else f"about {minutes} min left" if minutes < 120 else f"about {minutes / 60:.0f} h left"
    return f"{done}/{done + waiting} · {left}"


def server_options(*, forwarded_allow_ips: str | None = None) -> dict[str, Any]:
    """uvicorn settings: proxy headers (X-Forwarded-For, -Proto) are believed only from the
    addresses given, never by default, so a client cannot pick its own address for the login
    limits by sending them."""
    return {"proxy_headers": bool(forwarded_allow_ips), "forwarded_allow_ips": forwarded_allow_ips or "", "server_header": False}


def readable_text(text: str) -> str:
    """What a list or a context line shows of a passage: a table as its labelled rows."""
    return readable(text, parse_pipe_table(text))


def passage_html(text: str, entities: list[dict[str, Any]], figures: list[dict[str, Any]]) -> Markup:
    """The passage as HTML: a table passage as a table (caption, header row, each cell with its
    organisations and figures marked), any other passage as marked text (:func:`highlight`)."""
    rows = cell_spans(text)
    if not rows:
        return highlight(text, entities, figures)
    shape = structure([[cell for cell, _, _ in row] for row in rows])
    out = [Markup('<table class="passage-table">')]
    if shape.caption is not None:
        out.append(Markup("<caption>{}</caption>").format(shape.caption))
        rows = rows[1:]
    for number, row in enumerate(rows):
        head = shape.header is not None and number == 0
        out.append(Markup("<tr>"))
        for column, (_cell, start, end) in enumerate(row):
            tag = "th" if head or column == 0 else "td"
            inside = [dict(e, start=e["start"] - start, end=e["end"] - start) for e in entities if start <= e["start"] and e["end"] <= end]
            counted = [dict(f, start=f["start"] - start, end=f["end"] - start) for f in figures if start <= f["start"] and f["end"] <= end]
            scope = Markup(' scope="col"') if head else Markup(' scope="row"') if column == 0 else Markup("")
            out.append(Markup("<{0}{1}>{2}</{0}>").format(Markup(tag), scope, highlight(text[start:end], inside, counted)))
        out.append(Markup("</tr>"))
    out.append(Markup("</table>"))
    return Markup("").join(out)


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


class Form(dict[str, str]):
    """A submitted form: the last value of each field, and ``all`` of a repeated one."""

    def __init__(self, values: dict[str, str], lists: dict[str, list[str]]) -> None:
        super().__init__(values)
        self._lists = lists

    def all(self, key: str) -> list[str]:
        return self._lists.get(key, [])


def _goals(values: list[str]) -> list[int]:
    """Goal numbers from form values ("3", "3 14" or "3,14"); anything else is a 400."""
    parts = [part for value in values for part in value.replace(",", " ").split()]
    bad = [part for part in parts if not GOAL_VALUE.match(part)]
    if bad:
        raise InputError(f"'{bad[0][:20]}' is not a goal number; goals are numbers such as 3 or 14")
    return [int(part) for part in parts]


DIGITS = re.compile(r"^[0-9]{1,10}$")  # ASCII digits only: "²".isdigit() is true, int("²") fails


def _page_number(value: str) -> int:
    """A page number from the query string: 1 to 100,000, ASCII digits; anything else is a 400."""
    if not DIGITS.match(value) or not 1 <= int(value) <= 100_000:
        raise InputError(f"'{value[:20]}' is not a page number; use 1, 2, 3 …")
    return int(value)


def _snippet(text: str, size: int = 60) -> str:
    """The start of a passage, to name it in a message (never its hash)."""
    flat = " ".join(readable_text(text).split())
    return flat if len(flat) <= size else flat[: size - 1].rsplit(" ", 1)[0] + "…"


class TooLarge(Exception):
    """A request body went past MAX_BODY while it was read."""


def _too_large(exc: BaseException) -> bool:
    """``TooLarge``, also as it comes out of a task group (wrapped in an exception group)."""
    if isinstance(exc, BaseExceptionGroup):
        return any(_too_large(inner) for inner in exc.exceptions)
    return isinstance(exc, TooLarge)


TOO_LARGE_PAGE = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too large · levelup evidence</title></head>"
    "<body><p role=\"alert\">What was sent is too large. A note can have up to 2,000 characters; shorten it and try again.</p>"
    "<p><a href=\"/queue\">Back to the queue</a></p></body></html>"
)
BAD_REQUEST_PAGE = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Problem · levelup evidence</title></head>"
    "<body><p role=\"alert\">The address has a character no page uses (a NUL). Check the link and try again.</p>"
    "<p><a href=\"/queue\">Back to the queue</a></p></body></html>"
)


class RequestGuard:
    """Checks every request before anything reads it: a body larger than ``limit`` bytes is refused
    (413) by its Content-Length, or, without one, as soon as it grows past the limit, so no form is
    parsed, no session loaded and no password hashed for it; an address with a NUL character is a
    400 (a database would refuse the character, PostgreSQL with an error)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b"") or b"\x00" in scope.get("query_string", b""):
            await _plain(send, 400, BAD_REQUEST_PAGE)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            await _plain(send, 413, TOO_LARGE_PAGE)
            return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise TooLarge
            return message

        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded, watched)
        except Exception as exc:  # read past the limit before anything inside answered (LoginGate reads the body first)
            if not _too_large(exc) or started:
                raise
            await _plain(send, 413, TOO_LARGE_PAGE)


async def _plain(send: Send, status: int, body: str) -> None:
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"connection", b"close"), (b"cache-control", b"no-store")]
    headers += [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body.encode()})


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


SERVER_ERROR_PAGE = (
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Problem · levelup evidence</title></head>"
    "<body><p role=\"alert\">Something went wrong on our side. Go back and try again; if it keeps happening, tell an administrator.</p>"
    "<p><a href=\"/queue\">Back to the queue</a></p></body></html>"
)


def _query(filters: Filters, *, page: int | None = None) -> str:
    values = filters.query() | ({"page": str(page)} if page and page > 1 else {})
    return f"?{urlencode(values)}" if values else ""


def _download(body: str, name: str, media_type: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'})
