"""Block Kit builders (slack_sdk models, Slack's limits as constants) and the terminal view."""

from bot.render import speed

speed.install()
