"""The console's side of buttons and modals: a form becomes a sequence of prompts (with the
same validation as the Slack modal), buttons become numbered choices, and both run the
same action and form tables Slack runs (the registry), through the same write gate.

A :class:`Prompter` supplies the answers: the terminal (prompt_toolkit) or, in tests and
scripted demos, a list. End of input (EOFError) cancels the form or choice at hand.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from bot.clients.errors import BackendError
from bot.core.caller import Caller
from bot.core.deps import NotConfigured, Services
from bot.core.dispatch import Dispatcher
from bot.core.forms import Field, Form, Values
from bot.core.gate import Duplicate, Refused, failure_sentence
from bot.core.grammar import UsageError
from bot.core.registry import Interaction, Outcome, Registry
from bot.render.blocks import Message, error_message
from bot.render.interactive import ACTION_OPEN_CREATE_FORM, ACTION_PREVIEW_CREATE
from bot.render.values import show_or_more_command
from handlers.ticket_actions import (
    F_SERVICE,
    refresh_create_form,
    service_options,
    start_create_form,
)

__all__ = [
    "NEEDS_A_TERMINAL",
    "Button",
    "ConsoleUI",
    "Prompter",
    "ScriptedPrompter",
    "TerminalPrompter",
    "buttons_of",
    "fill_form",
    "needs_choice",
]

PICK_LIST = 20
"""Service numbers shown per search in the console's pick list."""
NEEDS_A_TERMINAL = (
    "This needs answers (a form or a Create / Cancel choice); run it interactively: "
    "chatops-bot console."
)
_REQUIRED = {ACTION_PREVIEW_CREATE, ACTION_OPEN_CREATE_FORM}


class Prompter(Protocol):
    async def ask(self, prompt: str) -> str:
        """One answer; EOFError when the person gives up (Ctrl-D, end of the script)."""


class TerminalPrompter:
    """Answers typed at the terminal (no history: answers are not commands)."""

    def __init__(self) -> None:
        from prompt_toolkit import PromptSession

        self._session: PromptSession[str] = PromptSession()

    async def ask(self, prompt: str) -> str:
        try:
            return await self._session.prompt_async(prompt)
        except KeyboardInterrupt:
            raise EOFError from None


class ScriptedPrompter:
    """Answers from a list, each echoed after its prompt (tests, piped demos)."""

    def __init__(self, answers: Iterable[str], out: TextIO) -> None:
        self._answers = list(answers)
        self._out = out
        self.asked: list[str] = []

    async def ask(self, prompt: str) -> str:
        self.asked.append(prompt)
        if not self._answers:
            self._out.write(prompt + "\n")
            raise EOFError
        answer = self._answers.pop(0)
        self._out.write(f"{prompt}{answer}\n")
        return answer


@dataclass(frozen=True)
class Button:
    label: str
    action_id: str
    value: str
    confirm: tuple[str, str] | None = None


def buttons_of(message: Message) -> list[Button]:
    """The message's clickable buttons, numbered as the terminal rendering numbers them."""
    found: list[Button] = []

    def add(element: dict[str, Any]) -> None:
        if element.get("type") != "button" or element.get("url"):
            return
        confirm = element.get("confirm")
        found.append(
            Button(
                label=str((element.get("text") or {}).get("text", "")),
                action_id=str(element.get("action_id", "")),
                value=str(element.get("value") or ""),
                confirm=(
                    (str(confirm["title"]["text"]), str(confirm["text"]["text"]))
                    if isinstance(confirm, dict)
                    else None
                ),
            )
        )

    for block in message.to_dict()["blocks"]:
        if block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            add(block["accessory"])
        elif block.get("type") == "actions":
            for element in block.get("elements") or []:
                add(element)
    return found


def needs_choice(message: Message) -> bool:
    """A message that does nothing until a button is picked (a create preview)."""
    return any(b.action_id in _REQUIRED for b in buttons_of(message))


async def _ask_text(f: Field, current: str, prompter: Prompter, out: TextIO) -> str:
    label = f.label + ("" if f.required else " (optional; - clears)")
    if f.hint:
        out.write(f"  {f.hint}\n")
    while True:
        shown = f" [{current}]" if current and len(current) <= 60 else ""
        answer = (await prompter.ask(f"{label}{shown}: ")).strip()
        value = "" if answer == "-" else (answer or current)
        problem = f.error(value)
        if problem is None:
            return value
        out.write(f"  ⚠ {problem}\n")


