"""The ``comity`` command, assembled from each domain's command group."""
