"""Block Kit built as plain dicts (``bot.render.kit``) is what Slack accepts.

Two oracles, for every builder and every public renderer, on ordinary, hostile (markup,
control and bidi characters) and very long text:

* the fake Slack's checks of Slack's limits (``validate_blocks`` of ``tests/fakes/slack.py``);
* slack_sdk's own models: each block parsed with ``Block.parse`` (a view with ``View``) and
  written back with ``to_dict()`` (which runs slack_sdk's validation) is the same dict.

And the targeted sealing of ``bot.slack.seal`` seals every button value a full walk finds.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block as SdkBlock
from slack_sdk.models.views import View

from bot.clients.bruin.models import InventoryItem, Ticket, TicketDetails
from bot.core.forms import BUTTON_VALUE_MAX, METADATA_MAX, SEAL_ROOM, Field, Form, Option
from bot.render import blocks, bric, digests, forms, interactive, kit, notify, unfurl
from bot.render.digests import DigestTicket
from bot.render.text import Mrkdwn, md
from bot.render.values import VALUE_ROOM
from bot.slack.seal import Sealer
from tests.fakes.slack import validate_blocks
from tests.security.test_escaping import (
    BIDI,
    CONTROLS,
    MARKUP,
    _clients,
    _details,
    _inventory,
    _projects,
    _site,
    _ticket,
    _time_block,
    _timers,
    assert_safe,
    hostile,
)

NOW = dt.datetime(2024, 3, 2, 14, 0, tzinfo=dt.UTC)
OUR_CHANNEL = "C0OPS"
LONG = [
    "x" * 5000,
    "<!channel> & " * 900,
    "line\n" * 1500,
    "é😀漢" * 1200,
    "\x1b[2J\u202e" * 700,
    "&" * 3100,
]
"""Longer than every limit of Block Kit (3000 for a section, 2000 for a field, 150 for a
header, 75 for a button…), with entities, markup, emoji, controls and newlines to cut."""

text = st.one_of(
    hostile,
    st.text(max_size=200),
    st.sampled_from(LONG),
    st.lists(st.sampled_from([*MARKUP, *CONTROLS, *BIDI, "x", " ", "\n"]), max_size=300).map(
        "".join
    ),
)


# -- the oracles ---------------------------------------------------------------------------------


def sdk_round_trip(block: dict[str, Any]) -> None:
    """slack_sdk parses ``block`` and writes back the same dict (validating it on the way)."""
    parsed = SdkBlock.parse(block)
    assert parsed is not None, block
    assert parsed.to_dict() == block


def check_blocks(payload_blocks: list[dict[str, Any]], *, max_blocks: int) -> None:
    assert validate_blocks(payload_blocks, max_blocks=max_blocks) == []
    for block in payload_blocks:
        sdk_round_trip(block)


def check_message(payload: dict[str, Any]) -> None:
    assert isinstance(payload["text"], str)
    assert len(payload["text"]) <= 3000
    check_blocks(payload["blocks"], max_blocks=blocks.MAX_BLOCKS)


def check_view(view: dict[str, Any]) -> None:
    check_blocks(view["blocks"], max_blocks=kit.VIEW_BLOCKS_MAX)
    assert View(**view).to_dict() == view
    for key in ("title", "submit", "close"):
        if key in view:
            assert 1 <= len(view[key]["text"]) <= forms.TITLE_MAX
    assert len(view.get("private_metadata", "")) <= 3000


# -- every builder -------------------------------------------------------------------------------


def _builders(s: str) -> list[dict[str, Any]]:
    """One block of every kind the kit builds, each with ``s`` in every text it has (a
    mrkdwn text object of no text at all is left out of the JSON, as slack_sdk left it out,
    and Slack refuses it: the bot writes none, and none is built here)."""
    sure = kit.confirm(s, s, s, s)
    select_options = [kit.option(s, s), kit.option("b", s)]
    placeholder = kit.plain_text(s, forms.PLACEHOLDER_MAX)
    return [
        kit.section(md("*{}*", s)),
        kit.section(f"{s}.", accessory=kit.button(s, "act", value="v", confirm=sure)),  # type: ignore[arg-type]
        kit.section(md("Go {}", s), accessory=kit.button(s, "go", url="https://p.example/x")),
        kit.fields([(s, md("{}", s))] * 12),
        kit.header(s),
        kit.context(md("{}", s), md("*{}*", s), *(md("{}", s) for _ in range(12))),
        kit.context_block([kit.mrkdwn(md("c {}", s))], block_id="ctx"),
        kit.divider(),
        kit.actions(
            [
                kit.button(s, f"b{i}", value=f"{i}", style="danger" if i % 2 else "primary")
                for i in range(30)
            ]
        ),
        kit.input_block(
            "text",
            s,
            kit.plain_text_input(
                "text",
                initial_value=s[:3000] or None,
                max_length=3000,
                multiline=True,
                placeholder=placeholder,
            ),
            hint=s,
        ),
        kit.input_block("mail", s, kit.email_input("mail", placeholder=placeholder), optional=True),
        kit.input_block(
            "pick",
            s,
            kit.static_select(
                "pick", select_options, initial_option=select_options[1], placeholder=placeholder
            ),
            dispatch_action=True,
        ),
        kit.input_block(
            "find",
            s,
            kit.external_select(
                "find",
                initial_option=kit.option(s, s),
                min_query_length=0,
                placeholder=kit.plain_text(s, forms.PLACEHOLDER_MAX, emoji=True),
            ),
        ),
        kit.input_block(
            "box",
            s,
            kit.checkboxes("box", select_options, initial_options=select_options[:1]),
            optional=True,
        ),
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(s=text)
def test_every_builder_is_block_kit_slack_and_slack_sdk_accept(s: str) -> None:
    built = _builders(s)
    check_blocks(built, max_blocks=kit.VIEW_BLOCKS_MAX)
    assert_safe({"type": "modal", "blocks": built})
    modal = kit.view(
        "modal",
        built,
        callback_id="cb",
        title=kit.plain_text(s, forms.TITLE_MAX),
        submit=kit.plain_text(s, forms.TITLE_MAX),
        close=kit.plain_text(s, forms.TITLE_MAX),
        private_metadata=s[: METADATA_MAX - SEAL_ROOM] or None,  # the seal takes the rest
    )
    check_view(modal)
    check_view(kit.view("home", built[:9]))


def test_the_builders_write_what_slack_sdk_wrote() -> None:
    """Key for key and in slack_sdk's (sorted) order, so the JSON is the same text."""
    button = kit.button("Go", "go", value="1", style="primary", confirm=kit.confirm("t", "x", "y"))
    assert list(button) == ["action_id", "confirm", "style", "text", "type", "value"]
    assert list(button["confirm"]) == ["title", "text", "confirm", "deny", "style"]
    assert kit.header("H") == {
        "text": {"emoji": True, "text": "H", "type": "plain_text"},
        "type": "header",
    }
    assert list(kit.section(md("x"), accessory=button)) == ["accessory", "text", "type"]
    assert kit.section(md("")) == {"text": {"type": "mrkdwn"}, "type": "section"}
    assert kit.context(md(""), md("a")) == {"elements": [kit.mrkdwn(md("a"))], "type": "context"}
    assert "value" not in kit.button("Open", "open", url="https://p", value="")


