"""Storage: the only code that runs SQL — the pool, migrations, the embedded server, plans,
overrides, imported task lists and the stored repository index (every statement named in
`sql/queries.sql`)."""
