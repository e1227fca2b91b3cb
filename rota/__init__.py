"""Who is on duty: the rota model and the hunt-list query the hotline relies on."""
