"""Peers: other agencies' nodes, their keys and the credentials they use to call this node."""
