"""The shared core: errors, settings, time, canonical JSON, keys, signing and sealing.

Nothing here knows about a domain (cases, evidence, intelligence...).
"""
