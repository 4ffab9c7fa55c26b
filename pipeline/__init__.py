"""levelup-evidence: evidence for the Levelling Up Goals from UK organisations' publications."""

__version__ = "0.1.0"
