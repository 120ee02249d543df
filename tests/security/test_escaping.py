"""Issue 19, item 2: no text from a backend or a person reaches Slack as markup.

Every renderer of ``bot.render`` gets hostile text in every text field of the real pydantic
models it takes (Bruin and Bric); in every mrkdwn text and every top-level fallback
``text`` no ``<`` survives but the links and mentions the renderer wrote itself, every
``&`` starts one of Slack's three entities, and no control or bidi character survives
anywhere (plain_text included). And a person's U+202E never reaches a backend.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clients.bric.models import Client, ClockedTime, Project, TimeBlock
from bot.clients.bruin.models import InventoryItem, Site, Ticket, TicketDetails
from bot.core.forms import Field, Form, Option, parse_state, unpack
from bot.core.grammar import UsageError, bind, tokenize
from bot.render import blocks, bric, forms, interactive, notify
from bot.render.terminal import render_terminal, terminal_line
from bot.render.text import (
    Mrkdwn,
    channel_link,
    code,
    escape,
    link,
    md,
    md_join,
    quote,
    slack_date,
    truncate,
    user_mention,
)
from handlers.note import NoteAdd

# -- hostile text ------------------------------------------------------------------------

MARKUP = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0EVIL|@oncall>",
    "<!date^1392734382^{date}|x>",
    "<@U0EVIL>",
    "<@W0EVIL|boss>",
    "<#C0EVIL>",
    "<#C0EVIL|general>",
    "<https://evil.example/phish|Click to re-authenticate>",
    "<http://evil.example>",
    "<mailto:a@evil.example|mail>",
    "&lt;!channel&gt;",
    "&amp;",
    "&#27;[2J",
    "<",
    ">",
    "&",
    "|",
    "*",
    "`",
    "\n>",
]
CONTROLS = ["\x00", "\x07", "\x08", "\x0b", "\r", "\x1b[31m", "\x7f", "\x85", "\x9b"]
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068"]
BIDI += ["\u2069", "\u200e", "\u200f", "\u061c"]

hostile = st.lists(
    st.one_of(
        st.sampled_from(MARKUP + CONTROLS + BIDI),
        st.text(max_size=12),
    ),
    min_size=1,
    max_size=6,
).map("".join)

UNSAFE_CHAR = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
ENTITY = re.compile(r"&(?:amp|lt|gt);")
NOW = dt.datetime(2024, 3, 2, 14, 0, tzinfo=dt.UTC)
OUR_CHANNEL = "C0OPS"


# -- what reaches Slack --------------------------------------------------------------------


def _texts(node: Any, mrkdwn: list[str], plain: list[str]) -> None:
    if isinstance(node, dict):
        text = node.get("text")
        if isinstance(text, str):
            (mrkdwn if node.get("type") == "mrkdwn" else plain).append(text)
        for value in node.values():
            _texts(value, mrkdwn, plain)
    elif isinstance(node, list):
        for value in node:
            _texts(value, mrkdwn, plain)


OWN_DATE = re.compile(
    r"<!date\^\d+\^\{date_short_pretty\} \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]+>"
)
"""A date token as ``bot.render.text.when`` writes it: a number, fixed tokens, a fallback of
digits; nothing in it can come from input."""


def assert_safe(payload: dict[str, Any], *, ours: tuple[str, ...] = ()) -> None:
    """``payload`` is a message (``{"text", "blocks"}``) or a view. ``ours`` are the exact
    tokens the renderer was asked to write (a channel link it was given)."""
    mrkdwn: list[str] = []
    plain: list[str] = []
    _texts(payload.get("blocks") or [], mrkdwn, plain)
    for key in ("title", "submit", "close"):
        _texts(payload.get(key) or {}, mrkdwn, plain)
    if "type" not in payload:  # a message: its top-level text is mrkdwn too
        mrkdwn.append(payload["text"])
    for text in mrkdwn:
        bare = OWN_DATE.sub("", text)  # the renderer's own <!date^…> (each reader's zone)
        for token in ours:
            bare = bare.replace(token, "")
        assert "<" not in bare, f"markup survived: {text!r}"
        assert ">" not in bare.replace("\n>", "\n").removeprefix(">"), f"stray >: {text!r}"
        assert "&" not in ENTITY.sub("", bare), f"unescaped &: {text!r}"
    for text in mrkdwn + plain:
        assert not UNSAFE_CHAR.search(text), f"control or bidi character: {text!r}"


# -- the real models, hostile in every text field --------------------------------------------


def _ticket(s: Callable[[], str], ticket_id: int = 4503) -> Ticket:
    return Ticket.model_validate(
        {
            "clientID": 40123,
            "clientName": s(),
            "ticketID": ticket_id,
            "ticketStatus": s(),
            "category": s(),
            "topic": s(),
            "callType": s(),
            "createDate": "3/2/2024 9:14:07 AM",
            "createdBy": s(),
            "creationNote": s(),
            "severity": s(),
            "address": {
                "address": s(),
                "address2": s(),
                "city": s(),
                "state": s(),
                "zip": s(),
            },
        }
    )


def _details(s: Callable[[], str]) -> TicketDetails:
    return TicketDetails.model_validate(
        {
            "ticketDetails": [
                {
                    "detailID": i,
                    "detailValue": s(),
                    "detailStatus": s(),
                    "assignedToName": s(),
                    "currentTaskName": s(),
                }
                for i in (1, 2)
            ],
            "ticketNotes": [
                {
                    "noteId": i,
                    "noteValue": s(),
                    "noteType": s(),
                    "serviceNumber": [s()],
                    "createdDate": f"2024-03-02T09:0{i}:40-05:00",
                    "creator": s(),
                }
                for i in (1, 2)
            ],
        }
    )


def _inventory(s: Callable[[], str]) -> list[InventoryItem]:
    return [
        InventoryItem.model_validate(
            {
                "serviceNumber": s(),
                "status": s(),
                "siteLabel": s() if i else None,
                "vendor": s(),
                "productCategory": s() if i else None,
                "productType": s(),
                "address": {"address": s(), "city": s()},
            }
        )
        for i in (0, 1)
    ]


def _site(s: Callable[[], str]) -> Site:
    return Site.model_validate(
        {
            "siteID": 77,
            "siteLabel": s(),
            "siteIdentifier": s(),
            "businessHours": s(),
            "timeZone": s(),
            "primaryContactName": s(),
            "primaryContactPhone": s(),
            "primaryContactEmail": s(),
            "address": {"address": s(), "city": s(), "state": s()},
        }
    )


def _person(s: Callable[[], str]) -> dict[str, Any]:
    return {"id": 5, "first_name": s(), "last_name": s(), "email": s()}


def _projects(s: Callable[[], str]) -> list[Project]:
    return [
        Project.model_validate(
            {
                "id": 1,
                "name": s(),
                "code": s(),
                "client": {"id": 2, "name": s()},
                "project_type": {"id": 3, "name": s(), "billable": False},
                "plans": [{"status": s(), "start_date": "2024-01-01"}],
            }
        )
    ]


def _clients(s: Callable[[], str]) -> list[Client]:
    return [
        Client.model_validate(
            {
                "id": 2,
                "name": s(),
                "city": s(),
                "state": s(),
                "phone": s(),
                "projects": [{"id": 1, "name": s(), "code": s()}],
            }
        )
    ]


def _timers(s: Callable[[], str]) -> list[ClockedTime]:
    return [
        ClockedTime.model_validate(
            {
                "id": 9,
                "person": _person(s),
                "project": {"id": 1, "name": s()},
                "person_role": {"id": 4, "name": s()},
                "running?": True,
                "stopwatch_times": [
                    {"start_time": "2024-03-02T13:00:00Z", "running?": True},
                ],
            }
        )
    ]


def _time_block(s: Callable[[], str], *, person: bool) -> TimeBlock:
    return TimeBlock.model_validate(
        {
            "id": 12,
            "person": _person(s) if person else None,
            "data": {"event_name": s(), "start_date": "2024-12-24"},
            "start_date": "2024-12-24",
            "end_date": "2024-12-26",
        }
    )


def _form(s: Callable[[], str]) -> Form:
    return Form(
        kind="ticket_create",
        title=s(),
        submit=s(),
        intro=(s(), md("Note on ticket *{}*", s())),
        fields=(
            Field("a", s(), hint=s(), placeholder=s(), initial=s()),
            Field("b", s(), kind="select", options=(Option("v", s()),), initial="v"),
            Field("c", s(), kind="select", options=None, hint=s()),
            Field("d", s(), kind="checkbox", required=False, options=(Option("yes", s()),)),
            Field("e", s(), kind="search", placeholder=s()),
        ),
    )


def _payloads(s: Callable[[], str]) -> list[tuple[str, dict[str, Any], tuple[str, ...]]]:
    """(name, payload, our own tokens) for every renderer, fed hostile text everywhere."""
    ticket, details = _ticket(s), _details(s)
    buttons = interactive.card_buttons(ticket, details, watching=False)
    card = blocks.ticket_card(ticket, details, portal_url="https://app.bruin.com", buttons=buttons)
    bare = blocks.ticket_card(ticket, TicketDetails(), portal_url="https://p")
    note_payload = {"summary": f"New note on ticket 4510 by {s()}", "note": {"text": s()}}
    status_payload = {"summary": f"Ticket 4510: In progress → {s()}", "new_status": s()}
    changes = [("note", 4510, note_payload), ("status", 4511, status_payload)]
    changes += [("new_ticket", 4512, {"summary": s()}), ("other", 4513, {"summary": s()})]
    sub_line = interactive.subscription_line(
        OUR_CHANNEL, status=s(), category=s(), site=s(), customer_id=40123
    )
    home = interactive.home_view(
        [(4503, _ticket(s)), (4504, None)],
        [sub_line, s()],  # a plain str line (not built with md) is escaped as text
        portal_url="https://p",
        updated=NOW,
    )
    messages: list[tuple[str, blocks.Message]] = [
        ("ticket_card", card),
        ("ticket_card without notes", bare),
        (
            "ticket_list",
            blocks.ticket_list(
                [_ticket(s), _ticket(s, 4504)], title=s(), total=2, more_value={"site": s()}
            ),
        ),
        ("ticket_list empty", blocks.ticket_list([], title=s(), total=0, more_value=None)),
        ("notes_list", blocks.notes_list(4503, details.notes)),
        ("note_added", blocks.note_added(4503, s(), author=s())),
        ("inventory_list", blocks.inventory_list(_inventory(s), search=s(), limit=40)),
        ("inventory_list empty", blocks.inventory_list([], search=s(), limit=40)),
        ("site_list", blocks.site_list([_site(s)], search=s())),
        ("site_list empty", blocks.site_list([], search=s())),
        ("site_card", blocks.site_card(_site(s))),
        ("help_message", blocks.help_message([(s(), [s(), s()])], note=s())),
        ("error_message", blocks.error_message(s(), usage=s())),
        ("project_list", bric.project_list(_projects(s), filters=s())),
        ("client_list", bric.client_list(_clients(s))),
        ("running_timers", bric.running_timers(_timers(s), now=NOW, project=s())),
        (
            "time_off_list",
            bric.time_off_list(
                [_time_block(s, person=True), _time_block(s, person=False)], since=NOW.date()
            ),
        ),
        ("time_off_added", bric.time_off_added(_time_block(s, person=False), author=s())),
        ("change_message note", notify.change_message("note", 4510, note_payload)),
        ("change_message status", notify.change_message("status", 4511, status_payload)),
        ("dm_message", notify.dm_message(4511, status_payload)),
        ("digest_message", notify.digest_message(changes)),
        ("with_banner", interactive.with_banner(card, md("{} resolved it", s()))),
        ("with_banner str", interactive.with_banner(card, s())),  # type: ignore[arg-type]
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
        ("Message with plain str text", blocks.Message(text=s())),  # type: ignore[arg-type]
    ]
    out = [(name, m.to_dict(), ()) for name, m in messages]
    out.append(("home_view", home, (f"<#{OUR_CHANNEL}>",)))
    out.append(("form_view", forms.form_view(_form(s), metadata="{}"), ()))
    out.append(
        ("info_view", forms.info_view(s(), [s(), md("*{}*", s())], link=(s(), "https://p")), ())
    )
    options = {"type": "modal", "blocks": [{"elements": forms.options_payload([Option("v", s())])}]}
    out.append(("options_payload", options, ()))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pool=st.lists(hostile, min_size=1, max_size=12))
def test_no_markup_or_control_character_from_input_reaches_slack(pool: list[str]) -> None:
    """Every text field of every model gets the next of ``pool``'s hostile strings."""
    fields = itertools.cycle(pool)

    def s() -> str:
        return next(fields)

    for name, payload, ours in _payloads(s):
        try:
            assert_safe(payload, ours=ours)
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None


