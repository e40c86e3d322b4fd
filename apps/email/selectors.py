"""Read queries of the email app (HackSoft style: selectors read, services write)."""