async def _ask_select(f: Field, current: str, prompter: Prompter, out: TextIO) -> str:
    options = list(f.options or ())
    out.write(f"{f.label}:\n")
    for n, option in enumerate(options, 1):
        mark = " (default)" if option.value == current else ""
        out.write(f"  [{n}] {option.label}{mark}\n")
    while True:
        answer = (await prompter.ask(f"Pick 1-{len(options)}: ")).strip()
        if not answer and current:
            return current
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return options[int(answer) - 1].value
        out.write(f"  ⚠ Type a number from 1 to {len(options)}.\n")


Suggest = Callable[[str], Awaitable[Sequence[Any]]]


async def _ask_search(
    f: Field, current: str, prompter: Prompter, out: TextIO, suggest: Suggest | None
) -> str:
    if suggest is None:
        return await _ask_text(f, current, prompter, out)
    shown_current = f" [{current}]" if current else ""
    ask = f"{f.label}{shown_current}: type part of it (Enter lists them all): "
    query = (await prompter.ask(ask)).strip()
    while True:
        if not query and current:
            return current
        options = list(await suggest(query))
        if not options:
            out.write(f"  ⚠ Nothing matches {query!r}.\n")
            query = (await prompter.ask("Type to search again: ")).strip()
            continue
        for n, option in enumerate(options[:PICK_LIST], 1):
            out.write(f"  [{n}] {option.label}\n")
        if len(options) > PICK_LIST:
            out.write(f"  … {len(options) - PICK_LIST} more: type more to narrow it down.\n")
        shown = min(len(options), PICK_LIST)
        choice = (await prompter.ask(f"Pick 1-{shown}, or type to search again: ")).strip()
        if choice.isdigit() and 1 <= int(choice) <= shown:
            return str(options[int(choice) - 1].value)
        query = choice


async def _ask(
    f: Field, current: str, prompter: Prompter, out: TextIO, suggest: Suggest | None
) -> str:
    if f.kind == "select":
        return await _ask_select(f, current, prompter, out)
    if f.kind == "search":
        return await _ask_search(f, current, prompter, out, suggest)
    if f.kind == "checkbox":
        label = f.options[0].label if f.options else f.label
        default = "Y/n" if current == "yes" else "y/N"
        answer = (await prompter.ask(f"{label}? [{default}] ")).strip().lower()
        if not answer:
            return current
        return "yes" if answer in {"y", "yes"} else ""
    return await _ask_text(f, current, prompter, out)


async def fill_form(
    form: Form,
    prompter: Prompter,
    out: TextIO,
    *,
    suggest: Suggest | None = None,
    refresh: Callable[[Values], Awaitable[Form]] | None = None,
) -> tuple[Form, Values] | None:
    """Ask every field in order (a ``dispatch`` field re-renders the form through
    ``refresh``, as in Slack), then the form's own validation until it passes.
    None when the person cancelled."""
    out.write(f"── {form.title} ──\n")
    for line in form.intro:
        out.write(f"  {line.replace('*', '').replace('`', '')}\n")
    values: Values = {f.key: f.initial for f in form.fields}
    try:
        index = 0
        while index < len(form.fields):
            f = form.fields[index]
            index += 1
            if not f.is_input:
                continue
            values[f.key] = await _ask(f, values.get(f.key, ""), prompter, out, suggest)
            if f.dispatch and refresh is not None:
                form = await refresh(values)
                for g in form.fields:
                    if g.kind == "select" or not values.get(g.key):
                        values[g.key] = g.initial
        while errors := form.validate(values):
            for key, problem in errors.items():
                field = form.get(key)
                out.write(f"  ⚠ {field.label}: {problem}\n")
                values[key] = await _ask(field, values.get(key, ""), prompter, out, suggest)
    except EOFError:
        out.write("(cancelled: nothing was sent)\n")
        return None
    return form, values