def test_what_cannot_be_cut_is_refused_as_slack_sdk_refused_it() -> None:
    with pytest.raises(ValueError, match="value"):
        kit.button("More", "more", value="v" * (VALUE_ROOM + 1))
    with pytest.raises(ValueError, match="url"):
        kit.button("Open", "open", url="https://p/" + "x" * 3000)
    with pytest.raises(ValueError, match="style"):
        kit.button("Go", "go", style="loud")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="private_metadata"):
        kit.view("modal", [kit.divider()], private_metadata="m" * (METADATA_MAX - SEAL_ROOM + 1))
    with pytest.raises(ValueError, match="blocks"):
        kit.view("modal", [])
    with pytest.raises(ValueError, match="fields"):
        kit.fields([])


# -- every public renderer --------------------------------------------------------------------


def _form(s: Callable[[], str]) -> Form:
    return Form(
        kind="ticket_create",
        title=s(),
        submit=s(),
        intro=(f"Intro: {s()}", md("Note on ticket *{}*", s())),
        fields=(
            Field("a", s(), hint=s(), placeholder=s(), initial=s()),
            Field("m", s(), multiline=True, max_length=5000, initial=s(), dispatch=True),
            Field(
                "b", s(), kind="select", options=(Option("v", s()), Option(s(), s())), initial="v"
            ),
            Field("c", s(), kind="select", options=None, hint=s()),
            Field("d", s(), kind="checkbox", required=False, initial="yes"),
            Field("e", s(), kind="search", placeholder=s(), initial=s()),
            Field("f", s(), kind="search"),
            Field("g", s(), kind="email", initial=s()),
        ),
    )


