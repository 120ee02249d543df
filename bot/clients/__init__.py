"""Backend clients (Bruin, Bric) on one shared transport layer; they know nothing of Slack."""