def test_every_renderer_is_covered() -> None:
    """A new renderer must be added to :func:`_payloads` (this lists what it covers)."""
    covered = {name.split()[0] for name, _, _ in _payloads(lambda: "x")}
    public = {
        "blocks": {"ticket_card", "ticket_list", "notes_list", "note_added", "inventory_list"}
        | {"site_list", "site_card", "help_message", "error_message"},
        "bric": set(bric.__all__),
        "notify": set(notify.__all__),
        "interactive": {"with_banner", "create_preview", "outage_existing", "open_form_prompt"}
        | {"home_view"},
        "forms": {"form_view", "info_view", "options_payload"},
    }
    for module, names in public.items():
        assert names <= covered, (module, names - covered)
    renderers = {n for n in blocks.__all__ if n.endswith(("_card", "_list", "_message"))}
    renderers |= {"note_added"}
    assert renderers <= covered


# -- the cases of the issue, one by one ---------------------------------------------------------


def _mrkdwn_and_text(message: blocks.Message) -> str:
    payload = message.to_dict()
    found: list[str] = []
    _texts(payload["blocks"], found, [])
    return "\n".join([payload["text"], *found])


def test_a_note_creator_cannot_ping_the_channel_in_the_thread_post() -> None:
    payload = {
        "summary": "New note on ticket 4510 by <!channel> creator",
        "note": {"text": "hi", "creator": "<!channel> creator"},
    }
    message = notify.change_message("note", 4510, payload)
    assert message.text == "New note on ticket 4510 by &lt;!channel&gt; creator"
    assert "<!channel>" not in _mrkdwn_and_text(message)
    assert "&lt;!channel&gt; creator" in _mrkdwn_and_text(message)