def _renderers(s: Callable[[], str]) -> tuple[list[tuple[str, blocks.Message]], list[Any]]:
    """(name, message) of every public message renderer, and (name, view) of every view, all
    fed ``s()`` in every text field."""
    ticket, details = _ticket(s), _details(s)
    buttons = interactive.card_buttons(ticket, details, watching=False)
    card = blocks.ticket_card(ticket, details, portal_url="https://app.bruin.com", buttons=buttons)
    note = {"summary": s(), "note": {"text": s()}}
    changes = [("note", 4510, note), ("status", 4511, {"summary": s()})] * 20
    stale = [DigestTicket(_ticket(s, 4500 + i), NOW - dt.timedelta(hours=i)) for i in range(30)]
    messages = [
        ("ticket_card", card),
        ("ticket_card", blocks.ticket_card(ticket, TicketDetails(), portal_url="https://p")),
        (
            "ticket_list",
            blocks.ticket_list(
                [_ticket(s), _ticket(s, 4504)], title=s(), total=2, more_value={"page": 2}
            ),
        ),
        ("ticket_list", blocks.ticket_list([], title=s(), total=0, more_value=None)),
        ("notes_list", blocks.notes_list(4503, [*details.notes] * 15)),
        ("note_added", blocks.note_added(4503, s(), author=s())),
        (
            # Lines within 300 characters: a longer one gives an empty section (see
            # test_an_inventory_line_over_a_section_is_cut_not_left_empty).
            "inventory_list",
            blocks.inventory_list(_inventory(lambda: s()[:60]) * 60, search=s(), limit=100),
        ),
        ("site_list", blocks.site_list([_site(s)] * 30, search=s())),
        ("site_card", blocks.site_card(_site(s))),
        (
            "help_message",
            blocks.help_message([(s(), [s(), s()])] * 3, note=f"Note: {s()}", read_only=s()),
        ),
        ("error_message", blocks.error_message(s(), usage=s())),
        ("project_list", bric.project_list(_projects(s) * 50, filters=s())),
        ("client_list", bric.client_list(_clients(s))),
        ("running_timers", bric.running_timers(_timers(s), now=NOW, project=s())),
        ("time_off_list", bric.time_off_list([_time_block(s, person=True)], since=NOW.date())),
        ("time_off_added", bric.time_off_added(_time_block(s, person=False), author=s())),
        ("change_message", notify.change_message("note", 4510, note)),
        ("dm_message", notify.dm_message(4511, {"summary": s()})),
        ("digest_message", notify.digest_message(changes)),
        ("with_banner", interactive.with_banner(card, md("{} resolved it", s()))),
        (
            "create_preview",
            interactive.create_preview(
                service_number=s(),
                category=s(),
                category_label=s(),
                description=s(),
                value="v",
                contact=s(),
            ),
        ),
        ("outage_existing", interactive.outage_existing(s(), ticket_id=4503, value="v")),
        ("open_form_prompt", interactive.open_form_prompt()),
        ("ticket_unfurl", unfurl.ticket_unfurl(ticket, details, portal_url="https://p")),
        (
            "digest_summary",
            digests.digest_summary(
                stale,
                schedule=s(),
                filters=s(),
                stale_minutes=600,
                now=NOW,
                portal_url="https://p",
                zone_name=s(),
            ),
        ),
    ]
    line = interactive.subscription_line(
        OUR_CHANNEL, status=s(), category=s(), site=s(), customer_id=40123
    )
    views = [
        (
            "home_view",
            interactive.home_view(
                [(4503, _ticket(s)), (4504, None)] * 30,
                [line] * 50,
                portal_url="https://p",
                updated=NOW,
            ),
        ),
        ("form_view", forms.form_view(_form(s), metadata="{}")),
        (
            "info_view",
            forms.info_view(s(), [md("Line {}", s()), md("*{}*", s())], link=(s(), "https://p")),
        ),
    ]
    return messages, views


def _check_renderers(s: Callable[[], str]) -> None:
    messages, views = _renderers(s)
    links = tuple(f"<https://p/ticket/{t}|{t}>" for t in range(4500, 4530))  # digest_summary
    for name, message in messages:
        try:
            payload = message.to_dict()
            check_message(payload)
            assert_safe(payload, ours=links if name == "digest_summary" else ())
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    for name, view in views:
        try:
            check_view(view)
            assert_safe(view, ours=(f"<#{OUR_CHANNEL}>",) if name == "home_view" else ())
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    options = forms.options_payload([Option(s(), s()) for _ in range(120)])
    assert len(options) == forms.OPTIONS_MAX
    check_blocks(
        [kit.input_block("o", "o", kit.static_select("o", options))], max_blocks=kit.VIEW_BLOCKS_MAX
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=st.lists(text, min_size=1, max_size=8))
def test_every_renderer_gives_block_kit_slack_and_slack_sdk_accept(pool: list[str]) -> None:
    fields = itertools.cycle(pool)
    _check_renderers(lambda: next(fields))