class ConsoleUI:
    """Forms and buttons in the terminal, over the same flows as Slack's."""

    def __init__(
        self,
        registry: Registry,
        dispatcher: Dispatcher,
        services: Services,
        caller: Caller,
        prompter: Prompter,
        out: TextIO,
        show: Callable[[Message], None],
    ) -> None:
        self.registry = registry
        self.dispatcher = dispatcher
        self.services = services
        self.caller = caller
        self.prompter = prompter
        self.out = out
        self.show = show

    def _interaction(self) -> Interaction:
        """The console runs as its operator, like a script would: the dispatcher's gate
        allows every write and still audits it."""
        return Interaction(caller=self.caller, services=self.services, gate=self.dispatcher.gate)

    async def new_ticket(self) -> Message | None:
        """``/ticket new`` alone: the create form as prompts, then the ticket's card."""
        return await self.submit(await start_create_form(self.services, self.caller))

    async def submit(self, form: Form) -> Message | None:
        """Fill ``form`` by prompts and run it; shows the result and returns it (None when
        cancelled or failed)."""
        customer = await self.services.customer_for(self.caller)

        async def suggest(query: str) -> Sequence[Any]:
            return await service_options(self.services, self.caller, query, limit=200)

        async def refresh(values: Values) -> Form:
            return await refresh_create_form(
                self.services, values, channel_id="", customer=customer, direct=False
            )

        is_create = any(f.key == F_SERVICE for f in form.fields)
        filled = await fill_form(
            form,
            self.prompter,
            self.out,
            suggest=suggest if is_create else None,
            refresh=refresh if is_create else None,
        )
        if filled is None:
            return None
        form, values = filled
        kind = self.registry.forms[form.kind]
        turn = self._interaction()
        errors = await kind.check(turn, values, form.meta)
        if errors:
            self.show(error_message(" ".join(errors.values())))
            return None
        try:
            outcome = await kind.write(turn, values, form.meta)
        except Duplicate:
            return None
        except (BackendError, NotConfigured, UsageError, Refused) as exc:
            self.show(error_message(failure_sentence(exc)))
            return None
        return await self._show_outcome(outcome)

    async def _show_outcome(self, outcome: Outcome) -> Message | None:
        if outcome.reply is not None:
            self.show(outcome.reply)
        if outcome.delete:
            self.out.write("(removed)\n")
        shown: Message | None = None
        for message in (outcome.replace, outcome.post):
            if message is not None:
                self.show(message)
                shown = message
        if outcome.form is not None:
            return await self.submit(outcome.form)
        return shown

    async def choose(self, message: Message, *, rounds: int = 20) -> str | None:
        """Offer the message's buttons as numbered choices until Enter (or end of input).

        A line starting with ``/`` is a command, not an answer: it is returned for the
        caller to run (the buttons are left as they are)."""
        for _ in range(rounds):
            buttons = buttons_of(message)
            if not buttons:
                return None
            try:
                answer = (
                    await self.prompter.ask(f"Button [1-{len(buttons)}], or Enter to go on: ")
                ).strip()
            except EOFError:
                return None
            if not answer:
                return None
            if answer.startswith("/"):
                return answer
            if not answer.isdigit() or not 1 <= int(answer) <= len(buttons):
                self.out.write(
                    f"  ⚠ Type a number from 1 to {len(buttons)}, Enter to go on, or a /command.\n"
                )
                continue
            button = buttons[int(answer) - 1]
            if button.confirm is not None and not await self._confirmed(*button.confirm):
                self.out.write("(not done)\n")
                continue
            nxt = await self.click(button)
            if nxt is None:
                return None
            message = nxt
        return None

    async def _confirmed(self, title: str, text: str) -> bool:
        """The button's confirm dialog, as a question."""
        self.out.write(f"{title}\n  {text}\n")
        try:
            sure = (await self.prompter.ask("Go ahead? [y/N] ")).strip().lower()
        except EOFError:
            return False
        return sure in {"y", "yes"}

    async def click(self, button: Button) -> Message | None:
        """What clicking does (after any confirmation); the message now shown, if any."""
        text = show_or_more_command(button.action_id, button.value)
        if text is not None:
            message = await self.dispatcher.dispatch("/ticket", text, self.caller, self.services)
            self.show(message)
            return message
        handler = self.registry.actions.get(button.action_id)
        try:
            if handler is None:
                raise ValueError(button.action_id)
            outcome = await handler(self._interaction(), button.value)
        except ValueError:
            outcome = Outcome(reply=error_message("That button is out of date; run it again."))
        return await self._show_outcome(outcome)