def test_a_status_cannot_ping_in_the_post_the_dm_or_the_card_update() -> None:
    payload = {"summary": "Ticket 4510: In progress → <!here> now", "new_status": "<!here> now"}
    for message in (
        notify.change_message("status", 4510, payload),
        notify.dm_message(4510, payload),
        notify.digest_message([("status", 4510, payload), ("note", 4511, {"summary": "x"})]),
    ):
        assert "<!here>" not in _mrkdwn_and_text(message)
        assert "&lt;!here&gt; now" in _mrkdwn_and_text(message)
    ticket = Ticket.model_validate({"ticketID": 4510, "ticketStatus": "<!here> now"})
    card = blocks.ticket_card(ticket, TicketDetails(), portal_url="https://p")
    assert card.text == "Ticket 4510 · &lt;!here&gt; now · no category"
    assert "<!here>" not in _mrkdwn_and_text(card)


def test_a_writer_named_channel_does_not_ping_when_adding_a_note() -> None:
    message = blocks.note_added(4503, "text\n— via Slack by <!channel> (U1)", author="<!channel>")
    assert message.text == "&lt;!channel&gt; added a note to ticket 4503"
    assert "<!channel>" not in _mrkdwn_and_text(message)


def test_a_detail_status_cannot_mention_on_the_card_or_in_inventory() -> None:
    details = TicketDetails.model_validate(
        {"ticketDetails": [{"detailID": 1, "detailValue": "VC1", "detailStatus": "<@U0EVIL>"}]}
    )
    ticket = Ticket.model_validate({"ticketID": 4503, "ticketStatus": "InProgress"})
    card = blocks.ticket_card(ticket, details, portal_url="https://p")
    assert "• `VC1` &lt;@U0EVIL&gt;" in _mrkdwn_and_text(card)
    item = InventoryItem.model_validate({"serviceNumber": "VC1", "status": "<@U0EVIL>"})
    listing = blocks.inventory_list([item], search=None, limit=40)
    assert "<@" not in _mrkdwn_and_text(listing)
    assert "&lt;@U0EVIL&gt;" in _mrkdwn_and_text(listing)


