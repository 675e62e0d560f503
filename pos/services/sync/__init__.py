"""Sync between a booth and the organiser's hub: the booth's side, the hub's side, the wire format both
speak, and the signing of sync files."""
