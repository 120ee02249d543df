"""Issue 17, item 7: Slack's own recorded payloads, replayed against the running bot.

Every file of ``payloads/`` (see ``corpus.py`` for its format and the only adaptations
allowed) is signed with the test signing secret and POSTed to ``/slack/events`` of a real
bot over loopback, with the fake Slack and the Bruin sandbox behind it. Each has an
expectation below: the HTTP answer, and the effect (what was posted, opened, published
or written, or that nothing at all happened).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bot.slack.app import registered
from tests.fakes.slack import ResponseUrlCall, SlackCall, StoredMessage
from tests.replay import corpus
from tests.slack.conftest import SECRET, Answer, Harness, dumps, sealed, sealed_meta, wait_for

CALLER = "U0CALLER"
AUDIT = "— via Slack by dana (U0CALLER)"
BRUIN_WRITES = ("note.add", "note.advanced", "ticket.create", "ticket.repair", "detail.status")
SLACK_EFFECTS = (
    "chat.postMessage",
    "chat.postEphemeral",
    "chat.update",
    "chat.delete",
    "chat.unfurl",
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
)
OUR_IDS = frozenset(
    {"T0001", "E0000001", "A0APP", "B0BOT", "U0BOT", CALLER, "U0RILEY", "C0OPS", "D0CALLER"}
)
"""The sandbox workspace: every id a recording is adapted to is one of these (or one of
the app's own callback, block and action ids)."""
TEMPLATE_FILLS = {"/type": "event_callback", "/event/tab": "home", "/event/channel_type": "im"}
"""The only fields set that are not ids: placeholders of json-logs samples (templates whose
values are "") a request needs to route, and ``channel_type`` of a channel message
delivered as a DM's (``message.im``), its channel id renamed to the DM's."""


# -- replaying -------------------------------------------------------------------------------


class Hooks:
    """corpus.Issuer over the running harness: the fake Slack's hooks, the test key."""

    def __init__(self, h: Harness, name: str) -> None:
        self.h, self.name = h, name

    def response_url(self, **link: Any) -> str:
        return self.h.slack.response_url(self.name, user_id=CALLER, **link)

    def trigger_id(self) -> str:
        return self.h.slack.issue_trigger_id(user_id=CALLER)

    def sealed(self, action_id: str, value: str) -> str:
        return sealed(action_id, value)

    def sealed_meta(self, callback_id: str, meta: dict[str, Any]) -> str:
        return sealed_meta(callback_id, meta)


@dataclass
class Replay:
    h: Harness
    rec: corpus.Recorded
    doc: Any
    body: bytes
    content_type: str
    answer: Answer

    def calls(self, method: str) -> list[SlackCall]:
        return self.h.slack.calls_to(method)

    def one(self, method: str) -> SlackCall:
        found = self.calls(method)
        assert len(found) == 1, (method, [c.params for c in found])
        assert found[0].error is None, found[0].error
        return found[0]

    def effects(self) -> list[str]:
        return [c.method for c in self.h.slack.calls if c.method in SLACK_EFFECTS]

    def replies(self) -> list[ResponseUrlCall]:
        return self.h.replies(self.rec.name)

    def bruin(self) -> list[str]:
        return [c.route for c in self.h.sandbox.bruin.calls if c.route != "token"]

    def writes(self) -> list[Any]:
        bruin = self.h.sandbox.bruin
        return [p for route in BRUIN_WRITES for p in bruin.payloads(route)]

    @property
    def event(self) -> dict[str, Any]:
        return dict(self.doc["event"])

    async def ready(self) -> tuple[int, str]:
        async with self.h.http.get(self.h.base + "/readyz") as resp:
            return resp.status, await resp.text()


async def replay(h: Harness, name: str) -> Replay:
    rec = corpus.load(name)
    doc = corpus.adapt(rec, Hooks(h, name))
    body, content_type = corpus.encode(rec, doc)
    answer = await h.post_signed(body, content_type=content_type)
    await wait_for(lambda: len(h.bot.server.bot.inflight) == 0)
    return Replay(h, rec, doc, body, content_type, answer)


# -- what a replay must have done -------------------------------------------------------------

Check = Callable[[Replay], Awaitable[None]]


@dataclass(frozen=True)
class Expect:
    check: Check
    before: Callable[[Harness], None] | None = None


def quiet(r: Replay) -> None:
    """Nothing sent to Slack, nothing written to Bruin."""
    assert r.effects() == []
    assert r.replies() == []
    assert r.writes() == []


async def nothing(r: Replay) -> None:
    """Answered 200 with an empty body, and nothing else at all."""
    assert r.answer == Answer(200, "")
    quiet(r)
    assert r.bruin() == []
    assert r.h.bot.server.bot.revoked is None


def hint_in_thread(word: str) -> Check:
    """A mention that is no command: one hint, only to its author, in its thread."""

    async def check(r: Replay) -> None:
        assert r.answer == Answer(200, "")
        hint = r.one("chat.postEphemeral").params
        assert hint["user"] == CALLER
        assert hint["channel"] == "C0OPS"
        assert hint["thread_ts"] == r.event.get("thread_ts") or r.event["ts"]
        assert hint["text"].startswith(f"I don't know '{word}'.")
        assert r.effects() == ["chat.postEphemeral"]
        assert r.bruin() == []

    return check


def hint_in_dm(word: str) -> Check:
    async def check(r: Replay) -> None:
        assert r.answer == Answer(200, "")
        post = r.one("chat.postMessage").params
        assert post["channel"] == "D0CALLER"
        assert post["text"].startswith(f"I don't know '{word}'.")
        assert r.effects() == ["chat.postMessage"]
        assert r.bruin() == []

    return check


def edit_answered(channel: str, asked: str | None = None) -> Check:
    """An edited message: nothing run; its author told so, privately, where it was."""

    async def check(r: Replay) -> None:
        assert r.event["edited"]
        assert r.answer == Answer(200, "")
        said = r.one("chat.postEphemeral").params
        assert (said["user"], said["channel"]) == (CALLER, channel)
        assert said["text"].startswith("I don't run edited messages, so nothing was done.")
        if asked is not None:
            assert asked in said["text"]
        else:
            assert said["text"].endswith("To ask me something, send a new message.")
        if r.event.get("ts") and r.event["type"] == "app_mention":
            assert said["thread_ts"] == r.event["ts"]
        assert r.effects() == ["chat.postEphemeral"]
        assert r.bruin() == []

    return check


def private(*texts: str, reads: tuple[str, ...] = ()) -> Check:
    """One ephemeral answer through the request's response_url; nothing written."""

    async def check(r: Replay) -> None:
        assert r.answer == Answer(200, "")
        (reply,) = r.replies()
        assert reply.status == 200, reply.error
        assert reply.body["response_type"] == "ephemeral"
        for text in texts:
            assert text in dumps(reply.body)
        assert r.effects() == []
        assert r.writes() == []
        assert set(r.bruin()) == set(reads)

    return check


def forged_button(r: Replay) -> Awaitable[None]:
    return private("That button is out of date; run the command again.")(r)


def revoked(reason: str) -> Check:
    async def check(r: Replay) -> None:
        assert r.answer == Answer(200, "")
        assert r.h.bot.server.bot.revoked == reason
        status, text = await r.ready()
        assert status == 503
        assert json.loads(text)["problems"] == {"slack": reason}
        quiet(r)

    return check


async def still_ready(r: Replay) -> None:
    await nothing(r)
    assert (await r.ready())[0] == 200


def opened(callback_id: str, **initial: str) -> Check:
    """A modal of ``callback_id`` opened inside the trigger's window; ``initial`` maps a
    block id to the initial value it must show."""

    async def check(r: Replay) -> None:
        assert r.answer == Answer(200, "")
        call = r.one("views.open")
        assert call.params["trigger_id"] == r.doc["trigger_id"]
        view = call.params["view"]
        assert view["callback_id"] == callback_id
        blocks = {b.get("block_id"): b for b in view["blocks"]}
        for block_id, value in initial.items():
            assert blocks[block_id]["element"].get("initial_value", "") == value, block_id
        assert r.writes() == []

    return check


def form_errors(**errors: str) -> Check:
    async def check(r: Replay) -> None:
        assert r.answer.status == 200
        assert json.loads(r.answer.text) == {"response_action": "errors", "errors": errors}
        quiet(r)

    return check


# -- the expectations, one per recorded payload ----------------------------------------------


async def ssl_command_is_only_a_check_and_a_bad_signature_is_refused(r: Replay) -> None:
    # bolt reads ssl_check=1 as Slack's certificate check whatever else the form holds (Slack
    # never sends both); the recorded test's point: without a valid signature it is refused.
    await nothing(r)
    forged = await r.h.post_signed(r.body, content_type=r.content_type, secret=SECRET + "x")
    assert forged == Answer(401, "invalid signature")
    quiet(r)


async def inventory_searched(r: Replay) -> None:
    await private("Inventory matching “94070”", "Nothing matches.", reads=("inventory",))(r)


async def help_answer(r: Replay) -> None:
    await private("chatops-bot commands")(r)


async def mention_by_a_bot_is_ignored(r: Replay) -> None:
    assert "user" not in r.event
    assert r.event["bot_id"]
    await nothing(r)


async def dm_subtypes_run_nothing(r: Replay) -> None:
    assert r.event["channel_type"] == "im"
    assert r.event.get("subtype") or r.event.get("bot_id")
    await nothing(r)


async def home_published(r: Replay) -> None:
    assert r.answer == Answer(200, "")
    call = r.one("views.publish")
    assert call.params["user_id"] == CALLER
    assert call.params["view"]["type"] == "home"
    assert r.effects() == ["views.publish"]
    assert r.writes() == []


async def challenge_echoed(r: Replay) -> None:
    assert r.answer.status == 200
    assert json.loads(r.answer.text) == {"challenge": r.rec.recorded["challenge"]}
    quiet(r)


async def card_of(r: Replay, ticket: int) -> None:
    await private(f"Ticket {ticket} ·", reads=("ticket.details", "ticket.list"))(r)


async def resolved_once_and_announced(r: Replay) -> None:
    assert r.answer == Answer(200, "")
    statuses = r.h.sandbox.bruin.payloads("detail.status")
    assert statuses  # one per open service line, all to the same status
    assert all(s == statuses[0] for s in statuses)
    assert r.writes() == statuses
    announce = r.one("chat.postMessage").params
    assert announce["channel"] == "C0OPS"
    assert "dana resolved" in announce["text"]
    assert "*4503*" in announce["text"]
    (replaced,) = r.replies()
    assert replaced.body["replace_original"] is True
    assert "dana resolved" in dumps(replaced.body)


CARD_TS = "1678252213.679169"


def seed_channel_card(h: Harness) -> None:
    """The card the recorded click was on, as the bot posted it in the channel."""
    h.slack.messages[("C0OPS", CARD_TS)] = StoredMessage(
        channel="C0OPS", ts=CARD_TS, text="Ticket 4502", user="U0BOT", bot_id="B0BOT"
    )


async def channel_watches_4502(r: Replay) -> None:
    assert r.answer == Answer(200, "")
    assert await r.h.bot.server.bot.store.is_watching("C0OPS", 4502)
    update = r.one("chat.update").params
    assert (update["channel"], update["ts"]) == ("C0OPS", CARD_TS)
    assert "Ticket 4502" in update["text"]
    assert r.h.slack.messages[("C0OPS", CARD_TS)].edited_ts is not None
    assert r.replies() == []
    assert r.writes() == []


async def preview_deleted(r: Replay) -> None:
    assert r.answer == Answer(200, "")
    (deleted,) = r.replies()
    assert deleted.body == {"delete_original": True}
    assert r.effects() == []
    assert r.bruin() == []


async def options_after_a_search(r: Replay) -> None:
    assert r.answer.status == 200
    assert json.loads(r.answer.text) == {"options": []}
    assert r.bruin() == ["inventory"]  # searched the channel's customer: nothing matched
    quiet(r)


async def no_options_and_bruin_not_asked(r: Replay) -> None:
    assert r.answer.status == 200
    assert json.loads(r.answer.text) == {"options": []}
    assert r.bruin() == []
    quiet(r)


def note_written(ticket: int, text: str) -> Check:
    async def check(r: Replay) -> None:
        assert r.answer == Answer(200, "")
        assert r.writes() == [{"note": f"{text}\n{AUDIT}"}]
        announce = r.one("chat.postMessage").params
        assert announce["channel"] == "C0OPS"
        assert announce["text"] == f"dana added a note to ticket {ticket}"
        (card,) = r.replies()  # the form's card, replaced with the note on it
        assert card.body["replace_original"] is True
        assert f"Ticket {ticket}" in dumps(card.body)

    return check


STALE = "This form is out of date; close it and open it again."
CREATE_ERRORS = {
    "new_service": "Pick a service number.",
    "new_description": "Describe the problem.",
    "new_contact_name": "Enter the site contact's name.",
    "new_contact_email": "Bruin needs an email, or a phone number with the name.",
}


async def create_form_errors(r: Replay) -> None:
    assert r.answer.status == 200
    answer = json.loads(r.answer.text)
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) >= {"new_service", "new_description"}
    quiet(r)


