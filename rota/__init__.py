"""Who is on duty: the rota model and the questions the hotline and the department ask it.

- :mod:`rota.models` — departments (heads, zone, leave policy, holidays), specialties, seniors,
  rotations (patterns), single shifts, overrides, leave, swap requests;
- :mod:`rota.patterns` — pure: a rotation's local wall-clock pattern expanded to UTC occurrences;
- :mod:`rota.precedence` — pure: override > leave > single shift > rotation, written down once;
- :mod:`rota.queries` — :func:`~rota.queries.on_duty_hunt_list`, the hotline's question, and the menu;
- :mod:`rota.coverage` — duty over a period: timeline, gaps, conflicts;
- :mod:`rota.operations` — changes (rotations, shifts, overrides, leave, swaps); callers commit;
- :mod:`rota.imports` — single shifts from a department's CSV, checked whole then written whole;
- :mod:`rota.cli` — ``flask rota who|gaps|import``.
"""
