"""Times read in each reader's own zone: Slack's date token in every card and list, the
configured zone (CHATOPS_TIMEZONE) in the fallback text and the console."""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Iterator

import pytest

from bot.clients.bruin.models import Ticket, TicketDetails
from bot.config import ConfigError, load_settings
from bot.render.blocks import ticket_card, ticket_list
from bot.render.terminal import render_terminal
from bot.render.text import configure_zone

TOKEN = re.compile(r"<!date\^(\d+)\^\{date_short_pretty\} \{time\}\|([^>]+)>")


@pytest.fixture
def zone() -> Iterator[None]:
    yield
    configure_zone(dt.UTC)


def _ticket() -> Ticket:
    return Ticket.model_validate(
        {
            "clientID": 40123,
            "ticketID": 4503,
            "ticketStatus": "In-Progress",
            "category": "VOO",
            "createDate": "3/2/2024 2:14:00 PM",
        }
    )


def test_cards_and_lists_carry_slacks_date_token_for_each_reader(zone: None) -> None:
    card = json.dumps(ticket_card(_ticket(), TicketDetails(), portal_url="https://p").to_dict())
    listing = json.dumps(ticket_list([_ticket()], title="T", total=1, more_value=None).to_dict())
    for payload in (card, listing):
        found = TOKEN.search(payload)
        assert found is not None, payload
        created = _ticket().created_at  # Bruin's times are US Eastern: 19:14 UTC
        assert created is not None
        assert int(found.group(1)) == int(created.timestamp())
        assert found.group(2) == "2024-03-02 19:14 UTC"


def test_the_fallback_and_the_console_use_the_configured_zone(zone: None) -> None:
    configure_zone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    payload = ticket_card(_ticket(), TicketDetails(), portal_url="https://p").to_dict()
    found = TOKEN.search(json.dumps(payload))
    assert found is not None
    assert found.group(2) == "2024-03-03 04:14 JST"
    shown = render_terminal(payload)
    assert "2024-03-03 04:14 JST" in shown
    assert "<!date" not in shown


def test_an_unknown_zone_is_refused_when_the_configuration_is_read() -> None:
    with pytest.raises(ConfigError, match="CHATOPS_TIMEZONE"):
        load_settings(chatops_timezone="Mars/Olympus_Mons")
    assert load_settings(chatops_timezone="Europe/Berlin").display_zone is not None
