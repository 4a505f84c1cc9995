"""The classification assistant: the HS 2022 subheadings most likely for a goods
description, learnt from the codes officers confirm or correct (`docs/classification.md`)."""
