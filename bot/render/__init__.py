"""Block Kit builders (plain dicts, :mod:`bot.render.kit`; Slack's limits as constants) and
the terminal view."""
