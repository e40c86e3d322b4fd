"""Read queries of the kanban app (HackSoft style: selectors read, services write)."""
