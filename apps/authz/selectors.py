"""Read queries of the authz app (HackSoft style: selectors read, services write)."""
