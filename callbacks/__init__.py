"""Keeping the callback promise: from a GP's recorded request to a senior calling back through Recours.

A request is created by :mod:`calllog.operations` when the IVR records one. From then on:

1. the scheduler *announces* it (:func:`callbacks.operations.announce_new_requests`): a short code, a
   deadline (per specialty, :class:`callbacks.models.CallbackPolicy`), an SMS to each senior on duty;
2. a senior acknowledges it or asks for the call by replying to that SMS (``webhooks/sms.py``);
3. the callback call rings the senior first, then the GP with the hotline as caller ID
   (``webhooks/callback_calls.py`` + ``ivr/callback_call.py``); the GP pressing 1 marks it done;
4. before the deadline passes unanswered the department head is alerted; overdue requests stay in
   ``flask callbacks list``.
"""
