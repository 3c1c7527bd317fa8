"""The subcommands' syntax, summary and examples: one table for help and for error messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    syntax: str
    summary: str
    examples: tuple[str, ...]


#: One entry per subcommand, in the order help shows them. Errors quote the same examples.
USAGE: dict[str, Usage] = {
    "status": Usage(
        "status [project|budget]",
        "Allocated, spent, remaining and daily drip; without a name, your projects.",
        ("status", "status gpu-lab"),
    ),
    "budgets": Usage("budgets", "The budgets you can see.", ("budgets",)),
    "spend": Usage(
        'spend <amount> <service> ["description"] [project]',
        "Record spend against a project.",
        ("spend 12.50 aws-ec2", 'spend 12.50 aws-ec2 "GPU run" gpu-lab'),
    ),
    "allocate": Usage(
        "allocate <budget> <project> <amount>",
        "Set a project's allocation in a budget (budget owners).",
        ('allocate "Cloud Q3" gpu-lab 2000',),
    ),
    "transfer": Usage(
        "transfer <amount> from <project|pool> to <project|pool> because <reason>",
        "Ask to move money between projects; an owner approves. Alone, it opens a form.",
        ("transfer 5000 from gpu-lab to nlp-lab because the training run moved", "transfer"),
    ),
    "approve": Usage("approve <transfer id>", "Approve a pending transfer.", ("approve T42",)),
    "reject": Usage(
        "reject <transfer id> [note]",
        "Reject a pending transfer.",
        ("reject T42 not this quarter",),
    ),
    "link": Usage(
        "link [code]",
        "Link your Slack account to Allot, by your Slack e-mail or a one-time code.",
        ("link", "link 7GQ2-K9PX"),
    ),
    "help": Usage("help", "Show this help.", ("help",)),
}
