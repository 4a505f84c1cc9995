"""Shared basics: ids, money, countries, errors, configuration and the database session."""
