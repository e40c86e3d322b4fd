"""Read queries of the cdn app (HackSoft style: selectors read, services write)."""
