"""Benchmarks for chatops-bot (GitHub issue 9): ``python -m bench.run``.

Nothing here ships with the bot: ``bench/`` is not part of the installed package, and
``bench/naive_bot.py`` is a deliberately naive BASELINE that exists only to be measured.
"""
