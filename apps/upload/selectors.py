"""Read queries of the upload app (HackSoft style: selectors read, services write)."""
