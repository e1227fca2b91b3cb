"""Everything Recours sends out: SMS, outbound calls, e-mail, and Twilio housekeeping requests.

Nothing is sent from a request handler that a GP is waiting on. Senders *enqueue* an
:class:`~notify.models.OutboundMessage` (idempotently, under a unique ``dedup_key``) in their own
transaction; :func:`notify.outbox.deliver_due` sends it later from the scheduler process, behind the one
small interface of :mod:`notify.providers`. Each message is claimed before it is sent, so it goes out at
most once even with two deliverers or a crash; failures are retried a bounded number of times and then
shown by ``flask notifications failed``.
"""