def create_form_opened(description: str = "") -> Check:
    async def check(r: Replay) -> None:
        await opened("ticket_create", new_description=description)(r)
        update = r.one("views.update").params  # the contact, filled in from users.info
        blocks = {b.get("block_id"): b for b in update["view"]["blocks"]}
        assert blocks["new_contact_name"]["element"]["initial_value"] == "Dana Ops"

    return check


EXPECT: dict[str, Expect] = {
    # slash commands
    "slash_command__bolt_hello_world_hi": Expect(
        private("Unknown subcommand 'Hi' for /ticket.", "Usage:")
    ),
    "slash_command__bolt_wsgi_with_ssl_check_field": Expect(
        ssl_command_is_only_a_check_and_a_bad_signature_is_refused
    ),
    "slash_command__java_docs_weather": Expect(inventory_searched),
    "slash_command__java_grid_empty_text": Expect(help_answer),
    "slash_command__java_org_level_install": Expect(
        private("Unknown subcommand 'test' for /site.", "Usage:")
    ),
    "slash_command__java_signature_test_private_channel": Expect(help_answer),
    "slash_command__java_micronaut_hello": Expect(
        private("Unknown subcommand 'something' for /bric.")
    ),
    "slash_command__java_sample_template": Expect(help_answer),
    # app_mention
    "app_mention__bolt_hi_there": Expect(hint_in_thread("hi")),
    "app_mention__bolt_hey_with_blocks": Expect(hint_in_thread("hey")),
    "app_mention__bolt_org_wide_install": Expect(hint_in_thread("hi")),
    "app_mention__bolt_shared_channel": Expect(hint_in_thread("hi")),
    "app_mention__java_test": Expect(hint_in_thread("test")),
    "app_mention__java_slack_connect": Expect(hint_in_thread("hey")),
    "app_mention__java_from_a_bot": Expect(mention_by_a_bot_is_ignored),
    "app_mention__java_edited": Expect(edit_answered("C0OPS")),
    "app_mention__java_sample_template_edited": Expect(edit_answered("C0OPS")),
    # message.im
    "message.im__bolt_hello_world": Expect(hint_in_dm("hello")),
    "message.im__bolt_please_fix": Expect(hint_in_dm("please")),
    "message.im__bolt_thanks": Expect(hint_in_dm("hi")),
    "message.im__bolt_another_apps_bot": Expect(dm_subtypes_run_nothing),
    "message.im__bolt_bot_message": Expect(dm_subtypes_run_nothing),
    "message.im__bolt_own_bot_message": Expect(dm_subtypes_run_nothing),
    "message.im__bolt_other_bot_message": Expect(dm_subtypes_run_nothing),
    "message.im__bolt_message_changed": Expect(dm_subtypes_run_nothing),
    "message.im__bolt_message_deleted": Expect(dm_subtypes_run_nothing),
    "message.im__bolt_file_share": Expect(dm_subtypes_run_nothing),
    "message.im__java_sample_template_edited": Expect(edit_answered("D0CALLER")),
    "message.im__java_sample_template_bot_message": Expect(dm_subtypes_run_nothing),
    "message.im__java_sample_template_message_changed": Expect(dm_subtypes_run_nothing),
    "message.im__java_sample_template_me_message": Expect(dm_subtypes_run_nothing),
    "message.im__java_sample_template_thread_broadcast": Expect(dm_subtypes_run_nothing),
    "message.im__java_sample_template_file_share": Expect(dm_subtypes_run_nothing),
    # message events outside a DM
    "message__bolt_in_a_channel": Expect(nothing),
    "message__bolt_private_channel_file_share": Expect(nothing),
    "message__bolt_org_install_mention_in_channel": Expect(nothing),
    "message__bolt_thread_broadcast": Expect(nothing),
    "message__java_slack_connect_bot": Expect(nothing),
    "message__java_docs_bot_message": Expect(nothing),
    # app_home_opened
    "app_home_opened__java_docs_home_tab": Expect(home_published),
    "app_home_opened__java_sample_template": Expect(home_published),
    "app_home_opened__bolt_org_messages_tab": Expect(nothing),
    # other events
    "event__bolt_app_uninstalled": Expect(revoked("app_uninstalled")),
    "event__java_sample_template_app_uninstalled": Expect(revoked("app_uninstalled")),
    "event__bolt_tokens_revoked": Expect(revoked("tokens_revoked")),
    "event__bolt_other_bots_token_revoked": Expect(still_ready),
    "event__java_user_token_revoked": Expect(still_ready),
    "event__bolt_reaction_added": Expect(nothing),
    "event__java_sample_template_link_shared": Expect(nothing),
    # url_verification, ssl_check
    "url_verification__bolt": Expect(challenge_echoed),
    "url_verification__java": Expect(challenge_echoed),
    "ssl_check__bolt": Expect(nothing),
    "ssl_check__java": Expect(nothing),
    # block_actions
    "block_actions__bolt_show_sealed": Expect(lambda r: card_of(r, 4503)),
    "block_actions__java_org_wide_show": Expect(lambda r: card_of(r, 4504)),
    "block_actions__bolt_show_forged": Expect(forged_button),
    "block_actions__bolt_resolve_sealed": Expect(resolved_once_and_announced),
    "block_actions__bolt_resolve_forged": Expect(forged_button),
    "block_actions__bolt_watch_channel_card": Expect(
        channel_watches_4502, before=seed_channel_card
    ),
    "block_actions__java_in_thread_add_note": Expect(opened("ticket_note")),
    "block_actions__java_attachment_cancel_preview": Expect(preview_deleted),
    "block_actions__java_home_new_ticket": Expect(create_form_opened()),
    "block_actions__java_sample_template_open_link": Expect(nothing),
    # block_suggestion
    "block_suggestion__bolt_search_word_sealed": Expect(options_after_a_search),
    "block_suggestion__java_forged_metadata": Expect(no_options_and_bruin_not_asked),
    # view_submission
    "view_submission__bolt_note_sealed": Expect(note_written(4503, "test")),
    "view_submission__java_org_wide_note": Expect(note_written(4504, "test")),
    "view_submission__bolt_note_forged": Expect(form_errors(note_text=STALE)),
    "view_submission__java_request_form_forged": Expect(form_errors(note_text=STALE)),
    "view_submission__bolt_create_without_fields": Expect(create_form_errors),
    "view_submission__bolt_shared_channel_message_note": Expect(
        form_errors(note_ticket="Enter a ticket number, like 4503.")
    ),
    "view_submission__bolt_workflow_step_message_note": Expect(
        form_errors(note_ticket="At most 12 characters, please (18 now).")
    ),
    "view_submission__java_sample_template_note": Expect(form_errors(note_text="Write the note.")),
    # view_closed
    "view_closed__bolt_create_form": Expect(nothing),
    "view_closed__java_sample_template": Expect(nothing),
    # shortcuts
    "shortcut__bolt_global": Expect(create_form_opened()),
    "shortcut__java_org_wide": Expect(create_form_opened()),
    "shortcut__java_bolt": Expect(create_form_opened()),
    "message_action__bolt_mention_create_ticket": Expect(create_form_opened("@riley test")),
    "message_action__bolt_mention_add_as_note": Expect(
        opened("ticket_message_note", note_text="@riley test")
    ),
    "message_action__java_docs_chirp": Expect(
        opened(
            "ticket_message_note",
            note_text="World's smallest big cat! https://youtube.com/watch?v=W86cTIoMv2U",
        )
    ),
    "message_action__java_files_in_attachment": Expect(
        create_form_opened("Here is the uploaded file: https://xxx.slack.com/archives/C111/xxx")
    ),
    "message_action__java_sample_template": Expect(create_form_opened()),
}


