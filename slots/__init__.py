"""Urgent consultation slots: a specialty keeps a few slots a day for the patients GPs need seen fast
(issue 14 item 3). Patterns (local wall-clock, like the rota) and one-offs are published as slots; a
senior books one for a GP's patient with a short code and no patient identity; the secretariat confirms
when the patient calls with the code; what is not booked by the cut-off goes back to the secretariat."""
