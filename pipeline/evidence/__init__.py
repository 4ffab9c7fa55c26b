"""The evidence database: its schema, migrations and the store, the only way to it."""
