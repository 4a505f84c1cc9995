"""Transit under customs control across several countries (ACTS, on the NCTS model)."""