# -- the suite -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", corpus.names())
async def test_recorded_payload_replayed(harness: Harness, name: str) -> None:
    harness.slack.add_dm(CALLER)
    harness.slack.add_user("U0RILEY", name="riley", real_name="Riley Field", display_name="riley")
    expect = EXPECT[name]
    if expect.before is not None:
        expect.before(harness)
    await expect.check(await replay(harness, name))


def test_every_payload_has_an_expectation_and_every_expectation_a_payload() -> None:
    assert sorted(EXPECT) == corpus.names()


def test_the_corpus_covers_every_kind_slack_sends_the_bot() -> None:
    recs = [corpus.load(n) for n in corpus.names()]
    assert len(recs) >= 40
    kinds = corpus.kinds_of(recs)
    assert set(kinds) == set(corpus.KINDS), kinds
    im = [corpus.rename(r.fields, r.ids)["event"] for r in recs if r.kind == "message.im"]
    assert any(e.get("subtype") == "bot_message" for e in im)
    assert any(e.get("bot_id") and not e.get("subtype") for e in im)
    assert {e.get("subtype") for e in im} >= {
        None,
        "bot_message",
        "message_changed",
        "message_deleted",
        "file_share",
    }
    sealed_actions = [r for r in recs if r.kind == "block_actions" and "/actions/0/value" in r.set]
    forged = [r for r in recs if r.kind == "block_actions" and r.name.endswith("_forged")]
    assert len(sealed_actions) >= 5
    assert len(forged) >= 2


