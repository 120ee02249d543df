"""The command grammar: words, "quoted strings", key=value; typed requests or usage errors."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.grammar import (
    MAX_TEXT,
    Date,
    Request,
    TicketId,
    UsageError,
    bind,
    tokenize,
)
from handlers.inventory import InventorySearch
from handlers.note import NoteAdd, NoteList
from handlers.site import SiteList, SiteShow
from handlers.ticket import TicketList, TicketShow

ALL_REQUESTS = [TicketShow, TicketList, NoteAdd, NoteList, InventorySearch, SiteList, SiteShow]


class Dated(Request):
    positional: ClassVar[tuple[str, ...]] = ("ticket_id",)
    ticket_id: TicketId
    since: Date | None = None


def test_words_quotes_and_filters_keep_their_order() -> None:
    tokens = tokenize('add 4503 "called the carrier" status=open site="Store 112"')
    assert tokens.words == ("add", "4503", "called the carrier")
    assert tokens.options == {"status": "open", "site": "Store 112"}


def test_slack_curly_quotes_group_words() -> None:
    assert tokenize("add 4503 \u201ccalled the carrier\u201d").words[2] == "called the carrier"


def test_fully_quoted_key_value_is_a_word() -> None:
    tokens = tokenize('add 4503 "mtu=1500"')
    assert tokens.options == {}
    assert tokens.words[-1] == "mtu=1500"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('add 4503 "unclosed', "quote is not closed"),
        ("show 45\x0003", "control characters"),
        ("x" * (MAX_TEXT + 1), "too long"),
    ],
)
def test_bad_text_is_a_usage_error(text: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        tokenize(text)


def test_ticket_id_accepts_hash_and_rejects_words() -> None:
    assert bind(TicketShow, tokenize("#4503"), usage="u").ticket_id == 4503
    with pytest.raises(UsageError, match=r"^The ticket id must be a ticket number, e\.g\. 4503\.$"):
        bind(TicketShow, tokenize("abc"), usage="u")
    with pytest.raises(UsageError, match="ticket id is missing"):
        bind(TicketShow, tokenize(""), usage="u")
    with pytest.raises(UsageError):
        bind(TicketShow, tokenize("0"), usage="u")


def test_note_text_keeps_key_value_words_in_order() -> None:
    req = bind(NoteAdd, tokenize("4503 set mtu=1500 on the edge"), usage="u")
    assert req.text == "set mtu=1500 on the edge"


def test_unknown_filter_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"Unknown filter colour=.*status="):
        bind(TicketList, tokenize("colour=red"), usage="u")


def test_filter_values_are_validated() -> None:
    assert bind(TicketList, tokenize("status=all limit=5"), usage="u").limit == 5
    with pytest.raises(UsageError, match=r"^status must be one of open, resolved, closed, all"):
        bind(TicketList, tokenize("status=sideways"), usage="u")
    with pytest.raises(UsageError, match=r"^limit must be a whole number from 1 to 25"):
        bind(TicketList, tokenize("limit=1000"), usage="u")


def test_dates_are_yyyy_mm_dd() -> None:
    assert bind(Dated, tokenize("1 since=2024-03-02"), usage="u").since == dt.date(2024, 3, 2)
    with pytest.raises(UsageError, match="YYYY-MM-DD"):
        bind(Dated, tokenize("1 since=03/02/2024"), usage="u")


def test_extra_words_are_refused() -> None:
    with pytest.raises(UsageError, match="Unexpected 'extra'"):
        bind(TicketShow, tokenize("4503 extra"), usage="u")


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=300), model=st.sampled_from(ALL_REQUESTS))
def test_any_text_gives_a_typed_request_or_a_usage_error(text: str, model: type[Request]) -> None:
    try:
        tokens = tokenize(text)
        request = bind(model, tokens, usage="usage")
    except UsageError as exc:
        assert exc.message.strip()
    else:
        assert isinstance(request, model)


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.text(
            alphabet=st.characters(
                blacklist_categories=["Cc", "Cs", "Zs", "Zl", "Zp"],
                blacklist_characters="\"'\u201c\u201d\u201e\u2018\u2019=",
            ),
            min_size=1,
            max_size=12,
        ),
        max_size=6,
    )
)
def test_plain_words_round_trip(words: list[str]) -> None:
    assert tokenize(" ".join(words)).words == tuple(words)
