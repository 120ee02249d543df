"""chatops-bot: a Slack app for MetTel Bruin tickets and Bric projects."""

__version__ = "0.1.0"