PHISH = "<https://evil.example/phish|Click to re-authenticate>"


def test_a_subscription_category_is_never_a_link_in_app_home() -> None:
    line = interactive.subscription_line(
        "C0OPS", status="open", category=PHISH, site=None, customer_id=40123
    )
    assert line == (
        "<#C0OPS> · status=open category=&lt;https://evil.example/phish|Click to "
        "re-authenticate&gt; · customer 40123"
    )
    home = interactive.home_view([], [line], portal_url="https://p", updated=NOW)
    assert_safe(home, ours=("<#C0OPS>",))
    # The App Home lines as bot.slack.interactive wrote them before (a plain f-string):
    # escaped as text, so the link shows as text instead of opening.
    legacy = interactive.home_view(
        [], [f"<#C0OPS> · category={PHISH}"], portal_url="https://p", updated=NOW
    )
    assert_safe(legacy)


async def test_a_subscription_category_is_never_a_link_in_the_confirmation() -> None:
    from handlers import subscriptions

    async def customer_for(caller: object) -> int:
        return 40123

    async def add_subscription(**kwargs: object) -> SimpleNamespace:
        return SimpleNamespace(id=7)

    services = SimpleNamespace(
        customer_for=customer_for, state=SimpleNamespace(add_subscription=add_subscription)
    )
    caller = SimpleNamespace(user_id="U0DANA", display_name="<!channel>", channel_id="C0OPS")
    request = subscriptions.Subscribe(category=PHISH)
    message = await subscriptions.subscribe(request, caller, services)  # type: ignore[arg-type]
    text = _mrkdwn_and_text(message)
    assert "<https://evil" not in text
    assert "<!channel>" not in text
    assert "category=&lt;https://evil.example/phish|Click to re-authenticate&gt;" in message.text


