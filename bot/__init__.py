"""The Slack front end: parse `/allot` commands, run GraphQL operations, render Block Kit.

No business rule lives here: the bot only translates between Slack and the GraphQL API.
"""
