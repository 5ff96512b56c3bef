"""The database: engines for SQLite and PostgreSQL, the schema, migrations and prepared statements."""
