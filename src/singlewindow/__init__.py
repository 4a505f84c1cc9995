"""Single Window: a national customs single window node and the network between nodes."""

__version__ = "0.1.0"
