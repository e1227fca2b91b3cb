"""The call flow as plain functions: the call's state and the caller's input in, TwiML and log facts out.

Nothing here touches Flask's request; :mod:`webhooks` does the HTTP side.
"""
