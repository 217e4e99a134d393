"""Column types shared by the models."""

from sqlalchemy import BigInteger, Integer

# BIGINT on PostgreSQL; INTEGER on SQLite so it stays the rowid alias.
BigId = BigInteger().with_variant(Integer(), "sqlite")
