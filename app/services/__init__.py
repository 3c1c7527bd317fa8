"""Use cases: one async function each. The only code that writes.

Each one authorizes the actor, opens one transaction, posts to the ledger and records outbox
events, so a change that moves money is applied whole or not at all.
"""
