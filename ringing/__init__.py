"""How a specialty's seniors are rung and what they may answer: the minutes of a deferral ("I will call
back within N minutes", :mod:`ivr.defer`), and, later, staged ringing. One row per specialty that
departs from the defaults of the settings."""