def test_backend_control_characters_are_removed_before_rendering() -> None:
    details = TicketDetails.model_validate(
        {"ticketNotes": [{"noteValue": "bell\x07 \x1b[2Jwipe \u202eevil", "creator": "n\x00oc"}]}
    )
    ticket = Ticket.model_validate({"ticketID": 4503, "ticketStatus": "New\x1b[31m"})
    card = blocks.ticket_card(ticket, details, portal_url="https://p")
    text = _mrkdwn_and_text(card)
    assert ">bell [2Jwipe evil" in text
    assert "noc" in text
    assert not UNSAFE_CHAR.search(str(card.to_dict()))
    terminal = render_terminal(card.to_dict())
    assert not UNSAFE_CHAR.search(terminal)


def test_the_terminal_undoes_only_slacks_three_entities() -> None:
    message = blocks.error_message("A & B <ok> &#27;[2J")
    out = render_terminal(message.to_dict())
    assert "A & B <ok> &#27;[2J" in out
    assert "\x1b" not in out


def test_console_prompt_lines_are_clean_and_unescaped() -> None:
    assert terminal_line("VC1 · \x1b[2Jstore\u202e 112") == "VC1 · [2Jstore 112"
    assert terminal_line(md(":warning: *{}*", "<b> & \x07c")) == ":warning: <b> & c"


def test_blocks_built_around_the_builders_are_still_escaped_at_the_boundary() -> None:
    raw = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "<!here> <https://evil.example|x>"},
    }
    message = blocks.Message(text="<!channel>", blocks=[raw])  # type: ignore[arg-type]
    payload = message.to_dict()
    assert payload["text"] == "&lt;!channel&gt;"
    assert payload["blocks"][0]["text"]["text"] == "&lt;!here&gt; &lt;https://evil.example|x&gt;"


# -- the text API ------------------------------------------------------------------------------


