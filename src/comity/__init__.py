"""Comity: cross-border cyber-crime cooperation between law-enforcement agencies.

Every agency runs its own node; nodes that agree to cooperate become peers and exchange
signed, encrypted material: intelligence, evidence with its chain of custody, legal requests.
"""

__version__ = "0.1.0"