@pytest.mark.parametrize("name", corpus.names())
def test_a_recording_changes_only_in_ids_and_declared_fields(name: str) -> None:
    rec = corpus.load(name)
    assert rec.transport in corpus.TRANSPORTS
    assert rec.kind in corpus.KINDS
    assert rec.sources
    for source in rec.sources:
        assert source["repository"] in {"slackapi/bolt-python", "slackapi/java-slack-sdk"}
        assert len(source["commit"]) == 40
        assert source["path"]
        assert source["where"]
    fields = rec.fields
    ours = _our_names()
    for old, new in rec.ids.items():
        assert corpus.rename(fields, {old: "\0"}) != fields, f"{old} is not in the recording"
        assert new in OUR_IDS or new in ours, new
    for pointer, value in rec.set.items():
        assert corpus.exists(fields, pointer), f"{pointer} adds a field"
        if isinstance(value, dict):
            assert len(value) == 1, value
            assert next(iter(value)).startswith("$"), value
        elif pointer in TEMPLATE_FILLS:
            assert value == TEMPLATE_FILLS[pointer]
            # a template's empty placeholder, or a channel message delivered as a DM's
            assert _at(fields, pointer) in ("", "channel"), (pointer, _at(fields, pointer))
        else:
            assert value in OUR_IDS or value in ours, (pointer, value)
    # Nothing added, nothing removed: the replayed payload has the recording's shape.
    adapted = corpus.adapt(rec, _Placeholders())
    assert len(list(corpus.leaves(adapted))) == len(list(corpus.leaves(fields)))


def _at(doc: Any, pointer: str) -> Any:
    for step in pointer[1:].split("/"):
        doc = doc[int(step)] if isinstance(doc, list) else doc[step]
    return doc


def _our_names() -> set[str]:
    """The app's own command names, callback ids, action and block ids."""
    from handlers import ticket_actions as t

    app = registered()
    fields = {t.F_SERVICE, t.F_NOTE, t.F_TICKET}
    forms = {t.FORM_CREATE, t.FORM_NOTE, t.FORM_MESSAGE_NOTE}
    return {*app.commands, *app.shortcuts, *app.actions, *fields, *forms}


class _Placeholders:
    def response_url(self, **link: Any) -> str:
        return "https://hooks.slack.test/response"

    def trigger_id(self) -> str:
        return "1.2.trigger"

    def sealed(self, action_id: str, value: str) -> str:
        return sealed(action_id, value)

    def sealed_meta(self, callback_id: str, meta: dict[str, Any]) -> str:
        return sealed_meta(callback_id, meta)
