"""PostgreSQL: the tables, the asyncpg pool and its compiled statements,
migrations, and the embedded server for development and tests."""
