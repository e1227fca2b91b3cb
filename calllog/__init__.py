"""The call log: every call, every attempt to reach a senior, every callback request.

Only :mod:`calllog.operations` writes it.
"""
