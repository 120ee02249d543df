"""Block Kit builders (slack_sdk models, Slack's limits as constants) and the terminal view."""
