"""store/migrations/versions."""
