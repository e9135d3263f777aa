"""The PostgreSQL backend: the same store as SQLite's, for several instances on one database."""
