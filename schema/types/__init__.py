"""One module per GraphQL type; each builds itself from a row with `from_model`."""
