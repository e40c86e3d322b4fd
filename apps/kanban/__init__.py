"""Projects, boards, columns, tasks, members, labels, comments, due-date reminders, activity."""