def test_md_escapes_the_template_and_every_argument_but_mrkdwn() -> None:
    name = "<!channel> & co"
    built = md("New note on ticket *{}* by {} {}", 4510, name, user_mention("U0DANA"))
    assert isinstance(built, Mrkdwn)
    assert built == "New note on ticket *4510* by &lt;!channel&gt; &amp; co <@U0DANA>"
    assert md("a <b> & {x}", x="<c>") == "a &lt;b&gt; &amp; &lt;c&gt;"
    assert md("{:>5}|{!r}", 42, "<x>") == "   42|'&lt;x&gt;'"
    assert md_join(", ", ["<a>", code("<b>"), 3]) == "&lt;a&gt;, `&lt;b&gt;`, 3"
    assert quote("one\n<two>", 100) == ">one\n>&lt;two&gt;"


def test_mrkdwn_cannot_be_made_from_a_string_and_str_operations_drop_it() -> None:
    with pytest.raises(TypeError):
        Mrkdwn("<!channel>")
    built = md("*{}*", "x")
    assert type(built + "<!here>") is str
    assert type(f"{built}") is str
    assert escape(built) is built
    assert escape(None) == ""
    assert escape(4503) == "4503"


def test_constructors_write_only_what_they_checked() -> None:
    assert user_mention("U0DANA") == "<@U0DANA>"
    assert user_mention("<!channel>") == "@&lt;!channel&gt;"
    assert channel_link("C0OPS") == "<#C0OPS>"
    assert channel_link("C0OPS|x><!here") == "#C0OPS|x&gt;&lt;!here"
    assert link("https://p.example/t?a=1&b=2", "Open <it>") == (
        "<https://p.example/t?a=1&amp;b=2|Open &lt;it&gt;>"
    )
    assert link("https://p.example") == "<https://p.example>"
    assert link("javascript:alert(1)", "Open") == "Open"
    assert link("https://x.example/a|b><!here>", "Open") == "Open"
    assert link("https://x.example/\u202e", "<!here>") == "&lt;!here&gt;"
    assert slack_date(NOW) == ("<!date^1709388000^{date_short_pretty} {time}|2024-03-02 14:00 UTC>")
    assert slack_date(NOW, "{ago}", fallback="<!here>") == "<!date^1709388000^{ago}|&lt;!here&gt;>"
    with pytest.raises(ValueError, match="date token"):
        slack_date(NOW, "{date}|<!here>")


def test_truncate_keeps_entities_and_links_whole() -> None:
    assert truncate(escape("a" * 8 + "&b"), 10) == "aaaaaaaa…"
    built = md("{} {}", "x" * 10, link("https://example.com/long", "label"))
    cut = truncate(built, 20)
    assert isinstance(cut, Mrkdwn)
    assert cut == "xxxxxxxxxx…"


# -- a person's text, on the way to a backend ------------------------------------------------

BIDI_AND_CONTROL = re.compile(
    "[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def _note(text: str) -> NoteAdd:
    return bind(NoteAdd, tokenize(text).tail(), usage="/note add <ticket-id> <text…>")


def test_a_users_right_to_left_override_never_reaches_bruin() -> None:
    req = _note('add 4503 invoice_\u202efdp.exe "called \u2066the\u2069 carrier"')
    assert req.text == "invoice_fdp.exe called the carrier"
    assert req.ticket_id == 4503
    # The form and button paths build the request directly: the same rule applies.
    assert NoteAdd(ticket_id=4503, text="a\u202eb\u200f").text == "ab"
    state = {"values": {"n": {"note_text": {"type": "plain_text_input", "value": "x\u202ey\x07"}}}}
    assert parse_state(state) == {"note_text": "xy"}
    assert unpack('{"d": "x\\u202ey", "t": 4503}') == {"d": "xy", "t": 4503}


def test_a_note_of_only_bidi_characters_is_empty() -> None:
    with pytest.raises(UsageError, match=r"missing|empty"):
        _note("add 4503 \u202e\u2066")


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=200))
def test_no_typed_note_carries_a_bidi_or_control_character(text: str) -> None:
    try:
        req = _note(f"add 4503 {text}")
    except UsageError:
        return
    assert not BIDI_AND_CONTROL.search(req.text.replace("\n", "").replace("\t", ""))
