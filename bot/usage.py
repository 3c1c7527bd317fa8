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
        'spend <amount> <service> ["description"] [project] [budget]',
        "Record spend against a project; name the budget (or pick it) when several fund it.",
        (
            "spend 12.50 aws-ec2",
            'spend 12.50 aws-ec2 "GPU run" gpu-lab',
            'spend 12.50 aws-ec2 "GPU run" gpu-lab "Cloud Grant"',
        ),
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
    "approve": Usage("approve <transfer id>", "Approve a pending transfer.", ("approve trf_42",)),
    "reject": Usage(
        "reject <transfer id> [note]",
        "Reject a pending transfer.",
        ("reject trf_42 not this quarter",),
    ),
    "cancel": Usage(
        "cancel <transfer id>", "Withdraw your own pending request.", ("cancel trf_42",)
    ),
    "channel": Usage(
        "channel [#channel] [budget]",
        "Post a budget's requests and alerts in a channel (budget owners; invite me first).",
        ("channel #lab-budget", 'channel #lab-budget "Cloud Grant"'),
    ),
    "link": Usage(
        "link [code]",
        "Link your Slack account to Allot, by your Slack e-mail or a one-time code from the "
        "web app's settings page (an admin can make one with `allot users link-code EMAIL`).",
        ("link", "link 7GQ2-K9PX"),
    ),
    "help": Usage("help [command]", "Show this help, or one command's.", ("help", "help spend")),
}
