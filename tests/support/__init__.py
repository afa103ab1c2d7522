"""Helpers shared by the test suite: polling (`polling`), free ports (`net`), a test app and its
login (`app`), a private PostgreSQL cluster (`private_postgres`). Import as `from tests.support.x import y`
(the repository root is on pytest's `pythonpath`)."""
