"""Synthetic interview transcripts of any length, the same for the same seed.

Benchmarks need realistic sentence shapes (questions, hedged answers, clauses joined by
"because" and "but") without shipping large files; the text is built from templates.
"""

from __future__ import annotations

import random

_QUESTIONS = (
    "How do you usually {verb} the {thing} when the {team} asks for it?",
    "What happens after you {verb} the {thing}?",
    "Could you walk me through the last time you had to {verb} a {thing}?",
    "Why do you think the {team} still relies on the {tool}?",
    "Which part of the {process} takes the most time for you?",
    "Do you share the {thing} with the {team} every week?",
)
_ANSWERS = (
    "We {verb} the {thing} in the {tool} every {period}, but it takes longer than it should.",
    "I think the {team} would rather {verb} the {thing} themselves because the {tool} is slow.",
    "Honestly, the {process} breaks whenever someone forgets to {verb} the {thing}.",
    "Maybe we could {verb} the {thing} automatically if the {tool} had a better export.",
    "The {team} asked me to {verb} the {thing} before the {period} review.",
    "To be honest, nobody on the {team} really trusts the numbers in the {tool}.",
    "Actually, I mean the {thing}, not the {process}, which is a different problem.",
    "You should make sure the {tool} keeps the {thing} when you {verb} it.",
    "It usually takes about {count} minutes, and then I send it to the {team}.",
    "So overall the {process} works, although the {tool} makes it harder than it needs to be.",
    "When the {thing} is late, the {team} has to {verb} everything by hand.",
    "We tried a {tool} plugin last {period}, and it broke after two weeks.",
)
_FILL = {
    "verb": ("update", "review", "export", "share", "prepare", "check", "approve", "track"),
    "thing": ("report", "dashboard", "backlog", "invoice", "roadmap", "survey", "ticket", "plan"),
    "team": ("design team", "sales team", "leadership", "support team", "finance team", "client"),
    "tool": ("spreadsheet", "Jira board", "CRM", "analytics dashboard", "Slack channel", "wiki"),
    "process": ("onboarding", "weekly sync", "handoff", "release process", "quarterly planning"),
    "period": ("week", "month", "quarter", "sprint", "Friday"),
    "count": ("ten", "twenty", "thirty", "forty-five", "ninety"),
}


def _fill(template: str, rng: random.Random) -> str:
    values = {key: rng.choice(options) for key, options in _FILL.items()}
    return template.format(**values)


def generate_transcript(n_sentences: int, seed: int = 0) -> str:
    """A speaker-labelled transcript with `[hh:mm:ss]` stamps and exactly n_sentences sentences."""
    rng = random.Random(seed)
    lines = ["---", "title: Synthetic interview", "participants: [Interviewer, Participant]", "---"]
    written = 0
    seconds = 0
    while written < n_sentences:
        stamp = f"[{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}]"
        lines.append(f"{stamp} Interviewer: {_fill(rng.choice(_QUESTIONS), rng)}")
        written += 1
        seconds += rng.randint(4, 9)
        answer_length = min(rng.randint(1, 5), n_sentences - written)
        if answer_length <= 0:
            break
        answer = " ".join(_fill(rng.choice(_ANSWERS), rng) for _ in range(answer_length))
        stamp = f"[{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}]"
        lines.append(f"{stamp} Participant: {answer}")
        written += answer_length
        seconds += rng.randint(10, 40)
    return "\n".join(lines) + "\n"


def generate_timestamped_lines(n_lines: int, seed: int = 0) -> str:
    """Exactly n_lines `[hh:mm:ss.mmm] Speaker: ...` lines (one or two sentences each).

    Turns are 0.1 to 0.35 s apart, so that a million lines stay below 100 hours, the largest
    stamp the readers accept.
    """
    rng = random.Random(seed)
    lines: list[str] = []
    millis = 0
    for index in range(n_lines):
        seconds, fraction = divmod(millis, 1000)
        clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        stamp = f"[{clock}.{fraction:03d}]"
        if index % 2 == 0:
            lines.append(f"{stamp} Interviewer: {_fill(rng.choice(_QUESTIONS), rng)}")
        else:
            answer = " ".join(_fill(rng.choice(_ANSWERS), rng) for _ in range(rng.randint(1, 2)))
            lines.append(f"{stamp} Participant: {answer}")
        millis += rng.randint(100, 350)
    return "\n".join(lines) + "\n"
