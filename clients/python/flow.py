"""A short typed flow against a live server with the generated Python client's functions
only (openapi-python-client): register, log in, create and submit an activity, approve it as
a moderator, find it on the public listing with filters, read a revision's changed fields in
the queue, and receive a typed 409 problem. Run by clients/run with API_BASE, ADMIN_EMAIL and
ADMIN_PASSWORD set and the generated package on the path."""

import os
import time
from http import HTTPStatus
from typing import TypeVar

from telework_registry_client import AuthenticatedClient, Client
from telework_registry_client.api.activities import create_activity, edit_activity, submit_activity
from telework_registry_client.api.auth import auth_login, auth_register
from telework_registry_client.api.moderation import moderation_approve_activity, moderation_list_queue
from telework_registry_client.api.public import public_list_activities
from telework_registry_client.models import (
    ActivityFormat,
    ActivityOut,
    ActivityPatch,
    Category,
    Kind,
    LoginRequest,
    ModerationActivity,
    NewActivity,
    PageQueueItem,
    Problem,
    PublicPage,
    QueueItemKind,
    Registered,
    RegisterRequest,
    Status,
    TokenPair,
    VersionBody,
)
from telework_registry_client.types import Response

T = TypeVar("T")
BASE = os.environ["API_BASE"]


def ok(step: str, response: Response[object], kind: type[T]) -> T:
    """The parsed body of a successful answer, as the model the spec names."""
    parsed = response.parsed
    if not isinstance(parsed, kind):
        raise AssertionError(f"{step}: HTTP {response.status_code} {response.content[:300]!r}")
    print(f"ok   {step} ({response.status_code})")
    return parsed


def check(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(f"check failed: {what}")


def login(email: str, password: str) -> AuthenticatedClient:
    r = auth_login.sync_detailed(client=anonymous, body=LoginRequest(email=email, password=password))
    return AuthenticatedClient(base_url=BASE, token=ok(f"login {email}", r, TokenPair).access_token)


anonymous = Client(base_url=BASE, raise_on_unexpected_status=True)
stamp = f"py{int(time.time() * 1000):x}"
email, password = f"{stamp}@example.jp", "python-client-pw"

registered = ok(
    "register",
    auth_register.sync_detailed(
        client=anonymous,
        body=RegisterRequest(
            email=email,
            password=password,
            kind=Kind.INDIVIDUAL,
            display_name="パイソン太郎",
            prefecture="27",
        ),
    ),
    Registered,
)
check(registered.account.kind == Kind.INDIVIDUAL, "the account is an individual")
registrant = login(email, password)

title = f"Pythonクライアントでテレワークを試す {stamp}"
draft = ok(
    "create activity",
    create_activity.sync_detailed(
        client=registrant,
        body=NewActivity(
            campaign="demo",
            categories=[Category.TRY_PRACTICE],
            title=title,
            description="生成したPythonクライアントから登録しました。",
            format_=ActivityFormat.HYBRID,
            prefecture="27",
        ),
    ),
    ActivityOut,
)
check(draft.status == Status.DRAFT, "a new activity is a draft")
submitted = ok(
    "submit",
    submit_activity.sync_detailed(draft.id, client=registrant, body=VersionBody(version=draft.version)),
    ActivityOut,
)
check(submitted.status == Status.PENDING, "a submitted activity is pending")

moderator = login(os.environ["ADMIN_EMAIL"], os.environ["ADMIN_PASSWORD"])
approved = ok(
    "approve",
    moderation_approve_activity.sync_detailed(
        draft.id, client=moderator, body=VersionBody(version=submitted.version)
    ),
    ModerationActivity,
)
check(approved.status == Status.APPROVED and approved.owner.email == email, "approved, with the owner's contact")

listing = ok(
    "public listing with filters",
    public_list_activities.sync_detailed(
        client=anonymous, campaign="demo", category=[Category.TRY_PRACTICE], kind=Kind.INDIVIDUAL, q=stamp
    ),
    PublicPage,
)
check(listing.total == 1 and [a.id for a in listing.items] == [draft.id], "the approved activity is listed")
check(listing.items[0].title == title and listing.items[0].categories == [Category.TRY_PRACTICE], "its text")

# An edit of an approved activity waits as a revision; the queue shows old → new, typed.
edited = ok(
    "edit (revision)",
    edit_activity.sync_detailed(
        draft.id,
        client=registrant,
        body=ActivityPatch(version=approved.version, title=f"{title}（改訂）", starts_on="2026-11-02"),
    ),
    ActivityOut,
)
changes = {}
cursor = None
for _ in range(50):
    queue = ok(
        "moderation queue",
        moderation_list_queue.sync_detailed(client=moderator, campaign="demo", limit=100, cursor=cursor or None)
        if cursor
        else moderation_list_queue.sync_detailed(client=moderator, campaign="demo", limit=100),
        PageQueueItem,
    )
    for item in queue.items:
        if item.activity.id == draft.id:
            check(item.kind == QueueItemKind.REVISION, "the queue item is a revision")
            changes = {c.field: c for c in item.changes}
    if changes or not isinstance(queue.next_cursor, str):
        break
    cursor = queue.next_cursor
check(changes["title"].old == title and changes["title"].new == f"{title}（改訂）", "title old → new are text")
check(changes["starts_on"].old is None and changes["starts_on"].new == "2026-11-02", "an unset field is None")

# Approving with the version seen before the edit: a typed 409 problem with the activity.
stale = moderation_approve_activity.sync_detailed(draft.id, client=moderator, body=VersionBody(version=submitted.version))
check(stale.status_code == HTTPStatus.CONFLICT, f"a stale decision is refused with 409, got {stale.status_code}")
problem = ok("stale approve (409)", stale, Problem)
check(problem.code == "version_conflict" and problem.status == 409, f"a version_conflict problem: {problem}")
check(isinstance(problem.current, ActivityOut), "current is the activity as it is now")
assert isinstance(problem.current, ActivityOut)
check(problem.current.id == draft.id and problem.current.version == edited.version, "at its current version")
print("ok   typed 409 problem (version_conflict, with current)")
print("Python client flow: 1 passed, 0 failed")
