"""The GraphQL schema, by feature: relay ids, errors, directory, cases and tasks."""