@pytest.mark.parametrize("long", LONG)
def test_very_long_text_is_cut_within_every_limit(long: str) -> None:
    _check_renderers(lambda: long)


def test_an_inventory_line_over_a_section_is_cut_not_left_empty() -> None:
    item = InventoryItem.model_validate({"serviceNumber": "VC1", "siteLabel": "S" * 3000})
    check_message(blocks.inventory_list([item], search=None, limit=10).to_dict())


def test_every_renderer_is_covered() -> None:
    messages, views = _renderers(lambda: "x")
    covered = {name for name, _ in messages} | {name for name, _ in views} | {"options_payload"}
    public = {n for n in blocks.__all__ if n.endswith(("_card", "_list", "_message"))}
    public |= {"note_added", "ticket_unfurl", "digest_summary"}
    public |= set(bric.__all__) | set(notify.__all__) | set(unfurl.__all__)
    public |= {"with_banner", "create_preview", "outage_existing", "open_form_prompt", "home_view"}
    public |= {"form_view", "info_view", "options_payload"}
    assert public <= covered, public - covered


def test_a_block_built_around_the_builders_is_still_escaped_by_message_to_dict() -> None:
    raw = {"type": "context", "elements": [{"type": "mrkdwn", "text": "<!here> & \x07"}]}
    header = {"type": "header", "text": {"type": "plain_text", "text": "a\u202eb"}}
    payload = blocks.Message(text=md("x"), blocks=[raw, header]).to_dict()
    assert payload["blocks"][0]["elements"][0]["text"] == "&lt;!here&gt; &amp; "
    assert isinstance(payload["blocks"][0]["elements"][0]["text"], Mrkdwn)
    assert payload["blocks"][1]["text"]["text"] == "ab"


# -- sealing: the targeted walk finds every button a full walk finds -------------------------


def _buttons(node: Any) -> list[dict[str, Any]]:
    """Every button with a value, anywhere (the full walk ``seal_blocks`` used to do)."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "button" and isinstance(node.get("value"), str):
            found.append(node)
        for value in node.values():
            found += _buttons(value)
    elif isinstance(node, list):
        for value in node:
            found += _buttons(value)
    return found


def test_every_button_value_leaving_is_sealed_and_the_blocks_are_not_changed() -> None:
    sealer = Sealer(b"test key")
    messages, views = _renderers(lambda: "<!channel> x")
    payloads = [m.to_dict() for _, m in messages] + [v for _, v in views]
    assert sum(len(_buttons(p)) for p in payloads) > 20
    for payload in payloads:
        before = repr(payload)
        if "type" in payload:
            sealed = sealer.seal_view(payload)
            meta = payload.get("private_metadata")
            if meta:
                assert (
                    sealer.open_metadata(payload["callback_id"], sealed["private_metadata"]) == meta
                )
        else:
            sealed = sealer.seal_message(payload)
        assert repr(payload) == before  # the message's own blocks are left as they were
        plain, done = _buttons(payload), _buttons(sealed)
        assert len(plain) == len(done)
        for original, out in zip(plain, done, strict=True):
            assert out["value"] != original["value"]
            assert sealer.open_action(out["action_id"], out["value"]) == original["value"]
            assert {**out, "value": original["value"]} == original
        assert [b["type"] for b in sealed["blocks"]] == [b["type"] for b in payload["blocks"]]


def test_the_longest_value_we_write_still_fits_once_sealed() -> None:
    sealer = Sealer(b"test key")
    longest = "x" * VALUE_ROOM
    kit.button("Go", "some_action", value=longest)  # accepted by the builder
    assert len(sealer.seal("action:some_action", longest)) <= BUTTON_VALUE_MAX
    with pytest.raises(ValueError, match="value"):
        kit.button("Go", "some_action", value=longest + "x")


def test_a_list_whose_filter_cannot_ride_in_a_button_says_how_to_see_more() -> None:
    """A long or non-ASCII filter (stored escaped, six characters each) once made the More
    button's value too long, and the whole list failed to render."""
    ticket = Ticket.model_validate({"ticketID": 4503, "ticketStatus": "InProgress"})
    filters = {"site": "Zürich " * 400}
    message = blocks.ticket_list([ticket], title="Tickets", total=40, more_value=filters)
    payload = message.to_dict()
    check_message(payload)
    assert "narrow the filter" in str(payload["blocks"][-1])
    assert not any(b["type"] == "actions" for b in payload["blocks"])
    short = blocks.ticket_list([ticket], title="Tickets", total=40, more_value={"site": "Zü"})
    assert short.to_dict()["blocks"][-1]["type"] == "actions"
